"""servicing's read queries, one module per area; import them from here."""

from servicing.selectors.ledger import (
    TrialBalance,
    TrialBalanceRow,
    account_balance,
    loan_balances,
    trial_balance,
)

__all__ = ["TrialBalance", "TrialBalanceRow", "account_balance", "loan_balances", "trial_balance"]
