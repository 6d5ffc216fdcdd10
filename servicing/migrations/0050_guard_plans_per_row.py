"""The ledger's balance check and the schedule-row guards look each entry or row up by index, one
at a time, whatever the size of the statement that first ran them in a session; the guards of
repayment allocations and lease invoice lines name the row's loan, so one hash partition is
probed instead of sixteen.

Why: a trigger's query is planned once per session, for the transition table of the first
statement that fires it, and the plan is kept. After an auto-debit chunk (100 entries in one
statement) the balance check kept a hash join reading the whole journal-entry index, so every
later one-entry posting in that worker read every entry: 2.74 ms a check on the 3,000-loan bench
book against 0.08 ms by the primary key, growing with the journal (measured in one session, an
auto-debit-sized statement first, then 300 three-line entries; bench/README.md has the bench's
figures). Joins other than nested loops are switched off inside these functions only
(function-level settings, as migration 0047 did for sequential scans): a one-row statement
probes one entry, and a statement of 20,000 entries costs what it cost before (about 0.2-0.4 s
either way on that book), since it looks each entry up once.

The allocation's guard reaches the row's loan through its repayment and the lease invoice
line's through its own `loan_id`, and asks for the row by (loan_id, id), the schedule rows'
primary key, so the nested loop prunes to the loan's partition at run time; it now also refuses a
row of another loan, which no posting writes. A penalty accrual names no loan: its guard still
asks for the row by id in every partition.
"""

from django.db import migrations

PER_ROW = "SET enable_hashjoin = off SET enable_mergejoin = off"
RESET = "RESET enable_hashjoin RESET enable_mergejoin"

GUARD = """
CREATE FUNCTION servicing_{name}_row_exists() RETURNS trigger
LANGUAGE plpgsql {settings} AS $$
DECLARE
    missing record;
BEGIN
    SELECT r.row_id, {loan} AS loan_id INTO missing
      FROM new_refs r{join}
     WHERE r.row_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM servicing_loanschedulerow s
                        WHERE s.loan_id = {loan} AND s.id = r.row_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = '23503',
            MESSAGE = format('%s refused: schedule row %s does not exist on loan %s',
                             TG_TABLE_NAME, missing.row_id, missing.loan_id),
            CONSTRAINT = TG_TABLE_NAME || '_row_exists';
    END IF;
    RETURN NULL;
END
$$;
"""

GUARDS = {
    # table: (function name, the row's loan, the join that reaches it)
    "servicing_repaymentallocation": (
        "allocation",
        "p.loan_id",
        "\n      LEFT JOIN servicing_repayment p ON p.id = r.repayment_id",
    ),
    "servicing_leaseinvoiceline": ("lease_invoice_line", "r.loan_id", ""),
}


def _triggers(table: str, function: str) -> str:
    # transition tables allow one event per trigger: one for INSERT, one for UPDATE
    return "\n".join(
        f"DROP TRIGGER {table}_row_exists_{event} ON {table};\n"
        f"CREATE TRIGGER {table}_row_exists_{event}\n"
        f"    AFTER {event.upper()} ON {table} REFERENCING NEW TABLE AS new_refs\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        for event in ("insert", "update")
    )


FORWARD = "\n".join(
    [
        f"ALTER FUNCTION servicing_journal_line_balance_check() {PER_ROW};",
        f"ALTER FUNCTION servicing_schedule_row_named_exists() {PER_ROW};",
        *(
            GUARD.format(name=name, loan=loan, join=join, settings=PER_ROW)
            + _triggers(table, f"servicing_{name}_row_exists")
            for table, (name, loan, join) in GUARDS.items()
        ),
    ]
)

BACKWARD = "\n".join(
    [
        *(
            _triggers(table, "servicing_schedule_row_named_exists")
            + f"\nDROP FUNCTION servicing_{name}_row_exists();"
            for table, (name, _loan, _join) in GUARDS.items()
        ),
        f"ALTER FUNCTION servicing_schedule_row_named_exists() {RESET};",
        f"ALTER FUNCTION servicing_journal_line_balance_check() {RESET};",
    ]
)


class Migration(migrations.Migration):
    dependencies = [("servicing", "0049_journal_line_reference_guard")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
