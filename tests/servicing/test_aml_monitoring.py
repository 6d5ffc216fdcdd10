"""Transaction monitoring of money received (issue #17, "Done when"): a large-value repayment
raises the large-value alert with its 5-working-day due date; a structured sequence just under
the cash threshold raises the structuring alert and no large-value one; the other patterns;
the compliance case workflow and its report file."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from autofin.models import AuditEntry
from autofin.roles import Role
from autofin.working_days import working_days_after
from servicing.models.aml import AmlAlert
from servicing.selectors.aml import aml_alert_view, aml_report_file
from servicing.services.accrual import loan_accrue
from servicing.services.aml.cases import aml_alert_decide, aml_alert_investigate
from servicing.services.aml.monitoring import aml_monitor_day
from servicing.services.repayments.manual import repayment_manual_approve, repayment_manual_submit
from servicing.services.repayments.posting import repayment_post
from servicing.services.settlement.early import payoff_quote_issue
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 2, 16)


@pytest.fixture
def agents(db):
    return (
        UserFactory(roles=[Role.SERVICING_AGENT], display_name="客服甲"),
        UserFactory(roles=[Role.SERVICING_AGENT], display_name="客服乙"),
    )


@pytest.fixture
def officer(db):
    return UserFactory(roles=[Role.COMPLIANCE_OFFICER], display_name="合规丙")


def _cash(loan, amount: str, agents, ref: str, **extra):
    maker, checker = agents
    r = repayment_manual_submit(
        loan_id=loan.pk, amount=amount, evidence=ref, actor=maker, payment_channel="cash", **extra
    )
    if r.status == "pending_approval":  # at or over the manual-posting threshold
        r = repayment_manual_approve(repayment_id=r.pk, actor=checker)
    assert r.status == "posted"
    return r


def _alerts():
    return sorted(
        (a.kind, a.business_date, a.amount, len(a.repayment_ids)) for a in AmlAlert.objects.all()
    )


def test_a_large_cash_repayment_raises_a_large_value_alert_due_in_five_working_days(agents):
    loan = make_loan()
    set_day(MONDAY)
    r = _cash(loan, "60000.00", agents, "柜台现金 001")
    assert aml_monitor_day(business_date=MONDAY) == {"large_value": 1}
    alert = AmlAlert.objects.get()
    assert (alert.kind, alert.amount, alert.repayment_ids, alert.status) == (
        "large_cash",
        D("60000.00"),
        [r.pk],
        "open",
    )
    # 春节 2026-02-15..23: the five working days are 02-24..27 and the worked Saturday 02-28
    assert alert.report_due == dt.date(2026, 2, 28)
    assert alert.facts["threshold"] == "50000"
    assert aml_alert_view(alert)["explained"] == [
        "当日累计 ¥60,000.00（1 笔），达到大额交易标准 ¥50,000.00（2017-07-01 起施行的标准）。"
    ]
    assert aml_monitor_day(business_date=MONDAY) == {}  # a re-run adds nothing
    assert AmlAlert.objects.count() == 1


def test_a_large_value_report_across_national_day_is_due_after_the_holiday_and_the_worked_saturday(
    agents,
):
    loan = make_loan()
    wednesday = dt.date(2026, 9, 30)
    set_day(wednesday)
    _cash(loan, "50000.00", agents, "柜台现金 国庆前")
    assert aml_monitor_day(business_date=wednesday) == {"large_value": 1}
    # 国庆 10-01..07 off; 10-08, 10-09, Saturday 10-10 (调休上班), 10-12, 10-13
    assert AmlAlert.objects.get().report_due == dt.date(2026, 10, 13)


def test_same_day_cash_adds_up_to_one_alert_while_a_transfer_under_its_threshold_does_not(agents):
    loan = make_loan()
    set_day(MONDAY)
    first = _cash(loan, "30000.00", agents, "现金 1")
    second = _cash(loan, "25000.00", agents, "现金 2")
    repayment_post(loan_id=loan.pk, amount="40000.00", source="online", actor="pay")
    aml_monitor_day(business_date=MONDAY)
    alert = AmlAlert.objects.get()
    assert (alert.kind, alert.amount, alert.repayment_ids) == (
        "large_cash",
        D("55000.00"),
        sorted([first.pk, second.pk]),
    )
    assert alert.facts["same_day_cumulative"] is True


def test_a_structured_sequence_just_under_the_cash_threshold_raises_structuring_only(agents):
    loan = make_loan()
    set_day(MONDAY)
    a = _cash(loan, "48000.00", agents, "现金 A")
    assert aml_monitor_day(business_date=MONDAY) == {}
    tuesday = MONDAY + dt.timedelta(days=1)
    set_day(tuesday)
    b = _cash(loan, "49500.00", agents, "现金 B")
    assert aml_monitor_day(business_date=tuesday) == {"structuring": 1}
    alert = AmlAlert.objects.get()
    assert (alert.kind, alert.amount, alert.repayment_ids, alert.report_due) == (
        "structuring",
        D("97500.00"),
        sorted([a.pk, b.pk]),
        None,  # due only once compliance confirms it
    )
    assert alert.facts["rule"] == "just_under"
    assert aml_alert_view(alert)["explained"] == [
        "2 天的单日合计均略低于大额标准 ¥50,000.00（不低于 ¥45,000.00）：2026-02-16、2026-02-17。"
    ]
    # the next day's postings under the window do not raise it again
    wednesday = tuesday + dt.timedelta(days=1)
    set_day(wednesday)
    _cash(loan, "47000.00", agents, "现金 C")
    assert aml_monitor_day(business_date=wednesday) == {}


def test_a_third_party_payer_and_many_small_manual_postings(agents):
    loan = make_loan()
    set_day(MONDAY)
    maker, _checker = agents
    repayment_manual_submit(loan_id=loan.pk, amount="800.00", evidence="他人代还", actor=maker,
                            payer_account="6228480000000000999")  # fmt: skip
    for i in range(5):
        repayment_manual_submit(loan_id=loan.pk, amount="500.00", evidence=f"小额 {i}", actor=maker)
    assert aml_monitor_day(business_date=MONDAY) == {"third_party": 1, "many_small": 1}
    assert _alerts() == [
        ("many_small", MONDAY, D("3300.00"), 6),
        ("third_party_payer", MONDAY, D("800.00"), 1),
    ]


def test_early_settlement_soon_after_funding(db):
    loan = make_loan(rules={})  # no lock-in: the customer may settle at once
    payday = dt.date(2026, 2, 10)  # 26 days after funding, before the first instalment
    set_day(payday)
    loan_accrue(loan_id=loan.pk, through=payday - dt.timedelta(days=1))
    quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer, idempotency_key="aml-q")
    r = repayment_post(loan_id=loan.pk, amount=quote.total, source="online", actor="pay",
                       purpose="payoff", payoff_quote_id=quote.pk)  # fmt: skip
    assert aml_monitor_day(business_date=payday) == {"early_settlement": 1}
    early = AmlAlert.objects.get()
    assert (early.kind, early.amount, early.repayment_ids) == (
        "early_settlement",
        quote.total,
        [r.pk],
    )
    assert (early.facts["days"], early.facts["limit"]) == (26, 180)
    assert aml_alert_view(early)["explained"] == [
        "放款日 2026-01-15，放款后第 26 天提前结清（预警线 180 天）。"
    ]


def test_case_workflow_decision_text_due_date_and_report_file(agents, officer):
    loan = make_loan()
    set_day(MONDAY)
    a = _cash(loan, "48000.00", agents, "现金 A")
    tuesday = MONDAY + dt.timedelta(days=1)
    set_day(tuesday)
    b = _cash(loan, "49500.00", agents, "现金 B")
    aml_monitor_day(business_date=tuesday)
    alert = AmlAlert.objects.get()
    audits = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        aml_alert_investigate(alert_id=alert.pk, actor=agents[0])
    with pytest.raises(ValidationError):
        aml_alert_decide(alert_id=alert.pk, actor=officer, to_status="confirmed", decision_text="")
    alert.refresh_from_db()
    assert (alert.status, alert.decided_by, AuditEntry.objects.count()) == ("open", None, audits)
    aml_alert_investigate(alert_id=alert.pk, actor=officer)
    decided_on = dt.date(2026, 2, 19)  # Thursday in 春节
    set_day(decided_on)
    aml_alert_decide(alert_id=alert.pk, actor=officer, to_status="confirmed",
                     decision_text="客户无法说明现金来源，连续两日分拆存入")  # fmt: skip
    alert.refresh_from_db()
    assert (alert.status, alert.decided_on, alert.report_due) == (
        "confirmed",
        decided_on,
        working_days_after(decided_on, 5),
    )
    assert alert.report_due == dt.date(2026, 2, 28)  # 02-24..27 and the worked Saturday
    assert list(
        AuditEntry.objects.filter(object_id=str(alert.pk), action__startswith="aml_alert")
        .order_by("id")
        .values_list("to_state", flat=True)
    ) == ["investigating", "confirmed"]
    with pytest.raises(ValidationError):  # a decided case stays decided
        aml_alert_decide(alert_id=alert.pk, actor=officer, to_status="dismissed", decision_text="x")
    name, content = aml_report_file(alert)
    assert name == f"BS-AML-{alert.pk}-20260217.csv"
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["报告类型"], r["交易金额"], r["资金渠道"], r["交易日期"]) for r in rows] == [
        ("BS", "48000.00", "现金", "2026-02-16"),
        ("BS", "49500.00", "现金", "2026-02-17"),
    ]
    assert {r["报告截止日"] for r in rows} == {"2026-02-28"}
    assert {r["证件类型"] for r in rows} == {"居民身份证"}
    assert all(len(r["证件号码"]) == 18 for r in rows)
    assert {r["调查结论"] for r in rows} == {"客户无法说明现金来源，连续两日分拆存入"}
    assert sorted([a.pk, b.pk]) == alert.repayment_ids
