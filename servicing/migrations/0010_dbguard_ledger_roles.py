"""The ledger belongs to a maintenance role; the application's role may only read and append
(servicing.ledger_roles). The TRUNCATE guard no longer trusts a setting any session can set:
the maintenance switch counts only for a member of the maintenance role."""

from django.db import migrations

from servicing.ledger_roles import MAINT_ROLE, MAINTENANCE_SWITCH, ledger_roles_apply

FUNCTIONS = rf"""
CREATE OR REPLACE FUNCTION servicing_ledger_maintainer() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF coalesce(current_setting('{MAINTENANCE_SWITCH}', true), '') <> 'on' THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{MAINT_ROLE}') THEN
        RETURN pg_has_role(current_user, '{MAINT_ROLE}', 'MEMBER');
    END IF;
    -- roles not set up yet (see servicing.ledger_roles): only a superuser maintains
    RETURN coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false);
END
$$;

CREATE OR REPLACE FUNCTION servicing_ledger_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    has_rows boolean;
BEGIN
    IF servicing_ledger_maintainer() THEN
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
"""

OLD_FUNCTION = r"""
CREATE OR REPLACE FUNCTION servicing_ledger_no_truncate() RETURNS trigger
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
DROP FUNCTION IF EXISTS servicing_ledger_maintainer();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        note = ledger_roles_apply(cursor)
    if note:
        print(f"\n  servicing.0010_dbguard_ledger_roles: {note}")  # noqa: T201


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles "
                       "WHERE rolname = %s", [MAINT_ROLE])
        row = cursor.fetchone()
        if row and row[0]:
            for table in ("servicing_journalentry", "servicing_journalline"):
                cursor.execute(f"ALTER TABLE {table} OWNER TO CURRENT_USER")
            cursor.execute("ALTER FUNCTION servicing_ledger_no_truncate() OWNER TO CURRENT_USER")
        cursor.execute(OLD_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("servicing", "0009_dbguard_ledger_loan_fk")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
