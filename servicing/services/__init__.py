"""servicing's write use cases, one package or module per area (repayments, disbursement,
settlement, loans, ledger, accrual, collections, payees, reconciliation); import each name from
the module that defines it."""
