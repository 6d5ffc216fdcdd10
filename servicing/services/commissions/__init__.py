"""Dealer commissions on the books (the dealers app computes them, servicing moves the money):
the ledger entries of accruals and clawbacks, and the monthly payout of each statement."""
