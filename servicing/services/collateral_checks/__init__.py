"""The monthly book checks (issue #20): phone status of every borrower (`phone`), the bureau
re-check of a sample and of the high-risk loans (`bureau`) and the revaluation of every car on
book with its current LTV (`revaluation`), each set-based and at most once a month per loan;
results in servicing.models.collateral_checks.LoanExternalFacts. docs/collateral-checks.md."""
