"""Month-end close: a closed period refuses a posting at the database (even a raw INSERT) and in
the posting service (a Chinese error), with nothing changed; a closed period is not reopened;
the close is refused while its checklist fails and leaves nothing behind; a correction to a
closed month lands in the next open period naming the closed one; the trial balance CSV has the
figures of `trial_balance`, the GL extract the period's lines."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from autofin.roles import Role
from servicing.eod.sync_driver import batch_run_sync
from servicing.models import JournalEntry, JournalLine
from servicing.models.periods import AccountingPeriod, PeriodStatus
from servicing.selectors.ledger import trial_balance
from servicing.selectors.periods import period_checklist
from servicing.selectors.regulatory import REPORTS
from servicing.services.ledger.entries import PeriodClosedError
from servicing.services.ledger.posting import journal_post
from servicing.services.periods.adjustment import period_adjustment_post
from servicing.services.periods.approval import period_close_submit
from servicing.services.periods.close import PeriodError, period_close
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.post import provision_run_post
from servicing.services.regulatory import regulatory_report_generate
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    """The nightly batch runs in these tests; it must not send auto-debits to the bank."""
    settings.EOD_AUTO_DEBIT_SEND = False


def _counts() -> tuple[int, int]:
    return JournalEntry.objects.count(), JournalLine.objects.count()


def _closed(month: dt.date) -> AccountingPeriod:
    return AccountingPeriod.objects.create(
        month=month, status=PeriodStatus.CLOSED, closed_at=timezone.now()
    )


def _post(day: dt.date, key: str):
    return journal_post(
        business_date=day,
        source_type="adjustment",
        source_id=key,
        lines=[("bank_clearing", "D", "10.00"), ("fee_income", "C", "10.00")],
        idempotency_key=key,
        actor="test",
    )


def _raw_insert(day: dt.date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH e AS (
                INSERT INTO servicing_journalentry
                    (business_date, source_type, source_id, description, idempotency_key,
                     created_by_label)
                VALUES (%s, 'adjustment', 'raw', '', %s, 'psql') RETURNING id, business_date)
            INSERT INTO servicing_journalline (entry_id, account_id, side, amount, business_date)
            SELECT e.id, a.id, s.side, 5.00, e.business_date
              FROM e, servicing_ledgeraccount a,
                   (VALUES ('bank_clearing', 'D'), ('fee_income', 'C')) s(code, side)
             WHERE a.code = s.code
            """,
            [day, f"raw:{day}"],
        )


def test_a_closed_period_refuses_a_raw_insert_and_a_posting_and_nothing_changes():
    _post(dt.date(2026, 1, 20), "before-close")
    _closed(JAN)
    before = _counts()
    with (
        pytest.raises(IntegrityError, match="accounting period 2026-01 is closed"),
        transaction.atomic(),
    ):
        _raw_insert(dt.date(2026, 1, 31))
    assert _counts() == before
    with pytest.raises(PeriodClosedError, match="会计期间 2026-01 已结账"), transaction.atomic():
        _post(dt.date(2026, 1, 5), "after-close")
    assert _counts() == before
    # a batch of entries is refused whole when one of them falls in the closed month
    from servicing.services.ledger.entries import EntrySpec  # why: only this case builds specs
    from servicing.services.ledger.posting import journal_post_many  # why: as above

    specs = [
        EntrySpec(
            business_date=day,
            source_type="adjustment",
            source_id=str(day),
            lines=[("bank_clearing", "D", "1.00"), ("fee_income", "C", "1.00")],
            idempotency_key=f"many:{day}",
        )
        for day in (dt.date(2026, 2, 2), dt.date(2026, 1, 30))
    ]
    with pytest.raises(PeriodClosedError):
        journal_post_many(entries=specs, actor="test")
    assert _counts() == before
    # the replay of an entry posted before the close is the same entry, not a refusal
    assert _post(dt.date(2026, 1, 20), "before-close").business_date == dt.date(2026, 1, 20)
    # the next month still takes postings, by either path
    _raw_insert(dt.date(2026, 2, 1))
    _post(dt.date(2026, 2, 1), "february")
    assert _counts() == (before[0] + 2, before[1] + 4)


def test_a_closed_period_is_not_reopened(policy):
    policy("four_eyes.period_close", "false")
    period = _closed(JAN)
    for status in (PeriodStatus.OPEN, PeriodStatus.CLOSING):
        with pytest.raises(IntegrityError, match="closed period is final"), transaction.atomic():
            AccountingPeriod.objects.filter(pk=period.pk).update(status=status)
    with pytest.raises(IntegrityError, match="closed period is final"), transaction.atomic():
        AccountingPeriod.objects.filter(pk=period.pk).delete()
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    set_day(dt.date(2026, 3, 10))
    with pytest.raises(PeriodError, match="不能重新打开"):
        period_close(month=JAN, actor="test")


def test_close_is_refused_while_the_checklist_fails_and_nothing_changes(policy):
    policy("four_eyes.period_close", "false")
    make_loan(value_date=dt.date(2026, 1, 15))
    set_day(dt.date(2026, 2, 1))
    for day in range(1, 10):  # nine of February's 28 days closed by the batch
        assert batch_run_sync(business_date=dt.date(2026, 2, day)).status == "succeeded"
    checks = {c.code: c for c in period_checklist(FEB)}
    assert not checks["batch_days"].passed and checks["batch_days"].detail == "已日结 9 / 28 天"
    assert not checks["provisions"].passed
    assert checks["reconciliation"].passed and checks["trial_balance"].passed
    with pytest.raises(PeriodError, match="当月尚未结束"):
        period_close(month=FEB, actor="test")
    set_day(dt.date(2026, 3, 2))  # the month is over, its batch days are not all closed
    finance = UserFactory(roles=[Role.FINANCE_APPROVER])
    for attempt in (
        lambda: period_close(month=FEB, actor="test"),
        lambda: period_close_submit(month=FEB, actor=finance),
    ):
        with pytest.raises(
            PeriodError, match="本月每个营业日均已日结；本月减值准备已过账；本期监管报表已生成"
        ):
            attempt()
    assert not AccountingPeriod.objects.exists()
    _post(dt.date(2026, 2, 27), "still-open")  # February still takes postings


@pytest.fixture
def closed_february(policy):
    """A small book whose February is closed by the batch every day and has its provisions
    posted; the business date is then March 1st."""
    policy("four_eyes.provision_post", "false")
    make_loan(value_date=dt.date(2026, 1, 15))
    set_day(FEB)
    for day in range(1, 29):
        batch = batch_run_sync(business_date=dt.date(2026, 2, day))
        assert batch.status == "succeeded", batch.error
    run = provision_run_compute(as_of=dt.date(2026, 2, 28), actor="test")
    provision_run_post(run_id=run.pk, actor="test")
    reporter = UserFactory(roles=[Role.FINANCE_OPERATOR])
    for code in REPORTS:
        regulatory_report_generate(code=code, month=FEB, actor=reporter)
    return run


def test_close_with_four_eyes_then_an_adjustment_lands_in_march_naming_february(
    closed_february, client
):
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    assert all(c.passed for c in period_checklist(FEB))
    submission = period_close_submit(month=FEB, actor=maker)
    assert submission.pending
    assert AccountingPeriod.objects.get(month=FEB).status == PeriodStatus.CLOSING
    _post(dt.date(2026, 2, 28), "while-closing")  # closing is not closed yet

    from autofin.approvals import approval_request_approve  # why: the checker's step only

    approval_request_approve(request_id=submission.request.pk, checker=checker)
    period = AccountingPeriod.objects.get(month=FEB)
    assert period.status == PeriodStatus.CLOSED and period.closed_by == checker
    feb_tb = trial_balance(as_of=dt.date(2026, 2, 28))
    before = _counts()
    with pytest.raises(PeriodClosedError), transaction.atomic():
        _post(dt.date(2026, 2, 28), "late")
    assert _counts() == before

    # the correction: refused for the operator (no such money action), posted for the approver
    with pytest.raises(PeriodError):
        period_adjustment_post(
            month=FEB,
            debit_account="bank_clearing",
            credit_account="fee_income",
            amount=D("25.00"),
            reason="漏记手续费",
            idempotency_key="k1",
            actor=maker,
        )
    entry = period_adjustment_post(
        month=FEB,
        debit_account="bank_clearing",
        credit_account="fee_income",
        amount=D("25.00"),
        reason="漏记手续费",
        idempotency_key="k1",
        actor=checker,
    )
    entry.refresh_from_db()
    assert entry.business_date.month == 3 and entry.business_date >= MAR
    assert entry.source_type == "adjustment" and entry.source_id == "2026-02"
    assert entry.description == "期后调整 2026-02（已结账期间）：漏记手续费"
    assert trial_balance(as_of=dt.date(2026, 2, 28)) == feb_tb  # February as reported
    march = {r.code: r for r in trial_balance(as_of=dt.date(2026, 3, 31)).rows}
    assert march["fee_income"].credit - {r.code: r for r in feb_tb.rows}["fee_income"].credit == (
        D("25.00")
    )

    # the page shows it under February, and the CSVs carry the ledger's figures
    client.force_login(checker)
    page = client.get(reverse("servicing:period_detail", args=[2026, 2]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "已结账" in body and "期后调整 2026-02（已结账期间）：漏记手续费" in body

    response = client.get(reverse("servicing:period_trial_balance_csv", args=[2026, 2]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "科目代码"
    by_code = {r[0]: r for r in rows[1:-1]}
    assert len(by_code) == len(feb_tb.rows)
    for r in feb_tb.rows:
        assert (D(by_code[r.code][3]), D(by_code[r.code][4]), D(by_code[r.code][5])) == (
            r.debit,
            r.credit,
            r.balance,
        )
    assert (D(rows[-1][3]), D(rows[-1][4]), D(rows[-1][5])) == (feb_tb.debit, feb_tb.credit, 0)

    response = client.get(reverse("servicing:period_gl_csv", args=[2026, 2]))
    gl = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    lines = JournalLine.objects.filter(entry__business_date__range=(FEB, dt.date(2026, 2, 28)))
    assert len(gl) - 1 == lines.count() > 0
    debit = sum((D(r[7]) for r in gl[1:] if r[6] == "借"), D(0))
    credit = sum((D(r[7]) for r in gl[1:] if r[6] == "贷"), D(0))
    assert debit == credit == sum((line.amount for line in lines if line.side == "D"), D(0))
    assert all(dt.date.fromisoformat(r[0]).month == 2 for r in gl[1:])


def test_the_pages_check_who_may_see_and_act(client):
    set_day(dt.date(2026, 3, 2))
    for role, status in ((Role.SERVICING_AGENT, 403), (Role.AUDITOR, 200)):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("servicing:period_detail", args=[2026, 2])).status_code == status
        assert client.get(reverse("servicing:period_gl_csv", args=[2026, 2])).status_code == status
    # the auditor reads but does not close
    response = client.post(reverse("servicing:period_close", args=[2026, 2]), {"token": "t" * 32})
    assert response.status_code in (302, 403)
    assert not AccountingPeriod.objects.exists()


def test_a_posting_in_flight_holds_off_the_close_until_it_commits():
    """The trigger shares the close's advisory lock: while this test's transaction holds an
    uncommitted entry, another session cannot take the lock a close takes alone."""
    from servicing.services.periods.close import PERIOD_LOCK_KEY  # why: the one key both use

    other = connection.copy()  # a second session on the test database
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [PERIOD_LOCK_KEY])
            assert cursor.fetchone()[0] is True  # nothing in flight yet
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PERIOD_LOCK_KEY])
            _post(dt.date(2026, 1, 20), "in-flight")  # uncommitted: the test's transaction
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [PERIOD_LOCK_KEY])
            assert cursor.fetchone()[0] is False
    finally:
        other.close()
