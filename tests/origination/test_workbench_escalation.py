"""转高级 (escalate to a senior underwriter): who may, what changes (the case leaves the
underwriter's hands and queue, the seniors see it first, an audit row), and that every refusal
changes nothing; an escalated case is for seniors on every action. Also the decision screen:
findings in plain words, one action at a time, the decline confirm step."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from autofin.models import AuditEntry
from origination.models.applications import Application
from origination.models.underwriting import UnderwritingCase
from origination.selectors.workbench import workbench_queue
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.authority import UnderwritingError, authority_limit_for
from origination.services.underwriting.claims import case_claim
from origination.services.underwriting.escalation import case_escalate
from risk.models import Decision
from risk.selectors.findings import decision_findings
from risk.services.rulesets import rule_set_default_ensure
from tests.factories import UserFactory
from tests.origination.workbench_support import make_referred

pytestmark = pytest.mark.django_db


def _state(app):
    app.refresh_from_db()
    case = UnderwritingCase.objects.filter(application=app).first()
    return (
        app.status,
        case and (case.assigned_to_id, case.escalated_at, case.escalation_note),
        AuditEntry.objects.filter(action="underwriting_escalate").count(),
    )


def _refs(user):
    return [
        r.application.reference for r in workbench_queue(user=user, limit=authority_limit_for(user))
    ]


def test_underwriter_escalates_a_held_case_to_the_seniors(
    big_referred, underwriter, underwriter2, senior
):
    case_claim(application_id=big_referred.pk, actor=underwriter)
    assert big_referred.reference in _refs(underwriter)
    row = workbench_queue(user=underwriter, limit=authority_limit_for(underwriter))[0]
    assert row.over_limit  # ¥306,000 > the underwriter's ¥200,000

    case = case_escalate(application_id=big_referred.pk, actor=underwriter, note="超出权限")

    assert (case.assigned_to_id, case.claimed_at, case.escalated_by_id) == (
        None,
        None,
        underwriter.pk,
    )
    assert case.escalated_at is not None and case.escalation_note == "超出权限"
    audit = AuditEntry.objects.get(action="underwriting_escalate")
    assert (audit.from_state, audit.to_state) == (underwriter.get_username(), "senior_queue")
    # gone from the underwriters' queues, first in the seniors'
    assert big_referred.reference not in _refs(underwriter)
    assert big_referred.reference not in _refs(underwriter2)
    rows = workbench_queue(user=senior, limit=None)
    assert rows[0].application.reference == big_referred.reference and rows[0].escalated
    assert not rows[0].over_limit
    # only a senior may take and decide it now
    case_claim(application_id=big_referred.pk, actor=senior)
    app = underwriting_approve(application_id=big_referred.pk, actor=senior)
    assert app.status == "approved"


def test_an_escalated_case_is_refused_to_underwriters_on_every_action(
    big_referred, underwriter, underwriter2
):
    case_claim(application_id=big_referred.pk, actor=underwriter)
    case_escalate(application_id=big_referred.pk, actor=underwriter)
    before = _state(big_referred)
    for actor in (underwriter, underwriter2):
        with pytest.raises(UnderwritingError, match="仅高级审批员可处理"):
            case_claim(application_id=big_referred.pk, actor=actor)
    with pytest.raises(UnderwritingError):
        underwriting_approve(application_id=big_referred.pk, actor=underwriter)
    with pytest.raises(UnderwritingError, match="已转高级"):
        case_escalate(application_id=big_referred.pk, actor=underwriter)
    assert _state(big_referred) == before


@pytest.mark.parametrize("who", ["senior", "other_underwriter", "not_held", "customer"])
def test_escalation_refusals_change_nothing(who, referred, underwriter, underwriter2, senior):
    if who == "senior":
        case_claim(application_id=referred.pk, actor=senior)
        actor, why = senior, "您已是高级审批员"
    elif who == "other_underwriter":
        case_claim(application_id=referred.pk, actor=underwriter)
        actor, why = underwriter2, "请先领取"
    elif who == "not_held":
        actor, why = underwriter, "请先领取"
    else:
        actor, why = referred.customer_user, "只有审批员"
    before = _state(referred)
    with pytest.raises(UnderwritingError, match=why):
        case_escalate(application_id=referred.pk, actor=actor)
    assert _state(referred) == before


def test_escalation_outside_the_queue_is_refused(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    Application.objects.filter(pk=referred.pk).update(status="approved")
    before = _state(referred)
    with pytest.raises(UnderwritingError, match="不在审批队列"):
        case_escalate(application_id=referred.pk, actor=underwriter)
    assert _state(referred) == before


def test_escalate_page_action_moves_the_case_and_a_stranger_is_forbidden(
    client, big_referred, underwriter, senior
):
    case_claim(application_id=big_referred.pk, actor=underwriter)
    stranger = UserFactory(roles=["customer"])
    client.force_login(stranger)
    url = reverse("origination:workbench_escalate", args=[big_referred.reference])
    assert client.post(url, {"note": "x"}).status_code == 403
    assert UnderwritingCase.objects.get(application=big_referred).escalated_at is None

    client.force_login(underwriter)
    case_url = reverse("origination:workbench_case", args=[big_referred.reference])
    page = client.get(case_url).content.decode()
    assert "需高级审批" in page and 'id="escalate-form"' in page  # over limit: 转高级 first
    resp = client.post(url, {"note": "金额超权限"}, follow=True)
    assert "已转高级审批员" in resp.content.decode()
    assert big_referred.reference not in resp.content.decode().split('id="queue"')[1]

    client.force_login(senior)
    queue = client.get(reverse("origination:workbench")).content.decode()
    assert "已转高级" in queue and big_referred.reference in queue


def _decision(app, **inputs):
    return Decision.objects.create(
        application_ref=app.reference,
        rule_set=rule_set_default_ensure(),
        facts={},
        inputs=inputs,
        score=612,
        tier="C",
        outcome="refer",
        reasons=[
            {
                "code": "R05_PHONE_STATUS",
                "kind": "refer",
                "explanation": "手机号状态或在网时长需要人工核实",
            }
        ],
    )


DELINQUENT = {
    "found": True,
    "bureau_score": 480,
    "inquiries_6m": 8,
    "max_dpd_24m": 90,
    "cc_utilisation": 0.95,
    "monthly_debt_payments": "6000.00",
    "total_debt": "180000.00",
    "court_enforcement": True,
}


def test_findings_are_grouped_in_plain_words():
    groups = decision_findings(
        {
            "bureau": DELINQUENT,
            "verification": {"result": "match"},
            "phone": {"status": "owner_changed", "tenure_months": 1},
            "valuation": {"guide_price": "150000.00", "basis": "msrp"},
            "fraud_hits": [
                {
                    "check_code": "FRAUD_SHARED_BANK_ACCOUNT",
                    "evidence": {"applications": ["A1", "A2"]},
                }
            ],
            "reasons": [{"code": "R05_PHONE_STATUS", "kind": "refer"}],
        }
    )
    text = {g["key"]: {r["label"]: r["value"] for r in g["rows"]} for g in groups}
    assert text["bureau"]["近24个月最长逾期天数"] == "90 天"
    assert text["bureau"]["信用卡使用率"] == "95%"
    assert text["bureau"]["法院被执行记录"] == "有"
    assert text["bureau"]["每月已有负债还款"] == "¥6,000.00"
    assert text["verification"]["身份三要素（姓名、身份证号、手机号）"] == "一致"
    assert text["verification"]["手机号状态"] == "已过户"
    assert text["fraud"]["多名申请人共用同一银行账户"] == "涉及申请：A1、A2"
    assert text["rules"]["手机号状态异常或在网时间短"] == "转人工"


def test_case_page_is_a_decision_screen_without_raw_keys(client, referred, underwriter):
    _decision(
        referred,
        bureau=DELINQUENT,
        verification={"result": "match"},
        phone={"status": "active", "tenure_months": 36},
    )
    case_claim(application_id=referred.pk, actor=underwriter)
    client.force_login(underwriter)
    url = reverse("origination:workbench_case", args=[referred.reference])
    page = client.get(url).content.decode()
    visible = re.sub(r"<[^>]+>", " ", page)
    for raw in ("found", "max_dpd_24m", "True", "match", "{'", "inquiries_6m"):
        assert raw not in visible, raw
    assert "在我的权限内" in page and "612" in page and "近24个月最长逾期天数" in page
    # one action at a time: approve by default; the decline tab shows only the decline form
    assert 'id="approve-form"' in page and 'id="decline-form"' not in page
    page = client.get(url + "?action=decline").content.decode()
    assert 'id="decline-form"' in page and 'id="approve-form"' not in page


def test_case_strip_shows_the_debt_to_income_risk_decided_on(client, referred, underwriter):
    Decision.objects.create(
        application_ref=referred.reference,
        rule_set=rule_set_default_ensure(),
        facts={"applicant": {"income_monthly": "10000.00"}, "deal": {"instalment": "4258.00"}},
        inputs={"bureau": {**DELINQUENT, "court_enforcement": False}},
        score=612,
        tier="A",
        outcome="decline",
        reasons=[
            {
                "code": "A03_DEBT_TO_INCOME",
                "kind": "decline",
                "explanation": "还款能力评估未通过，且无可行的调整方案",
                "evidence": {"requested_instalment": "4258.44", "failures": ["debt_to_income"]},
            }
        ],
    )
    case_claim(application_id=referred.pk, actor=underwriter)
    client.force_login(underwriter)
    page = client.get(reverse("origination:workbench_case", args=[referred.reference]))
    visible = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    # (6,000 bureau debts + 4,258.44 at the tier's rate) / 10,000 income, as risk computed it
    assert "负债收入比 102.6%" in visible
    assert 'data-testid="dti-income"' not in page.content.decode()  # on the declared income


def test_case_strip_names_the_verified_income_its_ratio_is_on(client, referred, underwriter):
    """A referral on an income the sources verified lower carries no V01 finding: the strip's
    62.1 % read as if on the declared 12,000 (31 %) until it named the income it is on."""
    below = {"status": "below", "monthly_income": "6000.00"}
    Decision.objects.create(
        application_ref=referred.reference,
        rule_set=rule_set_default_ensure(),
        facts={"applicant": {"income_monthly": "12000.00"}, "deal": {"instalment": "3728.03"}},
        inputs={
            "bureau": {**DELINQUENT, "monthly_debt_payments": "0.00", "court_enforcement": False},
            "income": {"income_tax": below, "income_bank": below},
        },
        score=509,
        tier="D",
        outcome="refer",
        reasons=[{"code": "S02_SCORE_REVIEW", "kind": "refer", "explanation": ""}],
    )
    client.force_login(underwriter)
    page = client.get(reverse("origination:workbench_case", args=[referred.reference]))
    visible = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode()))
    assert "负债收入比 62.1% 按核实月收入 ¥6,000.00" in visible


def test_decline_asks_to_confirm_before_anything_changes(client, referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    client.force_login(underwriter)
    url = reverse("origination:workbench_decline", args=[referred.reference])
    data = {"decline-reason_codes": ["M02_DEBT_BURDEN"], "decline-note": "负债高"}
    page = client.post(url, data).content.decode()
    assert "确认拒绝该申请？" in page and "负债过高，还款能力不足" in page
    referred.refresh_from_db()
    assert referred.status == "referred"
    client.post(url, {**data, "confirmed": "1"})
    referred.refresh_from_db()
    assert referred.status == "declined"


def test_queue_sorts_colours_sla_and_marks_out_of_authority(products, underwriter):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from origination.selectors.workbench import QueueFilters

    small = make_referred(products=products)  # ¥146,000, entered 3h ago of a 4h SLA
    big = make_referred(
        products=products, vehicle_price=Decimal("400000.00"), down_payment=Decimal("100000.00")
    )  # ¥306,000, entered 30 minutes ago
    now = timezone.now()
    Application.objects.filter(pk=small.pk).update(status_changed_at=now - dt.timedelta(hours=3.5))
    Application.objects.filter(pk=big.pk).update(status_changed_at=now - dt.timedelta(minutes=30))
    limit = authority_limit_for(underwriter)

    def refs(sort):
        rows = workbench_queue(
            user=underwriter, filters=QueueFilters(sort=sort), now=now, limit=limit
        )
        return [r.application.pk for r in rows], rows

    order, rows = refs("sla")
    assert order == [small.pk, big.pk]
    assert [(r.sla_state, r.over_limit) for r in rows] == [
        ("due-soon", False),
        ("on-time", True),
    ]
    assert refs("amount")[0] == [big.pk, small.pk]
    assert refs("age")[0] == [big.pk, small.pk]


def test_dealer_case_page_shows_the_dealer_status_in_words(
    client, products, dealer, salesperson, underwriter
):
    app = make_referred(products=products, dealer=dealer, salesperson=salesperson)
    client.force_login(underwriter)
    page = client.get(reverse("origination:workbench_case", args=[app.reference])).content.decode()
    assert "合作中" in page
    assert "· active" not in page


def test_case_timeline_names_the_person_who_acted_and_leaves_no_dangling_separator(
    client, referred, underwriter
):
    # each row read "时间 标题 · " (the row had no actor field): now the person after a "·",
    # and nothing after the title when the system acted
    case_claim(application_id=referred.pk, actor=underwriter)
    client.force_login(underwriter)
    page = client.get(reverse("origination:workbench_case", args=[referred.reference]))
    timeline = re.search(r'<ul id="timeline">(.*?)</ul>', page.content.decode(), re.S).group(1)
    rows = re.findall(r"<li>(.*?)</li>", timeline, re.S)
    assert len(rows) >= 3
    assert not [r for r in rows if re.search(r"·\s*$", r)]
    assert any(r.endswith("· <span data-user-content>王小明</span>") for r in rows)  # submitted
    assert all(re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} ", r) for r in rows)
