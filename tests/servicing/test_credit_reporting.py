"""Credit reporting out (征信报送): a small book through funding over three month-ends produces
exactly the expected records, 24-month strings included; the first negative record waits for
the customer's notice (第15条); a re-run writes nothing twice; a rejected record is corrected
and accepted; a dispute (异议) freezes the account until answered."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from autofin.crypto import decrypt, encrypt, keyed_hash
from autofin.models import OutboundMessage
from autofin.notifications import notification_deliver_now
from autofin.roles import Role
from origination.models import Applicant
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.credit_reporting import (
    CreditReportDispute,
    CreditReportNotice,
    CreditReportRecord,
)
from servicing.services.credit_reporting.adapters import SANDBOX_ID_UNKNOWN
from servicing.services.credit_reporting.day import credit_reporting_day
from servicing.services.credit_reporting.disputes import dispute_answer, dispute_open
from servicing.services.credit_reporting.submit import (
    CreditReportingRefused,
    record_correct,
    records_submit,
)
from servicing.services.repayments.posting import repayment_post
from servicing.services.settlement.early import payoff_quote_issue
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, rows, set_day

pytestmark = pytest.mark.django_db
_phones = itertools.count(13900007000)
NO_LOCK_IN = {"penalty_markup": "0.5", "lock_in_months": 0, "early_settlement_fee_rate": "0.02"}
JAN, FEB, MAR = dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)
PAD = "/"


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # the month-end nights here run the whole batch: no auto-debit file goes to the bank
    settings.EOD_AUTO_DEBIT_SEND = False


def loan(**kw):
    customer = UserFactory(roles=[Role.CUSTOMER], phone=str(next(_phones)))
    return make_loan(customer=customer, **kw)


def close(day: dt.date) -> None:
    set_day(day)
    batch = batch_run_sync(business_date=day)
    assert batch.status == "succeeded", batch.error


def pay_due(ln, n: int) -> None:
    row = rows(ln)[n - 1]
    set_day(row.due_date)
    repayment_post(loan_id=ln.pk, amount=row.instalment, source="auto_debit", actor="bank")


def monthly(ln, month_end: dt.date) -> CreditReportRecord:
    return CreditReportRecord.objects.get(
        loan=ln, kind="monthly", report_date=month_end, corrects__isnull=True
    )


def figures(rec: CreditReportRecord) -> tuple:
    return (
        rec.status_char,
        rec.status_24m,
        rec.balance,
        rec.amount_due,
        rec.amount_paid,
        rec.overdue_periods,
        rec.overdue_amount,
        rec.five_category,
    )


def test_a_small_book_over_three_month_ends_reports_exactly(policy):  # noqa: PLR0915 - one journey
    a = loan(value_date=dt.date(2026, 1, 15))  # pays on time
    c = loan(value_date=dt.date(2026, 1, 15), rules=NO_LOCK_IN)  # settles early in March
    close(dt.date(2026, 1, 15))
    b = loan(value_date=dt.date(2026, 1, 25))  # never pays: 4 DPD at February's end, 35 at March's
    close(dt.date(2026, 1, 25))
    opening = CreditReportRecord.objects.get(loan=a, kind="opening")
    assert (opening.status_char, opening.status_24m, opening.business_type) == (
        "*",
        PAD * 23 + "*",
        "21",
    )
    assert (opening.guarantee_type, opening.currency, opening.amount) == (
        "2",
        "CNY",
        D("120000.00"),
    )
    assert opening.status == "accepted" and opening.account_id == a.contract_ref
    collateral = CreditReportRecord.objects.get(loan=a, kind="collateral")
    assert collateral.collateral["vin"] == a.vin and collateral.collateral["type"] == "01"

    close(JAN)
    for x in (a, b, c):
        assert figures(monthly(x, JAN)) == (
            "*", PAD * 23 + "*", D("120000.00"), D("0.00"), D("0.00"), 0, D("0.00"), "1",
        )  # fmt: skip

    pay_due(a, 1)
    pay_due(c, 1)
    close(FEB)
    a1, b1 = rows(a)[0], rows(b)[0]
    assert figures(monthly(a, FEB)) == (
        "N", PAD * 22 + "*N", D("120000.00") - a1.principal, a1.instalment, a1.instalment,
        0, D("0.00"), "1",
    )  # fmt: skip
    # B: one instalment unpaid since 02-25, 4 DPD as of 03-01 (arrears with its penalty)
    b_feb = monthly(b, FEB)
    arrears = b1.amount_unpaid
    assert figures(b_feb) == (
        "1", PAD * 22 + "*1", D("120000.00"), b1.instalment, D("0.00"), 1, arrears, "2",
    )  # fmt: skip
    # 第15条: the customer is told first; the negative records wait for the message to go out
    notice = CreditReportNotice.objects.get(loan=b)
    assert notice.message.status == "queued" and notice.message.to == b.customer.phone
    assert "第十五条" in notice.message.body
    negatives = CreditReportRecord.objects.filter(loan=b, overdue_periods__gt=0)
    assert {(r.kind, r.status) for r in negatives} == {
        ("monthly", "held"),
        ("status_change", "held"),
    }
    records_submit()
    assert not negatives.exclude(status="held").exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditReportRecord.objects.filter(pk=b_feb.pk).update(status="pending")
    OutboundMessage.objects.filter(pk=notice.message_id).update(not_before=timezone.now())
    sent = notification_deliver_now(message_id=notice.message_id)
    assert sent.status == "sent"

    set_day(dt.date(2026, 3, 10))
    quote = payoff_quote_issue(loan_id=c.pk, actor=c.customer)
    repayment_post(
        loan_id=c.pk, amount=quote.total, source="online", actor="pay", purpose="payoff",
        payoff_quote_id=quote.pk,
    )  # fmt: skip
    close(dt.date(2026, 3, 10))
    b_feb.refresh_from_db()
    assert b_feb.status == "accepted" and b_feb.notice_id == notice.pk
    assert b_feb.submitted_at > sent.sent_at
    closing = CreditReportRecord.objects.get(loan=c, kind="closing")
    assert (closing.status_char, closing.event, closing.balance) == (
        "C",
        "early_settlement",
        D("0.00"),
    )
    assert closing.status_24m == PAD * 21 + "*NC"  # March so far: February's "*N", then C

    pay_due(a, 2)
    close(MAR)
    a2 = rows(a)[1]
    assert figures(monthly(a, MAR)) == (
        "N", PAD * 21 + "*NN", D("120000.00") - a1.principal - a2.principal, a2.instalment,
        a2.instalment, 0, D("0.00"), "1",
    )  # fmt: skip
    b_rows = rows(b)
    assert figures(monthly(b, MAR)) == (
        "2", PAD * 21 + "*12", D("120000.00"), b_rows[1].instalment, D("0.00"), 2,
        b_rows[0].amount_unpaid + b_rows[1].amount_unpaid, "2",
    )  # fmt: skip
    c_mar = monthly(c, MAR)
    assert (c_mar.status_char, c_mar.status_24m, c_mar.balance, c_mar.amount_paid) == (
        "C", PAD * 21 + "*NC", D("0.00"), quote.total,
    )  # fmt: skip
    assert CreditReportRecord.objects.filter(status="rejected").count() == 0
    assert not CreditReportRecord.objects.exclude(status="accepted").exists()

    # a re-run of the month writes nothing twice
    before = CreditReportRecord.objects.count()
    again = credit_reporting_day(business_date=MAR)
    assert (again["monthly"], again["events"], again["notices"]) == (0, 0, 0)
    assert CreditReportRecord.objects.count() == before


def test_a_rejected_record_is_corrected_and_resubmitted_and_accepted():
    a = loan(value_date=dt.date(2026, 1, 15))
    applicant = Applicant.objects.get(application_id=a.application_id, role="primary")
    right_id = decrypt(applicant.id_number_enc)
    Applicant.objects.filter(pk=applicant.pk).update(
        id_number_enc=encrypt(SANDBOX_ID_UNKNOWN), id_number_hash=keyed_hash(SANDBOX_ID_UNKNOWN)
    )
    close(JAN)
    rejected = monthly(a, JAN)
    assert (rejected.status, rejected.feedback_code) == ("rejected", "E201")
    agent = UserFactory(roles=[Role.OPERATIONS])
    fix = record_correct(record_id=rejected.pk, actor=agent, changes={"id_number": right_id})
    assert fix.status == "pending" and fix.corrects_id == rejected.pk
    assert records_submit() == {"accepted": 1, "rejected": 0}
    rejected.refresh_from_db()
    fix.refresh_from_db()
    assert (rejected.status, fix.status, fix.feedback_code) == ("corrected", "accepted", "")
    assert (fix.status_24m, fix.balance) == (rejected.status_24m, rejected.balance)
    with pytest.raises(CreditReportingRefused):
        record_correct(record_id=rejected.pk, actor=agent, changes={"name": "x"})
    assert CreditReportRecord.objects.filter(loan=a, kind="monthly").count() == 2


def test_a_dispute_freezes_the_account_until_answered():
    a = loan(value_date=dt.date(2026, 1, 15))
    close(JAN)
    jan = monthly(a, JAN)
    assert jan.status == "accepted"
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    set_day(dt.date(2026, 2, 3))
    dispute = dispute_open(record_id=jan.pk, actor=agent, description="客户称开户日期有误。")
    assert dispute.due_on == dt.date(2026, 2, 23)
    pay_due(a, 1)
    close(FEB)  # February's record is made but not sent: the account is frozen
    feb = monthly(a, FEB)
    assert feb.status == "pending" and feb.submitted_at is None
    with pytest.raises(CreditReportingRefused):
        dispute_answer(dispute_id=dispute.pk, actor=agent, outcome="upheld", answer="维持。")
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    dispute = dispute_answer(
        dispute_id=dispute.pk, actor=officer, outcome="upheld", answer="经核实，开户日期无误。"
    )
    assert (dispute.status, dispute.outcome, dispute.answered_by) == ("answered", "upheld", officer)
    assert records_submit() == {"accepted": 1, "rejected": 0}
    feb.refresh_from_db()
    assert feb.status == "accepted"


def test_pages_operations_corrects_agent_records_a_dispute_compliance_answers(client):
    a = loan(value_date=dt.date(2026, 1, 15))
    applicant = Applicant.objects.get(application_id=a.application_id, role="primary")
    right_id = decrypt(applicant.id_number_enc)
    Applicant.objects.filter(pk=applicant.pk).update(id_number_enc=encrypt(SANDBOX_ID_UNKNOWN))
    close(JAN)
    rejected = monthly(a, JAN)
    url = reverse("servicing:credit_reporting")

    client.force_login(UserFactory(roles=[Role.COLLECTOR]))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(roles=[Role.RISK_ANALYST]))
    page = client.get(url).content.decode()
    assert "E201" in page and 'data-testid="correct"' not in page  # risk reads, does not correct
    assert (
        client.post(reverse("servicing:credit_record_correct", args=[rejected.pk])).status_code
        == 403
    )

    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    done = client.post(
        reverse("servicing:credit_record_correct", args=[rejected.pk]), {"id_number": right_id}
    )
    assert done.status_code == 302
    fix = CreditReportRecord.objects.get(corrects=rejected)
    assert fix.status == "accepted"
    feed = client.get(reverse("servicing:credit_reporting_csv", args=[2026, 1])).content.decode()
    lines = feed.strip().splitlines()
    # the rejected original and its accepted correction: the history is kept
    assert len(lines) == 3 and lines[0].startswith("account_id,kind,report_date")
    assert [line.split(",")[-4:] for line in lines[1:]] == [
        [PAD * 23 + "*", "", "corrected", "E201"],
        [PAD * 23 + "*", "", "accepted", ""],
    ]

    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    client.force_login(agent)
    client.post(
        reverse("servicing:credit_dispute_open"),
        {"account_id": a.contract_ref, "description": "客户称一月并无应还款。"},
    )
    dispute = CreditReportDispute.objects.get(loan=a)
    assert (dispute.record_id, dispute.status, dispute.raised_by) == (fix.pk, "open", agent)
    answer_url = reverse("servicing:credit_dispute_answer", args=[dispute.pk])
    assert client.post(answer_url, {"outcome": "upheld", "answer": "维持。"}).status_code == 403
    client.force_login(UserFactory(roles=[Role.COMPLIANCE_OFFICER]))
    page = client.get(url).content.decode()
    assert "2026-02-21" in page and 'data-testid="answer-submit"' in page  # raised 02-01, +20
    client.post(answer_url, {"outcome": "upheld", "answer": "经核实，一月为首期前，无应还款。"})
    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome, dispute.answered_on) == (
        "answered", "upheld", dt.date(2026, 2, 1),
    )  # fmt: skip
