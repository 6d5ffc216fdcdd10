"""Repayments, one module per use case: posting from the three sources (`posting`, `apply`),
the allocation waterfall (`waterfall`), suspense (溢缴款, `suspense`), reversal of bounced
payments (`reversal`), manual posting with maker-checker (`manual`), online payments (`online`)
and auto-debit (`auto_debit`).

Allocation waterfall: the product rules' ``waterfall`` (a list of buckets, or ``"by_instalment"``:
each row in turn, penalty, fee, interest, principal) decides the order; the default is penalty ->
fees -> overdue interest -> overdue principal -> current fee -> current interest -> current
principal, and inside each bucket the oldest instalment first. "penalty" and "fee" are those of
the overdue rows (so a payment of exactly the arrears clears them); "interest" / "principal"
(without a prefix) take the overdue rows and then the current one.
"Overdue" rows are rows in force whose due date is before the business date with anything
unpaid; the "current" row is the one whose period contains the business date (its due date is
today or later, its period started before today). What is left goes to the customer's suspense:
`suspense_apply` applies it to instalments when they fall due.

Every repayment keeps its allocations per row and component (`RepaymentAllocation`), so a
reversal (`repayment_reverse`) restores the rows exactly and recomputes the penalty that the
reversed money had stopped (see `PenaltyAccrual`).

Locks: see servicing.services.loans (Loan row, then schedule rows by pk, then the document).
"""
