"""The nightly settlement (日结): a resumable, idempotent end-of-day batch.

Shape
-----
* A **business date** D is closed by one `BatchRun`. Opening it calls
  `business_date_closing_start`, so from then on online postings and fundings carry D+1 and the
  books of D stop moving. When every step for D has succeeded the batch calls
  `business_date_advance(expected=D)`. A batch that has not run for several days catches up one
  date at a time (`sync_driver.eod_run_until`).
* **Steps** are registered units (`registry.register`), each in its own module under
  `servicing.eod.steps` with a docstring saying what it does, run in their `position` order.
  Every step is SET-BASED: a chunk does a handful of SQL statements (UPDATE ... FROM, INSERT ...
  SELECT) over a range of loan ids, never one ORM round-trip per loan. The rare loans a set
  cannot express (an accrual more than one schedule period behind; suspense to apply) fall back
  to the loans engineer's per-loan services, and the step says so in its result.
* **Chunks**: each chunked step splits the loans by id range (`EOD_CHUNK_SIZE`). Every
  (business date, step, chunk) has a `ChunkRun` row; a chunk's work and its "succeeded" mark
  commit in one transaction, conditional on still holding the lease. So a re-run does nothing
  twice (idempotent) and a restart runs only the chunks not yet succeeded (resumable). Steps'
  own guards make even a doubled execution harmless (accrual only touches loans whose
  `accrued_through` < D, snapshots and tasks have unique keys, ...).
* **Leases**: a claimed chunk has an `owner` and a `heartbeat_at` refreshed by a thread while it
  works. A running chunk whose heartbeat is older than `EOD_LEASE_SECONDS` is stale; the batch
  itself (the sync runner's loop, the `eod_watchdog` beat task, the dashboard's retry) claims it
  again and re-dispatches it — it does not rely on the broker redelivering a lost task.
* **Celery**: a step's chunks run as a chord (a group of `eod_chunk_run` tasks whose callback
  `eod_step_finish` closes the step and dispatches the next one) across workers.

Lock order (documented and tested, see tests/servicing/test_eod_concurrency.py)
---------------------------------------------------------------------------
A chunk that changes loans first locks the loans it will change with
``SELECT ... WHERE id BETWEEN lo AND hi AND <needs work> ORDER BY id FOR UPDATE`` — loans in id
order, the Loan row before any schedule row — exactly the order every online money path takes
(`servicing.services.loans.account.loan_lock`: the Loan row, then its schedule rows by pk). So an online
repayment on a loan of a running chunk waits for the chunk's short transaction (or the chunk
waits for the payment), and then sees (or the chunk re-reads) the committed state: no deadlock,
no lost update. An online repayment during closing carries D+1 and accrues penalty through
D+1; the batch's penalty for D then finds `penalty_through` >= D and adds nothing, exactly as
the per-loan reference does. Loans funded during the batch get ids above the planned ranges
and value dates of D+1: nothing of D to do for them.
"""
