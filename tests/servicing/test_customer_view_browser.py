"""An agent finds a customer by phone and sees the whole timeline (issue 21 §1), in a real
browser on a phone (390×844) and on a desktop, by clicking only after the login page: the nav's
"客户", the search, the customer page (masked header, timeline of every kind, a kind filter),
the reveal with a reason. Screenshots under test-output/crm/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.models import MarketingConsent
from servicing.models.collections import CollectionCase, ContactAttempt, LoanTask, PromiseToPay
from servicing.models.customers import Complaint, Offer
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_factory import VALUE_DATE, loan_through_funding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/crm")
PHONE = "13766661234"


def _login(browser, live_server, user, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def _customer_with_history():
    customer = UserFactory(roles=[Role.CUSTOMER], phone=PHONE, display_name="欧阳晓明")
    loan = loan_through_funding(customer=customer, amount="80000.00", term=12)
    collector = UserFactory(roles=[Role.COLLECTOR], display_name="催收员甲")
    now = timezone.now()
    case = CollectionCase.objects.create(
        loan=loan, queue="soft", bucket="M1", dpd=5, amount_overdue=Decimal("7000.00"),
        opened_on=VALUE_DATE + dt.timedelta(days=40),
    )  # fmt: skip
    ContactAttempt.objects.create(
        case=case, collector=collector, party="borrower", channel="phone", outcome="promise",
        note="客户承诺周五还款", discloses_debt=True, business_date=VALUE_DATE, at=now,
    )  # fmt: skip
    PromiseToPay.objects.create(
        case=case, promised_date=VALUE_DATE + dt.timedelta(days=45), amount=Decimal("7000.00"),
        made_on=VALUE_DATE + dt.timedelta(days=41), created_by=collector,
    )  # fmt: skip
    LoanTask.objects.create(
        loan=loan, kind="insurance_expiring", ref_date=VALUE_DATE + dt.timedelta(days=300),
        business_date=VALUE_DATE,
    )  # fmt: skip
    MarketingConsent.objects.create(customer=customer, given_via="portal")
    Complaint.objects.create(
        reference="TS2026000009", customer=customer, loan=loan, channel="phone",
        category="collection", summary="催收电话过于频繁", received_at=now,
        acknowledge_due_at=now + dt.timedelta(days=1), resolve_due_at=now + dt.timedelta(days=15),
    )  # fmt: skip
    Offer.objects.create(
        customer=customer, kind="maintenance", loan=loan, limit_amount=Decimal("20000.00"),
        annual_rate=Decimal("0.068"), max_term_months=12,
        expires_on=VALUE_DATE + dt.timedelta(days=90),
    )  # fmt: skip
    return customer, loan


@pytest.mark.parametrize(
    ("device", "viewport"),
    [("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1366, "height": 900})],
)
def test_agent_finds_a_customer_by_phone_and_sees_the_whole_timeline(
    live_server, browser, device, viewport
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer, loan = _customer_with_history()
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    context, page = _login(browser, live_server, agent, viewport)

    nav = page.locator("#main-nav")
    if device == "phone" and not nav.get_by_role("link", name="客户").is_visible():
        page.locator("[aria-controls=main-nav]").click()
    nav.get_by_role("link", name="客户", exact=True).click()
    page.get_by_test_id("customer-q").fill(PHONE)
    page.get_by_role("button", name="搜索").click()
    results = page.get_by_test_id("customer-results")
    expect(results).to_contain_text("137****1234")
    page.screenshot(path=str(SHOTS / f"crm-{device}-1-search.png"), full_page=True)
    results.get_by_role("link", name="欧**明").click()

    header = page.get_by_test_id("customer-header")
    expect(header).to_contain_text("137****1234")
    expect(page.get_by_test_id("loans-in-force")).to_have_text("1")
    expect(page.get_by_test_id("marketing-consent")).to_have_text("已同意")
    timeline = page.get_by_test_id("customer-timeline")
    for text in (
        "申请 AP",
        "已签署",
        f"{loan.contract_ref} 放款",
        "电话联系借款人本人：承诺还款",
        "承诺于",
        "保险即将到期",
        "催收立案",
        "投诉 TS2026000009",
        "保养分期",
        "营销授权：已同意",
        "授权：征信查询授权",
        "短信",
    ):
        expect(timeline).to_contain_text(text)
    # Chinese labels only: no codes of the rows behind them
    for code in ("insurance_expiring", "maintenance", "borrower", "promise"):
        expect(timeline).not_to_contain_text(code)
    page.screenshot(path=str(SHOTS / f"crm-{device}-2-timeline.png"), full_page=True)

    # the kind filter keeps one kind
    page.locator("nav.crm-kinds").get_by_role("link", name="投诉").click()
    expect(timeline.locator("li")).to_have_count(1)
    expect(timeline).to_contain_text("催收电话过于频繁")

    # the loan links to the agent's loan page, and back
    page.locator("nav.crm-kinds").get_by_role("link", name="贷款与租赁").click()
    timeline.get_by_role("link", name=f"贷款 {loan.contract_ref} 放款").click()
    expect(page.locator("h1")).to_contain_text(loan.contract_ref)
    page.get_by_test_id("customer-view-link").click()

    # the reveal asks why, then shows the full mobile for this page only
    page.fill("input[name=reason]", "客户来电核实身份")
    page.get_by_role("button", name="查看完整手机号和身份证号").click()
    expect(page.get_by_test_id("mobile")).to_have_text(PHONE)
    page.screenshot(path=str(SHOTS / f"crm-{device}-3-revealed.png"), full_page=True)
    context.close()
