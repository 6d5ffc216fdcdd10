"""servicing's read queries, one module per area: `ledger` (balances), `loans` (accounts,
schedules, repayments), `disbursement`, `eod` (the nightly batch's progress), `curves` (vintage
and roll rates), `collections` (the collectors' queues). Selectors never import services."""
