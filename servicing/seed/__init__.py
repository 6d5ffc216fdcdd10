"""servicing's demo data, one module per step: `payees` (the payee register), `loans` (the demo
loans, opened and funded), `history` (each loan's months of payments and its ending),
`subsidised` (origination's 0 % contract funded through the disbursement), `commissions` (the
dealers' commissions posted, paid and 待付); `demo` runs them
(`manage.py seed_demo` names it)."""
