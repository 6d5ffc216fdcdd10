"""The double-entry ledger: posting, the database's own guards, reversal, idempotency, balances."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models.deletion import ProtectedError
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autofin.models import AuditEntry
from autofin.roles import Role
from servicing.models import AccountCode as A
from servicing.models import JournalEntry, JournalLine, LedgerAccount, Side
from servicing.models.loans import Loan
from servicing.selectors.ledger import account_balance, loan_balances, trial_balance
from servicing.services.hotpath import statements_run
from servicing.services.ledger.entries import (
    EntrySpec,
    IdempotencyConflictError,
    InvalidLineError,
    LedgerError,
    UnbalancedEntryError,
    UnknownAccountError,
)
from servicing.services.ledger.posting import journal_post, journal_post_many
from servicing.services.ledger.reversal import journal_entry_reverse
from tests.factories import UserFactory
from tests.servicing.ledger_support import ledger_loans

D = Decimal
DAY = dt.date(2026, 3, 16)
LOAN = 4201


@pytest.fixture(autouse=True)
def _loans(request):
    """The loans these tests post to (the ledger's loan key references loans)."""
    names = request.fixturenames
    if "transactional_db" in names or "db" in names:
        request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
        ledger_loans([LOAN, LOAN + 1])


def _counts() -> tuple[int, int]:
    return JournalEntry.objects.count(), JournalLine.objects.count()


def _disbursement_lines(loan_id: int = LOAN) -> list[tuple]:
    return [
        (A.PRINCIPAL_RECEIVABLE, "D", D("120000.00"), loan_id),
        (A.DEALER_PAYABLE, "C", D("110000.00"), loan_id),
        (A.INSURER_PAYABLE, "C", D("6500.50"), loan_id),
        (A.TAX_PAYABLE, "C", D("3499.50"), loan_id),
    ]


def _post_disbursement(key: str = "disb:1", loan_id: int = LOAN, actor=None) -> JournalEntry:
    return journal_post(
        business_date=DAY,
        source_type="disbursement",
        source_id="1",
        lines=_disbursement_lines(loan_id),
        idempotency_key=key,
        description="放款",
        actor=actor,
    )


def _account_id(code: str) -> int:
    return LedgerAccount.objects.get(code=code).pk


def _raw_header(cursor, key: str) -> int:
    cursor.execute(
        "INSERT INTO servicing_journalentry (business_date, source_type, source_id, description,"
        " idempotency_key, created_by_label) VALUES (%s, 'adjustment', 'raw', '', %s, 'psql')"
        " RETURNING id",
        [DAY, key],
    )
    return cursor.fetchone()[0]


def _raw_lines(cursor, rows: list[tuple[int, str, str, str]]) -> None:
    """rows of (entry_id, account_code, side, amount), inserted by ONE statement, each line
    carrying its entry's business date as the posting code writes it."""
    values = ", ".join(
        [
            "(%s, (SELECT id FROM servicing_ledgeraccount WHERE code = %s), %s, %s,"
            " coalesce((SELECT business_date FROM servicing_journalentry WHERE id = %s), %s))"
        ]
        * len(rows)
    )
    cursor.execute(
        "INSERT INTO servicing_journalline (entry_id, account_id, side, amount, business_date)"
        f" VALUES {values}",
        [v for row in rows for v in (*row, row[0], DAY)],
    )


# --- the chart ---------------------------------------------------------------------------


def test_chart_of_accounts_is_seeded_with_types_and_normal_sides(db):
    chart = {a.code: (a.account_type, a.normal_side) for a in LedgerAccount.objects.all()}
    assert set(chart) == {code.value for code in A}
    assert chart[A.PRINCIPAL_RECEIVABLE] == ("asset", "D")
    assert chart[A.CUSTOMER_SUSPENSE] == ("liability", "C")
    assert chart[A.INTEREST_INCOME] == ("income", "C")
    assert chart[A.CHARGE_OFF_EXPENSE] == ("expense", "D")
    assert chart[A.OFF_BALANCE_INTEREST] == ("memo", "D")
    assert chart[A.OFF_BALANCE_INTEREST_CONTRA] == ("memo", "C")
    assert LedgerAccount.objects.get(code=A.GPS_PAYABLE).name == "应付 GPS 服务商款"


# --- posting -----------------------------------------------------------------------------


def test_balanced_entry_posts_with_its_lines_and_balances(db):
    user = UserFactory(roles=[Role.FINANCE_OPERATOR])

    entry = _post_disbursement(actor=user)

    stored = JournalEntry.objects.get(pk=entry.pk)
    assert (stored.business_date, stored.source_type, stored.source_id) == (
        DAY,
        "disbursement",
        "1",
    )
    assert stored.loan_id == LOAN  # the one loan its lines name
    assert stored.created_by_id == user.pk and stored.created_by_label == user.username
    assert stored.posted_at is not None and stored.posted_at == entry.posted_at
    assert sorted(stored.lines.values_list("account__code", "side", "amount", "loan_id")) == sorted(
        [(str(c), s, a, loan) for c, s, a, loan in _disbursement_lines()]
    )
    assert account_balance(account_code=A.PRINCIPAL_RECEIVABLE) == D("120000.00")
    assert account_balance(account_code=A.DEALER_PAYABLE) == D("110000.00")
    assert loan_balances(loan_id=LOAN) == {
        A.PRINCIPAL_RECEIVABLE: D("120000.00"),
        A.DEALER_PAYABLE: D("110000.00"),
        A.INSURER_PAYABLE: D("6500.50"),
        A.TAX_PAYABLE: D("3499.50"),
    }


def test_posting_writes_the_header_and_all_lines_in_one_statement(db):
    with CaptureQueriesContext(connection) as ctx:
        entry = _post_disbursement()
    writes = [s for s in statements_run(ctx.captured_queries) if "INSERT" in s]
    assert len(writes) == 1
    assert "servicing_journalentry" in writes[0] and "servicing_journalline" in writes[0]
    assert entry.lines.count() == len(_disbursement_lines())


def test_unbalanced_entry_is_refused_in_python_and_nothing_is_written(db):
    with pytest.raises(UnbalancedEntryError, match="借贷不平"):
        journal_post(
            business_date=DAY,
            source_type="repayment",
            source_id="9",
            lines=[
                (A.BANK_CLEARING, "D", "100.00", LOAN),
                (A.PRINCIPAL_RECEIVABLE, "C", "99.99", LOAN),
            ],
            idempotency_key="rep:9",
        )
    assert _counts() == (0, 0)


@pytest.mark.parametrize(
    ("lines", "error", "message"),
    [
        (
            [(A.BANK_CLEARING, "D", "0.00"), (A.CUSTOMER_SUSPENSE, "C", "0.00")],
            InvalidLineError,
            "大于零",
        ),
        (
            [(A.BANK_CLEARING, "D", "-5.00"), (A.CUSTOMER_SUSPENSE, "C", "-5.00")],
            InvalidLineError,
            "大于零",
        ),
        (
            [(A.BANK_CLEARING, "D", "1.005"), (A.CUSTOMER_SUSPENSE, "C", "1.005")],
            InvalidLineError,
            "两位小数",
        ),
        (
            [(A.BANK_CLEARING, "D", 1.5), (A.CUSTOMER_SUSPENSE, "C", 1.5)],
            InvalidLineError,
            "金额无效",
        ),
        (
            [(A.BANK_CLEARING, "X", "1.00"), (A.CUSTOMER_SUSPENSE, "C", "1.00")],
            InvalidLineError,
            "借贷方向",
        ),
        (
            [("no_such_account", "D", "1.00"), (A.CUSTOMER_SUSPENSE, "C", "1.00")],
            UnknownAccountError,
            "no_such_account",
        ),
        ([(A.BANK_CLEARING, "D", "1.00")], UnbalancedEntryError, "至少需要两行"),
        ([], UnbalancedEntryError, "至少需要两行"),
    ],
)
def test_invalid_lines_are_refused_and_nothing_is_written(db, lines, error, message):
    with pytest.raises(error, match=message):
        journal_post(
            business_date=DAY,
            source_type="repayment",
            source_id="9",
            lines=lines,
            idempotency_key="rep:9",
        )
    assert _counts() == (0, 0)


def test_sides_may_be_spelt_out(db):
    entry = journal_post(
        business_date=DAY,
        source_type="deposit",
        source_id="dealer:7",
        lines=[(A.BANK_CLEARING, "debit", "5000"), (A.DEALER_DEPOSIT, Side.CREDIT, "5000.00")],
        idempotency_key="dep:7",
    )
    assert entry.loan_id is None
    assert account_balance(account_code=A.DEALER_DEPOSIT) == D("5000.00")


# --- idempotency -------------------------------------------------------------------------


def test_replay_with_the_same_key_returns_the_first_entry(db):
    first = _post_disbursement()

    again = journal_post(
        business_date=DAY + dt.timedelta(days=1),  # a retry across the night: same entry
        source_type="disbursement",
        source_id="1",
        lines=list(reversed(_disbursement_lines())),  # line order does not matter
        idempotency_key="disb:1",
    )

    assert again.pk == first.pk and again.business_date == DAY
    assert _counts() == (1, 4)


def test_replay_with_the_same_key_but_other_lines_raises_a_conflict(db):
    first = _post_disbursement()
    lines = _disbursement_lines()
    lines[0] = (A.PRINCIPAL_RECEIVABLE, "D", D("120000.01"), LOAN)
    lines[1] = (A.DEALER_PAYABLE, "C", D("110000.01"), LOAN)

    with pytest.raises(IdempotencyConflictError, match=f"#{first.pk}"):
        journal_post(
            business_date=DAY,
            source_type="disbursement",
            source_id="1",
            lines=lines,
            idempotency_key="disb:1",
        )
    with pytest.raises(IdempotencyConflictError):
        journal_post(
            business_date=DAY,
            source_type="disbursement",
            source_id="2",  # another document under the same key
            lines=_disbursement_lines(),
            idempotency_key="disb:1",
        )
    assert _counts() == (1, 4)
    assert account_balance(account_code=A.PRINCIPAL_RECEIVABLE) == D("120000.00")


@pytest.mark.slow
def test_concurrent_postings_with_one_key_create_exactly_one_entry(transactional_db):
    """Thread A holds its entry uncommitted; B posts the same key, waits, then gets A's entry.
    Then eight threads race on another key from a barrier."""
    results: dict[str, int] = {}
    errors: list[BaseException] = []
    a_posted = threading.Event()

    def thread_a():
        try:
            with transaction.atomic():
                results["a"] = _post_disbursement(key="race:1").pk
                a_posted.set()
                threading.Event().wait(0.5)  # B is now blocked on A's uncommitted key
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            a_posted.set()
        finally:
            connection.close()

    def thread_b():
        try:
            a_posted.wait(5)
            results["b"] = _post_disbursement(key="race:1").pk
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert results["a"] == results["b"]

    barrier = threading.Barrier(8)
    ids: list[int] = []

    def racer():
        try:
            barrier.wait(5)
            ids.append(_post_disbursement(key="race:2", loan_id=LOAN + 1).pk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    racers = [threading.Thread(target=racer) for _ in range(8)]
    for t in racers:
        t.start()
    for t in racers:
        t.join(20)
    assert errors == []
    assert len(ids) == 8 and len(set(ids)) == 1
    assert JournalEntry.objects.filter(idempotency_key__in=["race:1", "race:2"]).count() == 2
    assert JournalLine.objects.count() == 8
    assert trial_balance().total == D("0.00")


@pytest.mark.slow
def test_concurrent_bulk_postings_with_overlapping_keys_post_each_entry_once(transactional_db):
    """Two nightly-batch workers post the same 3,000 entries, in opposite orders, at once."""
    specs = _accrual_specs(3000)
    results: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(name, batch):
        try:
            barrier.wait(5)
            results[name] = journal_post_many(entries=batch, actor="eod")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=("forward", specs)),
        threading.Thread(target=worker, args=("backward", specs[::-1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert results["forward"] == results["backward"][::-1]
    assert _counts() == (3000, 6000)
    assert trial_balance().total == D("0.00")


# --- the database's own guards -----------------------------------------------------------


def test_database_refuses_unbalanced_lines_inserted_by_raw_sql(transactional_db):
    with (
        pytest.raises(IntegrityError, match="journal entry .* refused: net 0.01 over 2"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry_id = _raw_header(cursor, "raw:unbalanced")
        _raw_lines(
            cursor,
            [
                (entry_id, A.BANK_CLEARING, "D", "100.00"),
                (entry_id, A.CUSTOMER_SUSPENSE, "C", "99.99"),
            ],
        )
    assert _counts() == (0, 0)


def test_database_refuses_an_entry_left_without_lines_at_commit(transactional_db):
    with (
        pytest.raises(IntegrityError, match="has no lines"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_header(cursor, "raw:empty")  # accepted now, refused at COMMIT
    assert _counts() == (0, 0)


def test_database_refuses_lines_one_statement_at_a_time_and_lines_added_later(transactional_db):
    with (
        pytest.raises(IntegrityError, match="over 1 line"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry_id = _raw_header(cursor, "raw:one-by-one")
        _raw_lines(cursor, [(entry_id, A.BANK_CLEARING, "D", "10.00")])
        _raw_lines(cursor, [(entry_id, A.CUSTOMER_SUSPENSE, "C", "10.00")])
    assert _counts() == (0, 0)

    entry = journal_post(
        business_date=DAY,
        source_type="repayment",
        source_id="5",
        lines=[(A.BANK_CLEARING, "D", "10.00"), (A.CUSTOMER_SUSPENSE, "C", "10.00")],
        idempotency_key="rep:5",
    )
    with (
        pytest.raises(IntegrityError, match=f"journal entry {entry.pk} refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # balanced in itself, but the entry is posted: its lines are fixed
        _raw_lines(
            cursor,
            [
                (entry.pk, A.BANK_CLEARING, "D", "1.00"),
                (entry.pk, A.CUSTOMER_SUSPENSE, "C", "1.00"),
            ],
        )
    with (
        pytest.raises(IntegrityError, match="no such entry"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_lines(
            cursor,
            [
                (entry.pk + 1000, A.BANK_CLEARING, "D", "1.00"),
                (entry.pk + 1000, A.CUSTOMER_SUSPENSE, "C", "1.00"),
            ],
        )
    assert _counts() == (1, 2)


# --- the guard that stands for the lines' foreign keys (migration 0049) ---------------------


def _raw_named_lines(cursor, entry_id: int, column: str, value: int) -> None:
    """Two balancing lines of one statement, both naming `value` in `column`."""
    cursor.execute(
        "INSERT INTO servicing_journalline"  # noqa: S608 - column is one of the test's constants
        f" (entry_id, account_id, side, amount, business_date, {column})"
        " SELECT %s, a.id, s.side, 1.00, %s, %s FROM servicing_ledgeraccount a"
        " JOIN (VALUES ('bank_clearing', 'D'), ('customer_suspense', 'C')) s(code, side)"
        " ON a.code = s.code",
        [entry_id, DAY, value],
    )


@pytest.mark.parametrize(
    ("column", "table"),
    [
        ("loan_id", "servicing_loan"),
        ("dealer_id", "dealers_dealer"),
    ],
)
def test_database_refuses_a_line_naming_a_row_that_does_not_exist(db, column, table):
    with (
        pytest.raises(IntegrityError, match=f"{table} 987654 does not exist"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry_id = _raw_header(cursor, f"raw:missing-{column}")
        _raw_named_lines(cursor, entry_id, column, 987654)
    assert _counts() == (0, 0)


def test_database_refuses_a_line_naming_an_account_that_does_not_exist(db):
    with (
        pytest.raises(IntegrityError, match="servicing_ledgeraccount 987654 does not exist"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry_id = _raw_header(cursor, "raw:missing-account")
        cursor.execute(
            "INSERT INTO servicing_journalline (entry_id, account_id, side, amount, business_date)"
            " VALUES (%s, %s, 'D', 1.00, %s), (%s, %s, 'C', 1.00, %s)",
            [entry_id, _account_id(A.BANK_CLEARING), DAY, entry_id, 987654, DAY],
        )
    assert _counts() == (0, 0)


def test_a_row_the_ledger_names_cannot_be_deleted_rekeyed_or_truncated(db):
    # an entry naming no loan (the entries' own loan key is an ordinary foreign key): only its
    # lines name the loan
    with connection.cursor() as cursor:
        _raw_named_lines(cursor, _raw_header(cursor, "raw:named"), "loan_id", LOAN)
    spare = LOAN + 1  # named by no line: free to go
    refusals = [
        (f"DELETE FROM servicing_loan WHERE id IN ({LOAN}, {spare})", f"row {LOAN}"),
        (f"UPDATE servicing_loan SET id = 987654 WHERE id = {LOAN}", f"row {LOAN}"),
        # TRUNCATE of the loans would reach the entries (their key) first: the accounts
        ("TRUNCATE servicing_ledgeraccount CASCADE", "its rows"),
    ]
    for sql, named in refusals:
        with (
            pytest.raises(IntegrityError, match=f"journal lines name {named}"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL autofin.ledger_maintenance = 'off'")
            # fire the pending deferred checks, else TRUNCATE stops at "pending trigger events"
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE servicing_loan SET contract_ref = 'X-1' WHERE id = %s", [LOAN])
        cursor.execute("DELETE FROM servicing_loan WHERE id = %s", [spare])
    assert sorted(Loan.objects.values_list("pk", "contract_ref")) == [(LOAN, "X-1")]
    assert _counts() == (1, 2)


def test_a_posting_locks_the_rows_it_names_until_it_commits(transactional_db):
    """As the foreign key's check did (FOR KEY SHARE): a concurrent DELETE of the loan waits
    for the posting, then finds its lines and is refused."""
    posted = threading.Event()
    release = threading.Event()

    def post() -> None:
        try:
            with transaction.atomic():
                _post_disbursement(key="lock:1")
                posted.set()
                release.wait(10)
        finally:
            connection.close()

    poster = threading.Thread(target=post)
    poster.start()
    assert posted.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            cursor.execute("DELETE FROM servicing_loan WHERE id = %s", [LOAN])
        release.set()
        poster.join(10)
        cursor.execute("SET lock_timeout = 0")
        with (
            pytest.raises(IntegrityError, match=f"journal lines name row {LOAN}"),
            transaction.atomic(),
        ):
            cursor.execute("DELETE FROM servicing_loan WHERE id = %s", [LOAN])
    assert Loan.objects.filter(pk=LOAN).exists()
    assert _counts() == (1, 4)


def test_database_accepts_a_balanced_raw_sql_entry(transactional_db):
    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = _raw_header(cursor, "raw:ok")
        _raw_lines(
            cursor,
            [
                (entry_id, A.BANK_CLEARING, "D", "100.00"),
                (entry_id, A.PRINCIPAL_RECEIVABLE, "C", "60.00"),
                (entry_id, A.INTEREST_RECEIVABLE, "C", "40.00"),
            ],
        )
    assert _counts() == (1, 3)
    assert trial_balance().total == D("0.00")


def test_database_refuses_zero_amounts_and_unknown_sides(db):
    entry = _post_disbursement()
    for side, amount in (("D", "0.00"), ("X", "1.00"), ("D", "-1.00")):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            _raw_lines(cursor, [(entry.pk, A.BANK_CLEARING, side, amount)] * 2)
    assert _counts() == (1, 4)


def test_update_delete_and_truncate_are_refused_by_the_database(db):
    entry = _post_disbursement()
    line = entry.lines.first()
    statements = [
        "UPDATE servicing_journalline SET amount = amount + 1",
        "UPDATE servicing_journalentry SET description = 'changed'",
        "DELETE FROM servicing_journalline",
        "DELETE FROM servicing_journalentry",
        "TRUNCATE servicing_journalline, servicing_journalentry",
    ]
    for sql in statements:
        with (
            pytest.raises(IntegrityError, match="refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL autofin.ledger_maintenance = 'off'")
            # fire the pending deferred checks, else TRUNCATE stops at "pending trigger events"
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql)
    # the ORM is refused by the same triggers (or by PROTECT before it reaches them)
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(description="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        line.amount = D("1.00")
        line.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        line.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        entry.delete()

    stored = JournalEntry.objects.get(pk=entry.pk)
    assert stored.description == "放款"
    assert sorted(stored.lines.values_list("amount", flat=True)) == [
        D("3499.50"),
        D("6500.50"),
        D("110000.00"),
        D("120000.00"),
    ]


# --- reversal ----------------------------------------------------------------------------


def test_reversal_mirrors_the_entry_links_it_nets_to_zero_and_is_idempotent(db):
    user = UserFactory(roles=[Role.FINANCE_APPROVER])
    original = _post_disbursement()

    reversal = journal_entry_reverse(
        entry_id=original.pk, reason="放款金额录错", actor=user, business_date=DAY
    )

    assert reversal.reverses_id == original.pk
    assert JournalEntry.objects.get(pk=original.pk).reversed_by.pk == reversal.pk
    assert reversal.loan_id == LOAN and reversal.source_type == "disbursement"
    mirrored = {"D": "C", "C": "D"}
    assert sorted(
        reversal.lines.values_list("account__code", "side", "amount", "loan_id")
    ) == sorted((str(c), mirrored[s], a, loan) for c, s, a, loan in _disbursement_lines())
    assert loan_balances(loan_id=LOAN) == {
        A.PRINCIPAL_RECEIVABLE: D("0.00"),
        A.DEALER_PAYABLE: D("0.00"),
        A.INSURER_PAYABLE: D("0.00"),
        A.TAX_PAYABLE: D("0.00"),
    }
    audit = AuditEntry.objects.get(action="journal_entry_reverse")
    assert (audit.object_id, audit.reason, audit.actor_id) == (
        str(original.pk),
        "放款金额录错",
        user.pk,
    )
    assert audit.data == {"reversal_entry_id": reversal.pk}

    again = journal_entry_reverse(entry_id=original.pk, reason="再次冲正", actor=user)
    assert again.pk == reversal.pk
    assert _counts() == (2, 8)
    assert AuditEntry.objects.filter(action="journal_entry_reverse").count() == 1


def test_a_reversal_cannot_be_reversed_and_needs_a_reason(db):
    original = _post_disbursement()
    with pytest.raises(LedgerError, match="原因"):
        journal_entry_reverse(entry_id=original.pk, reason=" ", actor="eod")
    reversal = journal_entry_reverse(
        entry_id=original.pk, reason="错账", actor="eod", business_date=DAY
    )
    with pytest.raises(LedgerError, match="不能再冲正"):
        journal_entry_reverse(entry_id=reversal.pk, reason="错账", actor="eod")
    with pytest.raises(LedgerError, match="不存在"):
        journal_entry_reverse(entry_id=reversal.pk + 99, reason="错账", actor="eod")
    assert _counts() == (2, 8)
    assert reversal.created_by_label == "eod" and reversal.created_by_id is None


# --- bulk posting ------------------------------------------------------------------------


def _accrual_specs(count: int, *, start_loan: int = 10_000, day: dt.date = DAY) -> list[EntrySpec]:
    ledger_loans(range(start_loan, start_loan + count))
    return [
        EntrySpec(
            business_date=day,
            source_type="accrual",
            source_id=f"{day}:{start_loan + i}",
            lines=[
                (A.INTEREST_RECEIVABLE, "D", D("12.34") + D(i % 100) / 100, start_loan + i),
                (A.INTEREST_INCOME, "C", D("12.34") + D(i % 100) / 100, start_loan + i),
            ],
            idempotency_key=f"accrual:{day}:{start_loan + i}",
        )
        for i in range(count)
    ]


def test_bulk_posting_of_2000_entries_is_one_insert_and_balanced(db):
    specs = _accrual_specs(2000)

    with CaptureQueriesContext(connection) as ctx:
        ids = journal_post_many(entries=specs)

    writes = [s for s in statements_run(ctx.captured_queries) if "INSERT" in s]
    assert len(writes) == 1
    assert len(ids) == 2000 and len(set(ids)) == 2000
    assert _counts() == (2000, 4000)
    assert JournalEntry.objects.get(pk=ids[7]).idempotency_key == specs[7].idempotency_key
    expected = sum(D("12.34") + D(i % 100) / 100 for i in range(2000))
    assert account_balance(account_code=A.INTEREST_INCOME) == expected == D("25670.00")
    assert loan_balances(loan_id=10_007) == {
        A.INTEREST_RECEIVABLE: D("12.41"),
        A.INTEREST_INCOME: D("12.41"),
    }
    assert trial_balance().total == D("0.00")

    # the nightly batch re-run after a crash: nothing new, the same ids
    assert journal_post_many(entries=specs) == ids
    assert _counts() == (2000, 4000)


def test_bulk_posting_with_one_unbalanced_entry_refuses_the_whole_batch(db):
    specs = _accrual_specs(2000)
    bad = specs[1234]
    specs[1234] = EntrySpec(
        business_date=bad.business_date,
        source_type=bad.source_type,
        source_id=bad.source_id,
        lines=[bad.lines[0], (A.INTEREST_INCOME, "C", D("0.01"), bad.lines[0][3])],
        idempotency_key=bad.idempotency_key,
    )
    with pytest.raises(UnbalancedEntryError, match=bad.idempotency_key):
        journal_post_many(entries=specs)
    assert _counts() == (0, 0)


def test_bulk_replay_with_a_changed_entry_refuses_the_whole_batch(db):
    journal_post_many(entries=_accrual_specs(10))
    changed = _accrual_specs(12)
    changed[3] = EntrySpec(**{**changed[3].__dict__, "source_id": "other"})
    with pytest.raises(IdempotencyConflictError):
        journal_post_many(entries=changed)
    with pytest.raises(IdempotencyConflictError, match="重复"):
        journal_post_many(entries=_accrual_specs(3) + _accrual_specs(1))
    assert _counts() == (10, 20)


def test_bulk_posting_accepts_dicts(db):
    ids = journal_post_many(
        entries=[
            {
                "business_date": DAY,
                "source_type": "commission",
                "source_id": "dealer:3",
                "lines": [
                    (A.COMMISSION_EXPENSE, "D", "800.00"),
                    (A.COMMISSION_PAYABLE, "C", "800.00"),
                ],
                "idempotency_key": "commission:3",
            }
        ],
        actor="eod",
    )
    assert JournalEntry.objects.get(pk=ids[0]).created_by_label == "eod"


def test_database_refuses_a_bulk_statement_with_one_unbalanced_entry(db):
    with (
        pytest.raises(IntegrityError, match="journal entry .* refused: net -0.01 over 2"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entries = [_raw_header(cursor, f"raw:bulk:{i}") for i in range(50)]
        rows = []
        for i, entry_id in enumerate(entries):
            rows.append((entry_id, A.BANK_CLEARING, "D", "10.00"))
            rows.append((entry_id, A.CUSTOMER_SUSPENSE, "C", "10.01" if i == 37 else "10.00"))
        _raw_lines(cursor, rows)  # 100 lines, one statement: refused as a whole
    assert _counts() == (0, 0)


# --- balances ----------------------------------------------------------------------------


def test_trial_balance_is_zero_after_a_mix_of_postings_and_balances_respect_as_of(db):
    _post_disbursement()
    journal_post(
        business_date=DAY + dt.timedelta(days=1),
        source_type="accrual",
        source_id="d1",
        lines=[
            (A.INTEREST_RECEIVABLE, "D", "22.19", LOAN),
            (A.INTEREST_INCOME, "C", "22.19", LOAN),
        ],
        idempotency_key="acc:1",
    )
    journal_post(
        business_date=DAY + dt.timedelta(days=2),
        source_type="repayment",
        source_id="r1",
        lines=[
            (A.BANK_CLEARING, "D", "3000.00", LOAN),
            (A.INTEREST_RECEIVABLE, "C", "22.19", LOAN),
            (A.PRINCIPAL_RECEIVABLE, "C", "2900.00", LOAN),
            (A.CUSTOMER_SUSPENSE, "C", "77.81", LOAN),
        ],
        idempotency_key="rep:1",
    )
    journal_post(
        business_date=DAY + dt.timedelta(days=2),
        source_type="off_balance_interest",
        source_id="m1",
        lines=[
            (A.OFF_BALANCE_INTEREST, "D", "5.00", LOAN),
            (A.OFF_BALANCE_INTEREST_CONTRA, "C", "5.00", LOAN),
        ],
        idempotency_key="memo:1",
    )
    wrong = journal_post(
        business_date=DAY + dt.timedelta(days=2),
        source_type="fee",
        source_id="f1",
        lines=[(A.FEE_RECEIVABLE, "D", "300.00", LOAN), (A.FEE_INCOME, "C", "300.00", LOAN)],
        idempotency_key="fee:1",
    )
    journal_entry_reverse(
        entry_id=wrong.pk, reason="重复收费", actor="ops", business_date=DAY + dt.timedelta(days=2)
    )

    tb = trial_balance()
    assert tb.total == D("0.00")
    assert tb.debit == tb.credit == D("123627.19")
    by_code = {row.code: row for row in tb.rows}
    assert len(by_code) == len(A)
    assert by_code[A.PRINCIPAL_RECEIVABLE].balance == D("117100.00")
    assert by_code[A.FEE_INCOME].debit == by_code[A.FEE_INCOME].credit == D("300.00")
    assert by_code[A.ROUNDING].balance == D("0.00")
    assert loan_balances(loan_id=LOAN) == {
        A.PRINCIPAL_RECEIVABLE: D("117100.00"),
        A.INTEREST_RECEIVABLE: D("0.00"),
        A.FEE_RECEIVABLE: D("0.00"),
        A.BANK_CLEARING: D("3000.00"),
        A.CUSTOMER_SUSPENSE: D("77.81"),
        A.DEALER_PAYABLE: D("110000.00"),
        A.INSURER_PAYABLE: D("6500.50"),
        A.TAX_PAYABLE: D("3499.50"),
        A.INTEREST_INCOME: D("22.19"),
        A.FEE_INCOME: D("0.00"),
        A.OFF_BALANCE_INTEREST: D("5.00"),
        A.OFF_BALANCE_INTEREST_CONTRA: D("5.00"),
    }
    as_of = DAY + dt.timedelta(days=1)
    assert account_balance(account_code=A.INTEREST_RECEIVABLE, as_of=as_of) == D("22.19")
    assert loan_balances(loan_id=LOAN, as_of=DAY)[A.PRINCIPAL_RECEIVABLE] == D("120000.00")
    assert trial_balance(as_of=as_of).total == D("0.00")
    assert trial_balance(as_of=DAY - dt.timedelta(days=1)).debit == D("0.00")


ACCOUNTS = [code.value for code in A]


@st.composite
def balanced_entry(draw):
    """1-4 debits of random accounts and amounts; their total split over 1-4 credits."""
    debit_fen = draw(st.lists(st.integers(1, 9_999_999_999), min_size=1, max_size=4))
    total = sum(debit_fen)
    parts = draw(st.integers(1, min(4, total)))
    cuts = (
        sorted(draw(st.sets(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1)))
        if parts > 1
        else []
    )
    bounds = [0, *cuts, total]
    credit_fen = [hi - lo for lo, hi in zip(bounds, bounds[1:], strict=False)]
    sides = [("D", f) for f in debit_fen] + [("C", f) for f in credit_fen]
    return [
        (
            draw(st.sampled_from(ACCOUNTS)),
            side,
            D(fen) / 100,
            draw(st.sampled_from([None, 1, 2, 3])),
        )
        for side, fen in sides
    ]


_example = iter(range(10**9))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(balanced_entry(), min_size=1, max_size=5))
def test_random_balanced_entries_keep_the_trial_balance_at_zero(db, entries):
    n = next(_example)
    base = 1_000_000 + n * 10  # loan ids fresh for each example
    ledger_loans([base + 1, base + 2, base + 3])
    expected: dict[int, dict[str, Decimal]] = {}
    normal = dict(LedgerAccount.objects.values_list("code", "normal_side"))
    for i, lines in enumerate(entries):
        lines = [(c, s, a, None if loan is None else base + loan) for c, s, a, loan in lines]
        journal_post(
            business_date=DAY,
            source_type="adjustment",
            source_id=f"{n}:{i}",
            lines=lines,
            idempotency_key=f"hyp:{n}:{i}",
        )
        for code, side, amount, loan in lines:
            if loan is not None:
                sign = 1 if side == normal[code] else -1
                per_loan = expected.setdefault(loan, {})
                per_loan[code] = per_loan.get(code, D("0.00")) + sign * amount
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred checks now
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert trial_balance().total == D("0.00")
    for loan, balances in expected.items():
        assert loan_balances(loan_id=loan) == balances


# --- admin -------------------------------------------------------------------------------


def test_finance_sees_the_ledger_read_only_in_the_admin(db, client):
    entry = _post_disbursement()
    client.force_login(UserFactory(roles=[Role.FINANCE_OPERATOR]))

    listing = client.get("/admin/servicing/journalentry/")
    detail = client.get(f"/admin/servicing/journalentry/{entry.pk}/change/")
    chart = client.get("/admin/servicing/ledgeraccount/")

    assert listing.status_code == detail.status_code == chart.status_code == 200
    assert "110,000.00" in detail.content.decode() or "110000.00" in detail.content.decode()
    assert client.get("/admin/servicing/journalentry/add/").status_code == 403
    assert client.post(f"/admin/servicing/journalentry/{entry.pk}/delete/").status_code == 403
    assert _counts() == (1, 4)
