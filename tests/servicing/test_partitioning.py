"""Declarative partitioning (migration 0038, docs/scaling.md): journal lines by month of their
entry's date, schedule rows by loan hash; the ledger's guards per partition; partitions_ensure;
the guards that replaced the foreign keys to the schedule rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from autofin.business_date import business_date_current
from servicing.ledger_roles import ledger_maintenance
from servicing.models import JournalEntry, JournalLine
from servicing.models.loans import LoanScheduleRow, PenaltyAccrual
from servicing.models.repayments import Component, Repayment, RepaymentAllocation
from servicing.services.ledger import partitions
from servicing.services.ledger.entries import EntrySpec
from servicing.services.ledger.posting import journal_post, journal_post_many
from tests.servicing.ledger_support import ledger_loans

pytestmark = pytest.mark.django_db

D = Decimal
LOAN = 4301


@pytest.fixture(autouse=True)
def _loans(db):
    # Autouse: every posting here names the loan, which must exist first
    ledger_loans([LOAN])


def _future_month() -> dt.date:
    """A month the migration's window created ahead of the business date."""
    return partitions.month_add(partitions.month_start(business_date_current()), 2)


def _partition_of(table: str, row_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [row_id])
        return cursor.fetchone()[0]


def _raw_entry(cursor, day: dt.date, key: str) -> int:
    cursor.execute(
        "INSERT INTO servicing_journalentry (business_date, source_type, source_id, description,"
        " idempotency_key, created_by_label) VALUES (%s, 'adjustment', 'raw', '', %s, 'psql')"
        " RETURNING id",
        [day, key],
    )
    return cursor.fetchone()[0]


def _raw_lines(cursor, table: str, entry: int, day: dt.date, credit: str) -> None:
    # a partition has no identity of its own: its ids come from the parent's sequence
    cursor.execute(
        f"INSERT INTO {table} (id, entry_id, account_id, side, amount, business_date)"  # noqa: S608
        " SELECT nextval(pg_get_serial_sequence('servicing_journalline', 'id')),"
        " %s, a.id, s.side, s.amount, %s FROM servicing_ledgeraccount a"
        " JOIN (VALUES ('bank_clearing', 'D', 5.00), ('fee_income', 'C', %s::numeric))"
        " s(code, side, amount) ON a.code = s.code",
        [entry, day, credit],
    )


def test_a_posting_lands_in_its_months_partition_with_its_entrys_date():
    day = _future_month() + dt.timedelta(days=9)
    entry = journal_post(
        business_date=day,
        source_type="fee",
        source_id="p1",
        lines=[("fee_receivable", "D", "8.00", LOAN), ("fee_income", "C", "8.00", LOAN)],
        idempotency_key="partition:p1",
    )
    lines = list(JournalLine.objects.filter(entry=entry))
    assert [line.business_date for line in lines] == [day, day]
    assert {_partition_of("servicing_journalline", line.pk) for line in lines} == {
        partitions.partition_name(partitions.month_start(day))
    }
    # the ORM reads through the parent and prunes to the month
    assert JournalLine.objects.filter(business_date=day, entry=entry).count() == 2


def test_an_unbalanced_entry_in_a_future_months_partition_is_refused():
    day = _future_month()
    with (
        pytest.raises(IntegrityError, match="journal_entry_balanced|net"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry = _raw_entry(cursor, day, "partition:unbalanced")
        _raw_lines(cursor, "servicing_journalline", entry, day, "4.99")
    assert not JournalEntry.objects.filter(idempotency_key="partition:unbalanced").exists()


def test_a_direct_insert_into_a_partition_is_checked_by_the_partitions_own_guard():
    day = _future_month()
    partition = partitions.partition_name(day)
    with (
        pytest.raises(IntegrityError, match="net"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry = _raw_entry(cursor, day, "partition:direct")
        _raw_lines(cursor, partition, entry, day, "4.99")
    assert JournalLine.objects.filter(business_date=day).count() == 0
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {partition}")  # noqa: S608 - a generated name


def test_a_direct_insert_into_a_partition_naming_a_missing_loan_is_refused():
    """The guard standing for the lines' foreign keys (0049) is on every partition too, and on
    one partitions_ensure creates."""
    month = partitions.month_add(partitions.month_start(business_date_current()), 9)
    with ledger_maintenance() as cursor:
        partitions.month_partitions_ensure(cursor, month, month)
    for day in (_future_month(), month):
        with (
            pytest.raises(IntegrityError, match="servicing_loan 987654 does not exist"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            entry = _raw_entry(cursor, day, f"partition:missing-loan:{day}")
            cursor.execute(
                f"INSERT INTO {partitions.partition_name(day)}"  # noqa: S608 - a generated name
                " (id, entry_id, account_id, side, amount, business_date, loan_id)"
                " SELECT nextval(pg_get_serial_sequence('servicing_journalline', 'id')),"
                " %s, a.id, s.side, 5.00, %s, 987654 FROM servicing_ledgeraccount a"
                " JOIN (VALUES ('bank_clearing', 'D'), ('fee_income', 'C')) s(code, side)"
                " ON a.code = s.code",
                [entry, day],
            )
        assert JournalLine.objects.filter(business_date=day).count() == 0


def test_a_line_dated_otherwise_than_its_entry_is_refused():
    day = _future_month()
    with (
        pytest.raises(IntegrityError, match="business_date"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry = _raw_entry(cursor, day, "partition:misdated")
        _raw_lines(cursor, "servicing_journalline", entry, day + dt.timedelta(days=1), "5.00")
    assert not JournalEntry.objects.filter(idempotency_key="partition:misdated").exists()


def test_a_month_without_partition_goes_to_default_and_the_command_reports_it(capsys):
    far = partitions.month_add(partitions.month_start(business_date_current()), 40)
    journal_post(
        business_date=far,
        source_type="fee",
        source_id="far",
        lines=[("fee_receivable", "D", "3.00", LOAN), ("fee_income", "C", "3.00", LOAN)],
        idempotency_key="partition:far",
    )
    line = JournalLine.objects.filter(business_date=far).first()
    assert _partition_of("servicing_journalline", line.pk) == partitions.DEFAULT_PARTITION
    with pytest.raises(CommandError, match=partitions.partition_name(far)):
        call_command("partitions_ensure", "--months", "40")
    err = capsys.readouterr().err
    assert "holds 2 line(s)" in err
    # the blocked month was not created; the months before it were
    with connection.cursor() as cursor:
        assert not partitions._exists(cursor, partitions.partition_name(far))
        assert partitions._exists(cursor, partitions.partition_name(partitions.month_add(far, -1)))


def test_partitions_ensure_creates_the_months_ahead_once(capsys):
    start = partitions.month_start(business_date_current())
    call_command("partitions_ensure", "--months", "6")
    first = capsys.readouterr().out
    call_command("partitions_ensure", "--months", "6")
    second = capsys.readouterr().out
    assert "0 created, 7 already there" in second
    assert "created servicing_journalline_" in first or "0 created, 7 already there" in first
    with connection.cursor() as cursor:
        for n in range(7):
            name = partitions.partition_name(partitions.month_add(start, n))
            cursor.execute(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = %s", [name]
            )
            assert cursor.fetchone() == ("autofin_maint",)
            # the application reads and appends through the parent only, never a partition
            cursor.execute(
                "SELECT has_table_privilege('autofin_app', %s, 'SELECT, INSERT, UPDATE, DELETE')",
                [name],
            )
            assert cursor.fetchone() == (False,)
        cursor.execute(
            "SELECT has_table_privilege('autofin_app', 'servicing_journalline', 'INSERT'),"
            " has_table_privilege('autofin_app', 'servicing_journalline', 'DELETE')"
        )
        assert cursor.fetchone() == (True, False)


def test_partitions_ensure_gives_the_partitioned_parents_statistics():
    # autovacuum analyzes partitions, never a partitioned parent: without the command the
    # planner has no whole-table statistics for joins against these two tables
    journal_post(
        business_date=business_date_current(),
        source_type="fee",
        source_id="stats",
        lines=[("fee_receivable", "D", "8.00", LOAN), ("fee_income", "C", "8.00", LOAN)],
        idempotency_key="partition:stats",
    )
    _row()
    query = (
        "SELECT tablename FROM pg_stats WHERE inherited AND attname = 'loan_id'"
        " AND tablename IN ('servicing_journalline', 'servicing_loanschedulerow') ORDER BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        assert cursor.fetchall() == []
        call_command("partitions_ensure")
        cursor.execute(query)
        assert cursor.fetchall() == [("servicing_journalline",), ("servicing_loanschedulerow",)]


def test_every_index_of_a_partitioned_parent_is_valid_and_on_every_partition():
    # an index built "ON ONLY" the parent stays invalid and leaves the partitions without it:
    # the first partitioned bench's loan look-ups then read whole partitions (docs/scaling.md)
    with connection.cursor() as cursor:
        for parent in ("servicing_journalline", "servicing_loanschedulerow"):
            cursor.execute(
                "SELECT c.relname, i.indisvalid, (SELECT count(*) FROM pg_inherits h"
                " WHERE h.inhparent = i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass",
                [parent],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass", [parent]
            )
            n = cursor.fetchone()[0]
            assert n > 1
            assert len(indexes) >= 3
            assert [(name, valid, count) for name, valid, count in indexes] == [
                (name, True, n) for name, _valid, _count in indexes
            ]


def test_a_month_created_by_the_command_carries_the_balance_guard():
    month = partitions.month_add(partitions.month_start(business_date_current()), 8)
    with ledger_maintenance() as cursor:
        report = partitions.month_partitions_ensure(cursor, month, month)
    assert report.created == [partitions.partition_name(month)]
    with (
        pytest.raises(IntegrityError, match="net"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry = _raw_entry(cursor, month, "partition:new-month")
        _raw_lines(cursor, partitions.partition_name(month), entry, month, "5.01")


# --- schedule rows: hash partitions and the guards that replaced the foreign keys ---------


def _row(instalment_no: int = 1, loan_id: int = LOAN) -> LoanScheduleRow:
    return LoanScheduleRow.objects.create(
        loan_id=loan_id,
        schedule_version=1,
        instalment_no=instalment_no,
        due_date=dt.date(2026, 4, 16),
        accrual_start=dt.date(2026, 3, 16),
        opening_balance=D("1000.00"),
        principal=D("100.00"),
        interest=D("5.00"),
        fee=D("0.00"),
        instalment=D("105.00"),
        closing_balance=D("900.00"),
    )


def _accrual(row_id: int) -> PenaltyAccrual:
    return PenaltyAccrual.objects.create(
        row_id=row_id,
        start=dt.date(2026, 4, 16),
        end=dt.date(2026, 4, 17),
        base=D("105.00"),
        daily_amount=D("0.03"),
        amount=D("0.03"),
    )


def test_schedule_rows_live_in_a_hash_partition_and_the_orm_reads_them():
    row = _row()
    assert _partition_of("servicing_loanschedulerow", row.pk).startswith(
        "servicing_loanschedulerow_h"
    )
    row.refresh_from_db()
    row.principal_paid = D("10.00")
    row.save(update_fields=["principal_paid"])
    assert LoanScheduleRow.objects.get(pk=row.pk, loan_id=LOAN).principal_paid == D("10.00")


def test_naming_a_schedule_row_that_does_not_exist_is_refused():
    row = _row()
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        _accrual(row.pk + 1000)
    assert not PenaltyAccrual.objects.exists()
    accrual = _accrual(row.pk)
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        PenaltyAccrual.objects.filter(pk=accrual.pk).update(row_id=row.pk + 1000)
    assert PenaltyAccrual.objects.get(pk=accrual.pk).row_id == row.pk


def test_a_schedule_row_something_names_cannot_be_deleted():
    row, spare = _row(), _row(2)
    _accrual(row.pk)
    with (
        pytest.raises(IntegrityError, match="still referenced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM servicing_loanschedulerow WHERE loan_id = %s", [LOAN])
    assert LoanScheduleRow.objects.filter(loan_id=LOAN).count() == 2
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM servicing_loanschedulerow WHERE id = %s", [spare.pk])
    assert list(LoanScheduleRow.objects.filter(loan_id=LOAN)) == [row]


def test_the_ledger_checks_look_lines_up_by_index_whatever_the_statistics_say():
    """A month whose statistics show few distinct entry ids (a month of chunk-sized batch
    entries) made the planner scan the whole partition for every posting's balance check:
    285-390 ms a two-line posting on the 1M bench book's 2.1 M-line month, 0.1 ms by the index.
    Both checks run with sequential scans off (what they refuse is tested above)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, proconfig FROM pg_proc WHERE proname IN"
            " ('servicing_journal_line_balance_check', 'servicing_journal_entry_has_lines')"
        )
        config = dict(cursor.fetchall())
    assert config == {
        "servicing_journal_line_balance_check": [
            "enable_seqscan=off",
            "enable_hashjoin=off",
            "enable_mergejoin=off",
        ],
        "servicing_journal_entry_has_lines": ["enable_seqscan=off"],
    }


def _entries_read(cursor) -> int:
    cursor.execute(
        "SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0)"
        " FROM pg_stat_xact_user_tables WHERE relname = 'servicing_journalentry'"
    )
    return cursor.fetchone()[0]


def test_a_posting_after_a_bulk_one_checks_its_own_entry_not_the_journal():
    """A trigger's query is planned for the first statement that fires it in a session: after a
    300-entry statement the balance check kept a hash join over every journal entry, so each
    later one-entry posting read the whole journal (2.74 ms a check on the bench book, growing
    with it). Migration 0050 keeps it to one look-up per entry."""
    day = business_date_current()
    with connection.cursor() as cursor:
        cursor.execute("DISCARD PLANS")  # the bulk statement plans the check afresh
    journal_post_many(
        entries=[
            EntrySpec(
                business_date=day,
                source_type="fee",
                source_id=f"bulk{i}",
                lines=[("fee_receivable", "D", "1.00", LOAN), ("fee_income", "C", "1.00", LOAN)],
                idempotency_key=f"partition:bulk{i}",
            )
            for i in range(300)
        ]
    )
    with connection.cursor() as cursor:
        before = _entries_read(cursor)
        journal_post(
            business_date=day,
            source_type="fee",
            source_id="one",
            lines=[("fee_receivable", "D", "2.00", LOAN), ("fee_income", "C", "2.00", LOAN)],
            idempotency_key="partition:one",
        )
        read = _entries_read(cursor) - before
    assert JournalEntry.objects.count() >= 301
    assert read <= 2


def _allocation(repayment: Repayment, row_id: int | None) -> RepaymentAllocation:
    return RepaymentAllocation.objects.create(
        repayment=repayment,
        row_id=row_id,
        component=Component.PRINCIPAL if row_id else Component.SUSPENSE,
        amount=D("10.00"),
    )


def test_an_allocation_names_a_row_of_its_repayments_loan():
    other = LOAN + 1
    ledger_loans([other])
    own, foreign = _row(), _row(loan_id=other)
    repayment = Repayment.objects.create(
        loan_id=LOAN, source="online", amount=D("10.00"), status="posted"
    )
    for row_id in (foreign.pk, own.pk + foreign.pk + 1000):
        with pytest.raises(IntegrityError, match="does not exist on loan"), transaction.atomic():
            _allocation(repayment, row_id)
    assert not RepaymentAllocation.objects.exists()

    allocation = _allocation(repayment, own.pk)
    _allocation(repayment, None)  # suspense names no row
    with pytest.raises(IntegrityError, match="does not exist on loan"), transaction.atomic():
        RepaymentAllocation.objects.filter(pk=allocation.pk).update(row_id=foreign.pk)
    assert RepaymentAllocation.objects.get(pk=allocation.pk).row_id == own.pk
    assert RepaymentAllocation.objects.count() == 2
