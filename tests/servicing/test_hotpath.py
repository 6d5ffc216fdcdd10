"""The hot-path SQL helpers give what the ORM gives: same rows read, same rows written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DataError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from autofin.models import AuditEntry
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.models.repayments import Repayment
from servicing.services.hotpath import (
    insert_part,
    insert_unless_conflict,
    parts_execute,
    prepared_execute,
    statements_run,
    update_part,
)
from servicing.services.loans.account import loan_lock
from servicing.services.repayments.posting import repayment_post
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, rows, set_day

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_loan_lock_reads_what_the_orm_reads_with_the_same_sql_shape():
    loan = make_loan()
    day = dt.date(2026, 3, 20)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            locked, got = loan_lock(loan_id=loan.pk, eligible_on=day)
        expected_loan = Loan.objects.get(pk=loan.pk)
        expected_rows = list(
            LoanScheduleRow.objects.filter(
                loan_id=loan.pk, superseded_by_version__isnull=True, accrual_start__lt=day
            )
            .exclude(status="paid")
            .order_by("instalment_no")
        )
    assert _fields(locked) == _fields(expected_loan)
    assert [_fields(r) for r in got] == [_fields(r) for r in expected_rows]
    assert [r.instalment_no for r in got] == [1, 2, 3]
    assert not locked._state.adding and locked._state.db == "default"
    executed = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("PREPARE")]
    sqls = statements_run(ctx.captured_queries)
    assert len(sqls) == 2 and all(s.rstrip().endswith("FOR UPDATE") for s in sqls)
    assert f"({loan.pk})" in executed[0] and "'2026-03-20'" in executed[1]


@pytest.mark.django_db(transaction=True)
def test_compiled_lock_still_refuses_to_run_outside_a_transaction():
    loan = make_loan()
    with transaction.atomic():
        loan_lock(loan_id=loan.pk)
    with pytest.raises(TransactionManagementError):
        loan_lock(loan_id=loan.pk)


def test_missing_loan_raises_does_not_exist():
    with transaction.atomic(), pytest.raises(Loan.DoesNotExist):
        loan_lock(loan_id=987654321)


def test_parts_write_in_one_statement_what_save_would_write():
    loan = make_loan()
    first, second = rows(loan)[:2]
    first.interest_paid, second.fee_paid = D("1.23"), D("4.56")
    loan.suspense_balance = D("7.89")
    audit = AuditEntry(
        actor_label="t",
        content_type_id=ContentType.objects.get_for_model(Loan).pk,
        object_id="1",
        action="x",
        data={"a": 1},
    )
    with CaptureQueriesContext(connection) as ctx:
        parts_execute(
            [
                update_part([first, second], ["interest_paid", "fee_paid"]),
                update_part([loan], ["suspense_balance", "updated_at"]),
                insert_part([audit]),
            ]
        )
    assert len(statements_run(ctx.captured_queries)) == 1
    again = rows(loan)
    assert (again[0].interest_paid, again[1].fee_paid) == (D("1.23"), D("4.56"))
    stored = Loan.objects.get(pk=loan.pk)
    assert stored.suspense_balance == D("7.89") and stored.updated_at == loan.updated_at
    saved = AuditEntry.objects.get(action="x")
    assert saved.data == {"a": 1} and saved.created_at == audit.created_at


def test_insert_unless_conflict_inserts_once():
    loan = make_loan()
    first = Repayment(
        loan=loan, source="manual", amount=D("10.00"), status="posted", idempotency_key="k-1"
    )
    key = {"unique_fields": ["idempotency_key"]}
    assert insert_unless_conflict(first, **key) is True and first.pk is not None
    twin = Repayment(
        loan=loan, source="manual", amount=D("10.00"), status="posted", idempotency_key="k-1"
    )
    assert insert_unless_conflict(twin, **key) is False and twin.pk is None
    assert Repayment.objects.filter(idempotency_key="k-1").count() == 1


def test_a_replayed_posting_changes_nothing_and_returns_the_first():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    first = repayment_post(
        loan_id=loan.pk, amount="500.00", source="manual", actor="t", idempotency_key="same"
    )
    before = [_fields(r) for r in rows(loan)]
    again = repayment_post(
        loan_id=loan.pk, amount="500.00", source="manual", actor="t", idempotency_key="same"
    )
    assert again.pk == first.pk
    assert [_fields(r) for r in rows(loan)] == before
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert AuditEntry.objects.filter(action="repayment_post").count() == 1
    assert_ledger_matches(loan)


# --- the Django interfaces the hot path stands on --------------------------------------------


def test_the_lock_queries_are_compiled_once_not_run_through_the_orm_each_time():
    from servicing.services import hotpath

    loan = make_loan()
    with transaction.atomic():
        loan_lock(loan_id=loan.pk, eligible_on=dt.date(2026, 3, 20))
        loan_lock(loan_id=loan.pk, open_rows_only=True)
    shapes = {
        key: hotpath._compiled.get((connection.vendor, key))
        for key in ("loan_lock", ("loan_lock_rows", True, True), ("loan_lock_rows", True, False))
    }
    fallen_back = [key for key, compiled in shapes.items() if compiled is None]
    assert not fallen_back, (
        f"select_compiled fell back to the ORM for {fallen_back}: Django's SQL for a plain "
        "model query no longer starts as hotpath._plain_select expects (SELECT every concrete "
        "column FROM the table). Still correct, but the hot path lost its speed: adapt "
        "_plain_select to the installed Django."
    )
    assert all(c.for_update for c in shapes.values())


def test_the_django_internals_the_hot_path_uses_still_behave():
    """Field.cast_db_type, _meta.local_concrete_fields and _meta.auto_field are not documented
    API; this fails, naming the one that changed, when an upgrade of Django changes them."""
    from servicing.services import hotpath

    meta = Repayment._meta
    casts = {
        name: meta.get_field(name).cast_db_type(connection)
        for name in ("idempotency_key", "amount", "loan", "created_at", "effects", "received_on")
    }
    assert casts == {
        "idempotency_key": "varchar(200)",
        "amount": "numeric(18, 2)",
        "loan": "bigint",
        "created_at": "timestamp with time zone",
        "effects": "jsonb",
        "received_on": "date",
    }, f"Field.cast_db_type changed: {casts}"
    # arrays are cast without the length (a cast to varchar(200) would silently truncate)
    assert hotpath._array_type(meta.get_field("idempotency_key")) == "varchar"
    assert hotpath._array_type(meta.get_field("amount")) == "numeric(18, 2)"
    assert meta.auto_field is meta.pk and meta.pk.name == "id", "_meta.auto_field changed"
    assert [f.name for f in meta.local_concrete_fields] == [f.name for f in meta.concrete_fields], (
        "_meta.local_concrete_fields changed"
    )
    assert meta.local_concrete_fields[0] is meta.pk


def test_a_value_too_long_for_its_column_is_refused_not_cut_in_a_many_row_insert():
    from servicing.services.hotpath import insert_many_unless_conflict

    loan = make_loan()
    repayments = [
        Repayment(
            loan=loan,
            source="auto_debit",
            amount=D("10.00"),
            status="posted",
            idempotency_key=f"long-{i}",
            external_ref="R" * (100 + i),  # external_ref is varchar(100)
        )
        for i in range(2)
    ]
    with pytest.raises(DataError, match="too long"), transaction.atomic():
        insert_many_unless_conflict(repayments, key="idempotency_key")
    assert not Repayment.objects.filter(loan=loan).exists()


def test_a_prepared_statement_outlives_a_rollback_and_answers_as_plain_sql():
    sql = "SELECT %s::int + %s::int, '100%%'"
    with transaction.atomic():
        with connection.cursor() as cursor:
            prepared_execute(cursor, sql, [1, 2])
            assert cursor.fetchone() == (3, "100%")
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as ctx, connection.cursor() as cursor:
        prepared_execute(cursor, sql, [40, 2])
        assert cursor.fetchone() == (42, "100%")
    # prepared once in this session (a rollback undoes no PREPARE): now only executed
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].startswith("EXECUTE hotpath_")
    assert statements_run(ctx.captured_queries) == [sql]


def test_behind_a_pooler_the_statement_runs_as_text_and_nothing_is_prepared(settings):
    # PgBouncer in transaction mode hands the server session to another client after each
    # transaction: a name PREPAREd there would be missing (or someone else's) next time
    settings.DATABASE_PREPARED_STATEMENTS = False
    sql = "SELECT %s::int * %s::int"
    with CaptureQueriesContext(connection) as ctx, connection.cursor() as cursor:
        prepared_execute(cursor, sql, [6, 7])
        assert cursor.fetchone() == (42,)
    assert [q["sql"] for q in ctx.captured_queries] == ["SELECT 6::int * 7::int"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%$1::int * $2::int%"],
        )
        assert cursor.fetchone() == (0,)


def test_schedule_row_updates_name_the_partition_key_and_write_only_their_rows():
    loan, other = make_loan(), make_loan()
    first, second = rows(loan)[:2]
    untouched = [(r.pk, r.interest_paid) for r in rows(other)]
    first.interest_paid, second.fee_paid = D("1.23"), D("4.56")
    with CaptureQueriesContext(connection) as ctx:
        parts_execute([update_part([first, second], ["interest_paid", "fee_paid"], by=["loan"])])
        parts_execute([update_part([first], ["interest_paid"], by=["loan"])])
    several, one = statements_run(ctx.captured_queries)
    # the loan's one value as a constant too: the planner prunes to its one partition
    assert 't."loan_id" = v."loan_id" AND t."loan_id" = %s' in several
    assert one.endswith('WHERE "id" = %s AND "loan_id" = %s')
    again = rows(loan)
    assert (again[0].interest_paid, again[1].fee_paid) == (D("1.23"), D("4.56"))
    assert [(r.pk, r.interest_paid) for r in rows(other)] == untouched
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (COSTS OFF) UPDATE servicing_loanschedulerow SET fee_paid = fee_paid "
            "WHERE id = %s AND loan_id = %s",
            [first.pk, loan.pk],
        )
        plan = " ".join(r[0] for r in cursor.fetchall())
    assert plan.count("Scan") == 1  # one partition, not sixteen
