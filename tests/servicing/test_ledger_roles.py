"""The ledger's database roles: the application's role may read and append, never change or
empty the ledger, whatever it sets; only the maintenance role's switch lets the ledger be
emptied (servicing.ledger_roles, migration 0010_dbguard_ledger_roles)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import psycopg2
import psycopg2.errors
import pytest
from django.core.management import call_command
from django.db import IntegrityError, ProgrammingError, connection, transaction

from servicing.ledger_roles import APP_ROLE, MAINT_ROLE, ledger_maintenance, ledger_roles_apply
from servicing.models import AccountCode as A
from servicing.models import JournalEntry, JournalLine
from servicing.selectors.ledger import loan_balances
from servicing.services.ledger.posting import journal_post
from servicing.services.ledger.reversal import journal_entry_reverse
from tests.servicing.ledger_support import ledger_loans

pytestmark = pytest.mark.django_db

D = Decimal
REFUSED_TO_THE_APP = [
    "UPDATE servicing_journalline SET amount = amount + 1",
    "UPDATE servicing_journalentry SET description = 'changed'",
    "DELETE FROM servicing_journalline",
    "DELETE FROM servicing_journalentry",
    "TRUNCATE servicing_journalline, servicing_journalentry",
]
CONNECT_KEYS = {"database", "dbname", "host", "port", "user", "password"}
DAY = dt.date(2026, 3, 16)
LOAN = 4301


def _post(key: str = "roles:1") -> JournalEntry:
    ledger_loans([LOAN])
    return journal_post(
        business_date=DAY,
        source_type="disbursement",
        source_id="1",
        lines=[
            (A.PRINCIPAL_RECEIVABLE, "D", D("120000.00"), LOAN),
            (A.BANK_CLEARING, "C", D("120000.00"), LOAN),
        ],
        idempotency_key=key,
        actor="test",
    )


def _ledger() -> list[tuple]:
    return sorted(
        JournalLine.objects.values_list("entry_id", "account__code", "side", "amount", "loan_id")
    )


def _as(cursor, role: str) -> None:
    cursor.execute(f"SET LOCAL ROLE {role}")
    cursor.execute("SELECT current_user")
    assert cursor.fetchone()[0] == role


def test_the_ledger_belongs_to_the_maintenance_role_and_the_app_may_only_read_and_append():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_userbyid(c.relowner),
                   has_table_privilege(%s, c.oid, 'SELECT'),
                   has_table_privilege(%s, c.oid, 'INSERT'),
                   has_table_privilege(%s, c.oid, 'UPDATE'),
                   has_table_privilege(%s, c.oid, 'DELETE'),
                   has_table_privilege(%s, c.oid, 'TRUNCATE')
              FROM pg_class c
             WHERE c.relname IN ('servicing_journalentry', 'servicing_journalline',
                                 'servicing_loan')
             ORDER BY c.relname
            """,
            [APP_ROLE] * 5,
        )
        rows = cursor.fetchall()
    owner = rows[2][1]
    assert rows == [
        ("servicing_journalentry", MAINT_ROLE, True, True, False, False, False),
        ("servicing_journalline", MAINT_ROLE, True, True, False, False, False),
        ("servicing_loan", owner, True, True, True, True, False),
    ]


@pytest.mark.parametrize("sql", REFUSED_TO_THE_APP)
def test_the_app_role_cannot_change_or_empty_the_ledger_even_with_the_switch_on(sql):
    entry = _post()
    before = _ledger()
    with (
        pytest.raises(ProgrammingError, match="permission denied") as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _as(cursor, APP_ROLE)
        cursor.execute("SET LOCAL autofin.ledger_maintenance = 'on'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql)
    assert refused.value.__cause__.pgcode == "42501"  # insufficient_privilege
    assert _ledger() == before and len(before) == 2
    assert JournalEntry.objects.get(pk=entry.pk).description == ""


@pytest.fixture
def app_login():
    """A real login granted the application role, as production's DATABASE_URL login is
    (docs/ledger_roles.md): committed, so a second connection can use it, and dropped after."""
    name = f"autofin_app_login_{uuid.uuid4().hex[:8]}"
    params = {k: v for k, v in connection.get_connection_params().items() if k in CONNECT_KEYS}
    admin = psycopg2.connect(**params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN IN ROLE {APP_ROLE}")
    try:
        login = psycopg2.connect(**{**params, "user": name, "password": ""})
        try:
            yield login
        finally:
            login.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP ROLE {name}")
        admin.close()


@pytest.mark.parametrize("sql", REFUSED_TO_THE_APP)
def test_a_login_connected_with_the_app_role_cannot_change_or_empty_the_ledger(app_login, sql):
    with app_login.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM servicing_journalline")  # it may read
        cursor.execute("SET autofin.ledger_maintenance = 'on'")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(sql)
    app_login.rollback()
    with app_login.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege('servicing_journalline', 'INSERT'), "
            "has_table_privilege('servicing_journalentry', 'INSERT')"
        )
        assert cursor.fetchone() == (True, True)  # and append


def test_the_app_role_posts_reverses_and_reads_with_insert_and_select_alone():
    with transaction.atomic(), connection.cursor() as cursor:
        ledger_loans([LOAN])
        _as(cursor, APP_ROLE)
        entry = _post()
        reversal = journal_entry_reverse(entry_id=entry.pk, reason="错账", actor="test")
        again = journal_entry_reverse(entry_id=entry.pk, reason="错账", actor="test")
        balances = loan_balances(loan_id=LOAN)
        cursor.execute("SET LOCAL ROLE NONE")
    assert again.pk == reversal.pk and reversal.reverses_id == entry.pk
    assert balances == {A.PRINCIPAL_RECEIVABLE: D("0.00"), A.BANK_CLEARING: D("0.00")}
    assert JournalEntry.objects.count() == 2 and JournalLine.objects.count() == 4


def test_the_switch_alone_no_longer_lets_a_session_empty_the_ledger():
    """A role that may TRUNCATE (as the old owner of the tables could) but is not the
    maintenance role: the guard refuses it though it sets the switch."""
    _post()
    before = _ledger()
    with (
        pytest.raises(IntegrityError, match="TRUNCATE on .* refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("CREATE ROLE autofin_dbguard_probe NOLOGIN")  # rolled back with the test
        cursor.execute(
            "GRANT SELECT, TRUNCATE ON servicing_journalline, servicing_journalentry "
            "TO autofin_dbguard_probe"
        )
        _as(cursor, "autofin_dbguard_probe")
        cursor.execute("SET LOCAL autofin.ledger_maintenance = 'on'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE servicing_journalline, servicing_journalentry")
    assert _ledger() == before


def test_the_maintenance_role_empties_the_ledger_only_with_the_switch():
    _post()
    before = _ledger()
    with (
        pytest.raises(IntegrityError, match="TRUNCATE on .* refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _as(cursor, MAINT_ROLE)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE servicing_journalline, servicing_journalentry")
    assert _ledger() == before

    with transaction.atomic():
        with ledger_maintenance() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE servicing_journalline, servicing_journalentry")
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == MAINT_ROLE
        assert _ledger() == []
        with connection.cursor() as cursor:  # the enclosing transaction goes on as before
            cursor.execute(
                "SELECT current_user = session_user, current_setting(%s)",
                ["autofin.ledger_maintenance"],
            )
            assert cursor.fetchone() == (True, "off")
        transaction.set_rollback(True)
    assert _ledger() == before


def test_a_login_that_may_not_set_up_the_roles_gets_a_note_and_nothing_changes():
    with transaction.atomic(), connection.cursor() as cursor:
        _as(cursor, APP_ROLE)
        note = ledger_roles_apply(cursor)
        cursor.execute("SET LOCAL ROLE NONE")
        cursor.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'servicing_journalline'"
        )
        owner = cursor.fetchone()[0]
    assert note is not None and "ledger_roles --sql" in note and APP_ROLE in note
    assert owner == MAINT_ROLE


def test_the_setup_command_is_idempotent_and_prints_the_dba_sql(capsys):
    call_command("ledger_roles")
    call_command("ledger_roles", "--sql")
    out = capsys.readouterr().out
    assert "ledger owned by autofin_maint" in out
    assert f"CREATE ROLE {MAINT_ROLE} NOLOGIN" in out and f"GRANT {MAINT_ROLE} TO " in out


def test_a_posting_to_a_loan_that_does_not_exist_is_refused_at_commit():
    with pytest.raises(IntegrityError, match="servicing_loan"), transaction.atomic():
        journal_post(
            business_date=DAY,
            source_type="adjustment",
            source_id="x",
            lines=[
                (A.FEE_RECEIVABLE, "D", D("1.00"), 987_654_321),
                (A.FEE_INCOME, "C", D("1.00"), 987_654_321),
            ],
            idempotency_key="roles:no-loan",
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert JournalEntry.objects.count() == 0
