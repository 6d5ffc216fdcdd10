"""Loan accounts: creation at funding (`create`), row locks (`account`), status changes
(`status`), schedule versions (`schedule`), notes, charge-off and the customer's phone change.

Lock order (every money-moving path in servicing takes its locks in this order, so concurrent
online payments, auto-debit results, manual postings, accrual and settlement for one loan
serialise instead of deadlocking):

1. the `Loan` row (SELECT ... FOR UPDATE);
2. its schedule rows, by primary key (SELECT ... ORDER BY id FOR UPDATE);
3. then the document being processed (repayment, payment order, auto-debit item, quote).

Nothing takes a schedule row or a document lock without holding the loan lock first.
"""
