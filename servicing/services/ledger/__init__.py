"""Posting to the double-entry ledger: one entry (`posting.journal_post`), many in two statements
(`posting.journal_post_many`), and corrections by reversal (`reversal.journal_entry_reverse`);
`entries` validates and prepares what is posted.

Every posting is validated here (balanced, at least two lines, amounts > 0 with at most two
decimal places, known accounts) and again by PostgreSQL (migration 0003_ledger_guards), which
checks each INSERT statement of lines as a set. So the lines of one entry - in bulk, the lines of
all entries - are always written by ONE statement here.

Idempotency: the header is inserted with ON CONFLICT (idempotency_key) DO NOTHING. A second
caller with the same key waits on the first one's uncommitted row, then gets nothing back and
reads the committed entry: a replay returns the first entry, and a replay whose source or lines
differ raises IdempotencyConflictError.
"""
