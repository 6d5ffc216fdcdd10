"""Who may write the ledger, held by PostgreSQL's privileges rather than by a setting.

Two roles, both NOLOGIN (a deployment grants them to its login roles):

* `autofin_maint` owns the ledger tables (entries and lines) and their guard functions. Only
  its members may alter them, run DDL on them (partitions, indexes, VACUUM) and - with the
  session switch `autofin.ledger_maintenance = on` as a deliberate second act - TRUNCATE them
  (restoring a copy, a test database's teardown). The migrating login is a member of it.
* `autofin_app` is what the application's login role is granted: SELECT, INSERT, UPDATE, DELETE
  on the other tables, but only SELECT and INSERT on the ledger. It cannot UPDATE, DELETE or
  TRUNCATE an entry or a line, whatever it sets; a correction is a reversing entry.

A superuser (dev, CI, the embedded server) is a member of every role, so the roles change
nothing there but are created, owned and granted the same way as in production. In production
the application must connect as a login role that is a member of `autofin_app` only.

The migration `0010_dbguard_ledger_roles` applies this when it can: as a superuser it creates
the roles; otherwise it needs them to exist and the migrating login to be a member of
`autofin_maint`, and it prints what a DBA must run when they are not (`manage.py ledger_roles
--sql`, docs/ledger_roles.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection, transaction

MAINT_ROLE = "autofin_maint"
APP_ROLE = "autofin_app"
LEDGER_TABLES = ("servicing_journalentry", "servicing_journalline")
LEDGER_FUNCTIONS = (
    "servicing_journal_line_balance_check()",
    "servicing_journal_entry_has_lines()",
    "servicing_ledger_append_only()",
    "servicing_ledger_no_truncate()",
    "servicing_ledger_maintainer()",
)
MAINTENANCE_SWITCH = "autofin.ledger_maintenance"

# Creating roles needs a superuser (or CREATEROLE); both are cluster-wide, created once for
# every database of the cluster, and never changed when they exist (a DBA may have made them).
ROLES_SQL = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{MAINT_ROLE}') THEN
        CREATE ROLE {MAINT_ROLE} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- created meanwhile by a migration of another database of the cluster
END
$$;
"""  # noqa: S608 - role names are the constants above


def grants_sql(schema: str) -> str:
    """Ownership of the ledger by the maintenance role and the application role's privileges.
    Needs the migrating login to own the tables and be a member of the maintenance role."""
    tables = ", ".join(LEDGER_TABLES)
    parents = ", ".join(f"'{table}'" for table in LEDGER_TABLES)
    lines = [f"ALTER TABLE {table} OWNER TO {MAINT_ROLE};" for table in LEDGER_TABLES]
    lines += [f"ALTER FUNCTION {fn} OWNER TO {MAINT_ROLE};" for fn in LEDGER_FUNCTIONS]
    lines += [
        f'GRANT USAGE ON SCHEMA "{schema}" TO {APP_ROLE};',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO {APP_ROLE};',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {APP_ROLE};',
        f"REVOKE ALL ON {tables} FROM {APP_ROLE};",
        f"REVOKE ALL ON {tables} FROM PUBLIC;",
        f"GRANT SELECT, INSERT ON {tables} TO {APP_ROLE};",
        # the lines' month partitions (migration 0038) are tables of the schema too: the grant
        # on all tables above reached them; the application reads and appends via the parent only
        "DO $$ DECLARE p regclass; BEGIN FOR p IN SELECT i.inhrelid::regclass FROM pg_inherits i"  # noqa: S608 - constants
        f" WHERE i.inhparent = ANY (ARRAY[{parents}]::regclass[]) LOOP"
        f" EXECUTE format('REVOKE ALL ON %s FROM {APP_ROLE}, PUBLIC', p); END LOOP; END $$;",
        # tables later migrations create (as the migrating login) get the same privileges
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" '
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE};",
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" '
        f"GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE};",
    ]
    return "\n".join(lines)


def roles_status(cursor) -> dict[str, bool]:
    """What the current login may do: superuser, roles present, member of the maintenance role."""
    cursor.execute(
        """
        SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
               EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s),
               EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)
        """,
        [MAINT_ROLE, APP_ROLE],
    )
    superuser, maint, app = cursor.fetchone()
    member = False
    if maint:
        cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [MAINT_ROLE])
        member = cursor.fetchone()[0]
    return {"superuser": bool(superuser), "roles": maint and app, "maintainer": member}


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def dba_sql(migrating_login: str) -> str:
    """What a superuser runs once per cluster when the migrating login is not one."""
    return (
        ROLES_SQL.strip()
        + f"\nGRANT {MAINT_ROLE} TO {_quoted(migrating_login)};\n"
        + f"-- and for each login the application connects as:\n-- GRANT {APP_ROLE} TO <login>;\n"
    )


def ledger_roles_apply(cursor) -> str | None:
    """Create the roles if allowed and give the ledger to the maintenance role. Returns None when
    done, else the note saying what is missing (nothing was changed)."""
    status = roles_status(cursor)
    if status["superuser"]:
        cursor.execute(ROLES_SQL)
    elif not (status["roles"] and status["maintainer"]):
        cursor.execute("SELECT current_user")
        login = cursor.fetchone()[0]
        return (
            f"Ledger roles not set up: the migrating login {login!r} is not a superuser and "
            f"roles {MAINT_ROLE}/{APP_ROLE} are missing or it is not a member of {MAINT_ROLE}. "
            f"A superuser runs the SQL of `manage.py ledger_roles --sql`, then "
            f"`manage.py ledger_roles` (docs/ledger_roles.md)."
        )
    cursor.execute("SELECT current_schema()")
    cursor.execute(grants_sql(cursor.fetchone()[0]))
    return None


@contextlib.contextmanager
def ledger_maintenance() -> Iterator:
    """A transaction run as the maintenance role with the maintenance switch on: for DDL on the
    ledger (partitions, indexes) and for emptying it (TRUNCATE), which nothing else may do.
    The session's login must be a member of the maintenance role. Yields a cursor."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {MAINT_ROLE}")
        cursor.execute(f"SET LOCAL {MAINTENANCE_SWITCH} = 'on'")
        yield cursor
        # SET LOCAL outlives a savepoint: an enclosing transaction goes on as before
        cursor.execute(f"SET LOCAL {MAINTENANCE_SWITCH} = 'off'")
        cursor.execute("SET LOCAL ROLE NONE")
