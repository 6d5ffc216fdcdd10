"""Floor-plan finance (库存融资) in servicing: advances (request, approval, release, funding),
the dealer's payoffs and the 合格证 custody (advances, bank, payoffs)."""
