"""The ledger's two integrity checks find an entry's lines through the entry_id index, whatever
the month partition's statistics say.

Both checks (the statement-level balance check and the deferred "entry has lines") look up one
entry's lines. On a month partition whose statistics show few distinct entry ids (a month of
chunk-sized batch entries, or a freshly loaded partition), the planner estimated that one entry
holds most of the partition and chose a sequential scan of it: measured on the 1,000,000-loan
bench book (2.1 M lines in the month), 285–390 ms for a two-line posting, against 0.1 ms by the
index, so every repayment, accrual and disbursement posting cost time growing with the month's
lines. A sequential scan is never the right way for these two lookups, so each function runs
with sequential scans off (a function-level setting: nothing outside the check is affected;
bitmap and index scans remain)."""

from django.db import migrations

FUNCTIONS = ("servicing_journal_line_balance_check()", "servicing_journal_entry_has_lines()")


class Migration(migrations.Migration):
    dependencies = [("servicing", "0046_loan_fillfactor")]

    operations = [
        migrations.RunSQL(
            ";".join(f"ALTER FUNCTION {f} SET enable_seqscan = off" for f in FUNCTIONS),
            ";".join(f"ALTER FUNCTION {f} RESET enable_seqscan" for f in FUNCTIONS),
        )
    ]
