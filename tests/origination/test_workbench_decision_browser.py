"""The underwriter's decision screen in a real browser at desktop 1366×900, by clicking only
after the login page: queue → case → claim → review the findings → approve; a decline through
its confirm step; an out-of-authority case sent up with 转高级 and taken by a senior. A
screenshot per step under test-output/uw/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from origination.models.underwriting import UnderwritingCase
from risk.models import Decision
from risk.services.rulesets import rule_set_default_ensure
from tests.factories import PASSWORD
from tests.origination.workbench_support import make_referred

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("test-output/uw")


@pytest.fixture
def desk(browser):
    """A back-office desktop page, 1366×900, zh-CN."""
    contexts = []

    def _new():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        contexts.append(context)
        p = context.new_page()
        p.set_default_timeout(15000)
        return p

    yield _new
    for c in contexts:
        c.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _with_decision(app):
    Decision.objects.create(
        application_ref=app.reference,
        rule_set=rule_set_default_ensure(),
        facts={},
        inputs={
            "bureau": {
                "found": True,
                "bureau_score": 688,
                "inquiries_6m": 2,
                "max_dpd_24m": 0,
                "cc_utilisation": 0.35,
                "monthly_debt_payments": "1200.00",
                "total_debt": "36000.00",
                "court_enforcement": False,
            },
            "verification": {"result": "match"},
            "phone": {"status": "owner_changed", "tenure_months": 1},
            "valuation": {"guide_price": "150000.00", "basis": "msrp"},
        },
        score=612,
        tier="B",
        outcome="refer",
        reasons=[
            {
                "code": "R05_PHONE_STATUS",
                "kind": "refer",
                "explanation": "手机号状态或在网时长需要人工核实",
            }
        ],
    )
    return app


def _to_queue(page, login, user):
    login(page, user.username, PASSWORD)
    page.click("#main-nav >> text=审批工作台")
    expect(page.locator("h1")).to_have_text("审批工作台")


def _open_case(page, ref):
    page.locator(f"#queue tr[data-ref='{ref}'] a").first.click()
    expect(page.locator("#case-summary")).to_be_visible()


def test_underwriter_reviews_findings_and_approves(
    desk, live_server, browser_login, products, underwriter
):
    app = _with_decision(make_referred(products=products))
    page = desk()
    _to_queue(page, browser_login, underwriter)
    row = page.locator(f"#queue tr[data-ref='{app.reference}']")
    expect(row).to_contain_text("¥146,000.00")
    expect(row.locator(".uw-over-limit")).to_have_count(0)
    _shot(page, "01-queue")

    _open_case(page, app.reference)
    expect(page.locator("#authority-fit")).to_contain_text("在我的权限内")
    expect(page.locator("#case-summary")).to_contain_text("612")
    _shot(page, "02-case-before-claim")
    page.click("#claim")
    expect(page.locator("#approve-form")).to_be_visible()
    findings = page.locator("#risk-panel")
    expect(findings.locator("#findings-bureau")).to_contain_text("近24个月最长逾期天数")
    expect(findings.locator("#findings-bureau")).to_contain_text("0 天")
    expect(findings.locator("#findings-verification")).to_contain_text("一致")
    expect(findings.locator("#findings-verification")).to_contain_text("已过户")
    expect(findings.locator("#findings-rules")).to_contain_text("手机号状态异常或在网时间短")
    text = findings.inner_text()
    for raw in ("found", "max_dpd_24m", "True", "match", "{'"):
        assert raw not in text
    expect(page.locator("#decline-form")).to_have_count(0)  # one action at a time
    _shot(page, "03-claimed-findings")

    page.click("#approve")
    expect(page.locator("#app-status")).to_contain_text("已批准")
    _shot(page, "04-approved")


def test_underwriter_declines_through_the_confirm_step(
    desk, live_server, browser_login, products, underwriter
):
    app = make_referred(products=products)
    page = desk()
    _to_queue(page, browser_login, underwriter)
    _open_case(page, app.reference)
    page.click("#claim")
    page.click("#tab-decline")
    expect(page.locator("#decline-form")).to_be_visible()
    expect(page.locator("#approve-form")).to_have_count(0)
    page.get_by_label("负债过高，还款能力不足", exact=False).check()
    _shot(page, "05-decline-tab")
    page.click("#decline")
    expect(page.locator("#decline-confirm h1")).to_have_text("确认拒绝该申请？")
    expect(page.locator("#decline-reasons")).to_contain_text("负债过高")
    app.refresh_from_db()
    assert app.status == "referred"  # nothing changes before the confirmation
    _shot(page, "06-decline-confirm")
    page.click("#confirm-decline")
    expect(page.locator("#app-status")).to_contain_text("已拒绝")
    _shot(page, "07-declined")


def test_out_of_authority_case_is_escalated_and_a_senior_takes_it(
    desk, live_server, browser_login, products, underwriter, senior
):
    from decimal import Decimal

    app = make_referred(
        products=products, vehicle_price=Decimal("400000.00"), down_payment=Decimal("100000.00")
    )
    page = desk()
    _to_queue(page, browser_login, underwriter)
    expect(page.locator(f"#queue tr[data-ref='{app.reference}'] .uw-over-limit")).to_be_visible()
    _shot(page, "08-queue-over-limit")
    _open_case(page, app.reference)
    expect(page.locator("#authority-fit")).to_contain_text("需高级审批")
    page.click("#claim")
    expect(page.locator("#escalate-form")).to_be_visible()  # over the limit: 转高级 first
    page.fill("#escalate-note", "融资额超出本人权限")
    _shot(page, "09-escalate")
    page.click("#escalate")
    expect(page.locator(".messages")).to_contain_text("已转高级审批员")
    expect(page.locator(f"#queue tr[data-ref='{app.reference}']")).to_have_count(0)
    _shot(page, "10-left-my-queue")
    case = UnderwritingCase.objects.get(application=app)
    assert case.escalated_by_id == underwriter.pk and case.assigned_to_id is None

    page2 = desk()
    _to_queue(page2, browser_login, senior)
    row = page2.locator(f"#queue tr[data-ref='{app.reference}']")
    expect(row.locator(".uw-escalated")).to_have_text("已转高级")
    _shot(page2, "11-senior-queue")
    _open_case(page2, app.reference)
    expect(page2.locator("#escalated-note")).to_contain_text("融资额超出本人权限")
    page2.click("#claim")
    page2.click("#approve")
    expect(page2.locator("#app-status")).to_contain_text("已批准")
    expect(page2.locator("#timeline")).to_contain_text("合同已生成")
    assert "contract" not in page2.locator("#timeline").inner_text()
    _shot(page2, "12-senior-approved")
