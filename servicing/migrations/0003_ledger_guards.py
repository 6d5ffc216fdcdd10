"""The ledger's invariants held by PostgreSQL itself, whoever writes (ORM, raw SQL, psql).

1. Balance, per INSERT statement on the lines (statement-level AFTER trigger with a transition
   table, so a bulk INSERT of a million lines runs one set-based check, not a million): every
   entry the statement touches must exist, net to zero (debits = credits), have at least two
   lines, and have received all its lines in this one statement (no lines added later to an
   entry, committed or not). The posting services insert all lines of an entry - and, in bulk,
   of many entries - in one statement.
2. No entry without lines: a deferred constraint trigger on the entries (row level: once per
   entry, at commit) refuses an entry header that got no lines. Together with 1 every committed
   entry balances and has at least two lines.
3. Append-only: UPDATE and DELETE of entries or lines are refused; so is TRUNCATE of a table
   that holds rows, unless the session sets `autofin.ledger_maintenance = on` (test teardown,
   restoring a copy). A correction is a reversing entry.

Errors use SQLSTATE class 23 (integrity), so Django raises IntegrityError.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION servicing_journal_line_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.entry_id, n.net, n.line_count, (e.id IS NULL) AS no_entry
      INTO bad
      FROM (
            SELECT entry_id,
                   sum(CASE side WHEN 'D' THEN amount ELSE -amount END) AS net,
                   count(*) AS line_count
              FROM new_lines
             GROUP BY entry_id
           ) n
      LEFT JOIN servicing_journalentry e ON e.id = n.entry_id
     WHERE e.id IS NULL
        OR n.net <> 0
        OR n.line_count < 2
        OR (SELECT count(*) FROM servicing_journalline l WHERE l.entry_id = n.entry_id)
           <> n.line_count
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = '23514',
            MESSAGE = format(
                'journal entry %s refused: net %s over %s line(s)%s; an entry''s lines must '
                'balance, be at least two and be inserted in one statement after its header',
                bad.entry_id, bad.net, bad.line_count,
                CASE WHEN bad.no_entry THEN ' and no such entry' ELSE '' END),
            CONSTRAINT = 'journal_entry_balanced';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER journal_line_balance_check
    AFTER INSERT ON servicing_journalline
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_line_balance_check();

CREATE FUNCTION servicing_journal_entry_has_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM servicing_journalline WHERE entry_id = NEW.id) THEN
        RAISE EXCEPTION USING
            ERRCODE = '23514',
            MESSAGE = format('journal entry %s refused: it has no lines', NEW.id),
            CONSTRAINT = 'journal_entry_has_lines';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER journal_entry_has_lines
    AFTER INSERT ON servicing_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION servicing_journal_entry_has_lines();

CREATE FUNCTION servicing_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = '23000',
        MESSAGE = format('%s on %s refused: the ledger is append-only; post a reversing entry',
                         TG_OP, TG_TABLE_NAME),
        CONSTRAINT = 'ledger_append_only';
END
$$;

CREATE TRIGGER journal_entry_append_only
    BEFORE UPDATE OR DELETE ON servicing_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_ledger_append_only();
CREATE TRIGGER journal_line_append_only
    BEFORE UPDATE OR DELETE ON servicing_journalline
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_ledger_append_only();

CREATE FUNCTION servicing_ledger_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    has_rows boolean;
BEGIN
    IF coalesce(current_setting('autofin.ledger_maintenance', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
       INTO has_rows;
    IF has_rows THEN
        RAISE EXCEPTION USING
            ERRCODE = '23000',
            MESSAGE = format('TRUNCATE on %s refused: the ledger is append-only', TG_TABLE_NAME),
            CONSTRAINT = 'ledger_append_only';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER journal_entry_no_truncate
    BEFORE TRUNCATE ON servicing_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_ledger_no_truncate();
CREATE TRIGGER journal_line_no_truncate
    BEFORE TRUNCATE ON servicing_journalline
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_ledger_no_truncate();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS journal_line_no_truncate ON servicing_journalline;
DROP TRIGGER IF EXISTS journal_entry_no_truncate ON servicing_journalentry;
DROP FUNCTION IF EXISTS servicing_ledger_no_truncate();
DROP TRIGGER IF EXISTS journal_line_append_only ON servicing_journalline;
DROP TRIGGER IF EXISTS journal_entry_append_only ON servicing_journalentry;
DROP FUNCTION IF EXISTS servicing_ledger_append_only();
DROP TRIGGER IF EXISTS journal_entry_has_lines ON servicing_journalentry;
DROP FUNCTION IF EXISTS servicing_journal_entry_has_lines();
DROP TRIGGER IF EXISTS journal_line_balance_check ON servicing_journalline;
DROP FUNCTION IF EXISTS servicing_journal_line_balance_check();
"""


class Migration(migrations.Migration):
    dependencies = [("servicing", "0002_ledger_chart_of_accounts")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
