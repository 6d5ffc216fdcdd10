"""The journal lines' five foreign keys (entry, account, loan, dealer, floor-plan advance) become
one statement-level guard, as the schedule rows' did in 0045_partitioning.

Why: a foreign key is checked row by row — one deferred trigger event per line and key, each a
lookup that locks the named row. The nightly batch posts one entry per chunk carrying two lines
per loan, so a 10,000-loan accrual chunk queued 100,000 events and spent about 40 % of its time
in them at commit (measured on the 200,000-loan bench book: 0.37–0.53 s of deferred checks after
a 0.5–0.7 s chunk body). The guard reads the statement's lines once and looks up each named row
once: one account, one entry and the chunk's loans instead of two lines' worth of each.

What holds, and where:

* A line's account, loan, dealer and floor-plan advance exist when it is inserted: the guard
  (`journal_line_references_exist`, SQLSTATE 23503) looks each distinct one up and locks it FOR
  KEY SHARE, as the foreign key's check did, so a concurrent DELETE of it waits for the posting
  to commit and then finds its lines.
* A line's entry exists: the balance check already refuses a line whose entry it cannot find
  ("and no such entry", SQLSTATE 23514, at the same statement), and entries are append-only
  (no UPDATE, DELETE or TRUNCATE outside ledger maintenance), so nothing can take it away.
* A named row is not deleted, nor its id changed, while a line names it
  (`journal_line_named_kept`, SQLSTATE 23503): a statement-level check of the deleted rows
  on each of the four tables, and a row trigger that fires only when an UPDATE sets `id`.
  Django's PROTECT is unchanged.
* TRUNCATE of one of those four tables while lines exist is refused outside ledger maintenance
  (the switch of servicing.ledger_roles), as PostgreSQL refused it for a referenced table.

The checks now run at the end of the statement rather than at commit (the keys were DEFERRABLE
INITIALLY DEFERRED): the only writers already insert the entry, then its lines, in that order.

Cost on a big book: dropping a constraint and creating triggers are catalogue changes (a brief
ACCESS EXCLUSIVE lock on each table); nothing is scanned. Reversed, the foreign keys are added
back and checked over every line (PostgreSQL 15 cannot add one NOT VALID to a partitioned table)."""

import django.db.models.deletion
from django.db import migrations, models

from servicing.ledger_roles import MAINT_ROLE, roles_status
from servicing.services.ledger.partitions import JOURNAL_LINE_REFERENCES_GUARD

# (column of the lines, table it names, foreign-key constraint it had since 0045_partitioning)
REFERENCES = (
    (
        "account_id",
        "servicing_ledgeraccount",
        "servicing_journallin_account_id_d58b8c64_fk_servicing",
    ),
    ("loan_id", "servicing_loan", "servicing_journalline_loan_id_3e4fc1d9_fk_servicing_loan_id"),
    (
        "dealer_id",
        "dealers_dealer",
        "servicing_journalline_dealer_id_f80b22f8_fk_dealers_dealer_id",
    ),
    (
        "floorplan_advance_id",
        "servicing_floorplanadvance",
        "servicing_journallin_floorplan_advance_id_ce45ca24_fk_servicing",
    ),
)
ENTRY_FK = (
    "entry_id",
    "servicing_journalentry",
    "servicing_journallin_entry_id_48774786_fk_servicing",
)
FUNCTIONS = (
    "servicing_journal_line_references_check()",
    "servicing_journal_line_named_kept()",
    "servicing_journal_line_named_no_truncate()",
)


def _missing(column: str, table: str) -> str:
    # each distinct row once, locked as the foreign key's check locked it
    where = "" if column == "account_id" else f" WHERE {column} IS NOT NULL"
    return f"""
        SELECT '{table}' AS tbl, k.id INTO missing
          FROM (SELECT DISTINCT {column} AS id FROM new_lines{where}) k
          LEFT JOIN LATERAL (SELECT true AS ok FROM {table} t
                              WHERE t.id = k.id FOR KEY SHARE) f ON true
         WHERE f.ok IS NULL
         LIMIT 1;"""  # noqa: S608 - names are the constants above


def _named(column: str, table: str, ids: str) -> str:
    return f"""
        IF TG_TABLE_NAME = '{table}' THEN
            SELECT o.id INTO named FROM {ids} o
             WHERE EXISTS (SELECT 1 FROM servicing_journalline l WHERE l.{column} = o.id)
             LIMIT 1;
        END IF;"""  # noqa: S608 - names are the constants above


CHECKS = "\n        IF NOT FOUND THEN".join(_missing(c, t) for c, t, _ in REFERENCES)
CHECKS += "\n        END IF;" * (len(REFERENCES) - 1)

FORWARDS = f"""
CREATE FUNCTION servicing_journal_line_references_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing record;
BEGIN
    {CHECKS}
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = '23503',
            MESSAGE = format('journal line refused: %s %s does not exist', missing.tbl, missing.id),
            CONSTRAINT = 'journal_line_references_exist';
    END IF;
    RETURN NULL;
END
$$;

-- statement-level AFTER DELETE (the deleted rows as old_rows) or row-level AFTER UPDATE OF id
CREATE FUNCTION servicing_journal_line_named_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    named bigint;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        {"".join(_named(c, t, "(SELECT OLD.id AS id)") for c, t, _ in REFERENCES)}
    ELSE
        {"".join(_named(c, t, "old_rows") for c, t, _ in REFERENCES)}
    END IF;
    IF named IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = '23503',
            MESSAGE = format('%s on %s refused: journal lines name row %s',
                             TG_OP, TG_TABLE_NAME, named),
            CONSTRAINT = 'journal_line_named_kept';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION servicing_journal_line_named_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('autofin.ledger_maintenance', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM servicing_journalline) THEN
        RAISE EXCEPTION USING
            ERRCODE = '23503',
            MESSAGE = format('TRUNCATE on %s refused: journal lines name its rows', TG_TABLE_NAME),
            CONSTRAINT = 'journal_line_named_kept';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER journal_line_references_exist
    AFTER INSERT ON servicing_journalline
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_line_references_check();
"""  # noqa: S608 - built from the constants above

for _column, _table, _fk in REFERENCES:
    FORWARDS += f"""
ALTER TABLE servicing_journalline DROP CONSTRAINT IF EXISTS {_fk};
CREATE TRIGGER journal_line_named_deleted
    AFTER DELETE ON {_table} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_line_named_kept();
CREATE TRIGGER journal_line_named_rekeyed
    AFTER UPDATE OF id ON {_table}
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION servicing_journal_line_named_kept();
CREATE TRIGGER journal_line_named_truncated
    BEFORE TRUNCATE ON {_table}
    FOR EACH STATEMENT EXECUTE FUNCTION servicing_journal_line_named_no_truncate();
"""
FORWARDS += f"ALTER TABLE servicing_journalline DROP CONSTRAINT IF EXISTS {ENTRY_FK[2]};\n"

BACKWARDS = "DROP TRIGGER IF EXISTS journal_line_references_exist ON servicing_journalline;\n"
for _column, _table, _fk in (*REFERENCES, ENTRY_FK):
    BACKWARDS += f"""
DROP TRIGGER IF EXISTS journal_line_named_deleted ON {_table};
DROP TRIGGER IF EXISTS journal_line_named_rekeyed ON {_table};
DROP TRIGGER IF EXISTS journal_line_named_truncated ON {_table};
ALTER TABLE servicing_journalline ADD CONSTRAINT {_fk}
    FOREIGN KEY ({_column}) REFERENCES {_table} (id) DEFERRABLE INITIALLY DEFERRED;
"""
BACKWARDS += "".join(f"DROP FUNCTION IF EXISTS {f};\n" for f in FUNCTIONS)


def _partitions(cursor) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'servicing_journalline'::regclass ORDER BY c.relname"
    )
    return [r[0] for r in cursor.fetchall()]


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FORWARDS)
        # a statement naming a partition fires the partition's own guards (partitions.py)
        for name in _partitions(cursor):
            cursor.execute(JOURNAL_LINE_REFERENCES_GUARD.format(name=name))
        # the ledger's guard functions belong to the maintenance role (servicing.ledger_roles)
        status = roles_status(cursor)
        if status["roles"] and (status["superuser"] or status["maintainer"]):
            for function in FUNCTIONS:
                cursor.execute(f"ALTER FUNCTION {function} OWNER TO {MAINT_ROLE}")


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in _partitions(cursor):
            cursor.execute(f"DROP TRIGGER IF EXISTS journal_line_references_exist ON {name}")
        cursor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [
        ("dealers", "0007_statement_debt_settled"),
        ("servicing", "0048_eod_open_row_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name="journalline",
                    name="account",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicing.ledgeraccount",
                        verbose_name="科目",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="dealer",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        db_index=False,
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="dealers.dealer",
                        verbose_name="经销商",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="entry",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lines",
                        to="servicing.journalentry",
                        verbose_name="分录",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="floorplan_advance",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        db_index=False,
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicing.floorplanadvance",
                        verbose_name="库存融资放款",
                    ),
                ),
                migrations.AlterField(
                    model_name="journalline",
                    name="loan",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        db_index=False,
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicing.loan",
                        verbose_name="贷款账户",
                    ),
                ),
            ],
        ),
    ]
