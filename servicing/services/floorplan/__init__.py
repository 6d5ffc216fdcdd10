"""Floor-plan finance (库存融资) for dealers: advances, payoffs, stock audits, line freezes."""
