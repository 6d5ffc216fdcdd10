"""The operators' path through the real pages, in Debian's chromium: an underwriter claims and
approves a referred dealer-channel application with a condition and records it satisfied; the
customer signs on a phone with the SMS code; a finance operator records the pre-funding
checklist and prepares the disbursement; a finance approver releases it; the sandbox bank pays
(its send and callback run in this process between page steps); the page shows it funded; the
customer sees the loan and the signed contract under /my/loans/.

Everything before the first page (the dealer, the application, risk's referral) is made
through the apps' services (tests/journey_support.py)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.models.underwriting import Condition
from origination.services.applications.submission import application_submit
from origination.tasks.decisions import application_decide
from servicing.gateway.sandbox_bank import sandbox_bank_close_connections
from servicing.models.disbursement import Disbursement
from servicing.models.loans import Loan
from servicing.selectors.ledger import trial_balance
from tests.factories import PASSWORD
from tests.journey_support import (
    TODAY,
    customer_signup_by_sms,
    dealer_application_make,
    dealer_make,
    journey_settings,
    last_code,
    salesperson_make,
    world_make,
)
from tests.servicing.disbursement_support import deliver, send_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _journey(settings, tmp_path):
    journey_settings(settings, tmp_path)
    # as the disbursement browser test: the sends and the bank's callbacks are run by the test
    settings.DISBURSEMENT_DISPATCH = "manual"
    yield
    sandbox_bank_close_connections()


SHOTS = Path("test-output/j-audit/journey")


def _shot(page, step: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{step}.png"), full_page=True)


def _funding_board(page) -> None:
    """放款 in the menu, then 待放款: where finance starts from a signed contract."""
    page.locator("#main-nav").get_by_role("link", name="放款", exact=True).click()
    page.click("#nav-funding-board")
    expect(page.locator("h1")).to_have_text("待放款")


def _logout(page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()


def _record(page, label: str, status: str, evidence: str, deadline: str = "") -> None:
    """One checklist row on the contract page: choose, give the evidence, 登记."""
    row = page.locator("#checklist tbody tr", has_text=label)
    row.locator("select[name=status]").select_option(status)
    row.locator("input[name=evidence]").fill(evidence)
    if deadline:
        row.locator("input[name=deadline]").fill(deadline)
    row.get_by_role("button", name="登记").click()
    # the status cell changes only on the page the form redirects to: a wait on the new page
    shown = {"done": "已完成", "after_funding": "放款后补（有期限）"}[status]
    expect(page.locator("#checklist tbody tr", has_text=label).locator("td").nth(1)).to_have_text(
        shown
    )
    expect(page.get_by_text("检查项已登记。")).to_be_visible()


def test_underwriter_to_funded_to_the_customers_loan_in_the_browser(
    page, phone_page, live_server, browser_login
):
    # --- given (services): a grade-D dealer's application, referred by the decision task -----
    cast, products = world_make()
    dealer = dealer_make(cast, grade_d=True)
    sales = salesperson_make(cast, dealer)
    customer = customer_signup_by_sms(phone="13911117788", name="王小明")
    app = dealer_application_make(
        products=products, dealer=dealer, salesperson=sales, customer_name="王小明",
        mobile=customer.phone,
    )  # fmt: skip
    application_submit(actor=sales, application=app, key="browser-1", queue_decision=False)
    assert application_decide(app.pk) == "referred"
    url = live_server.url

    # --- the underwriter: queue → case → claim → approve with a condition → satisfied -------
    browser_login(page, cast.underwriter.username, PASSWORD)
    page.locator("#main-nav").get_by_role("link", name="审批工作台", exact=True).click()
    row = page.locator(f"#queue tr[data-ref='{app.reference}']")
    expect(row).to_contain_text("¥163,699.12")
    row.locator("a").first.click()
    expect(page.locator("#risk-panel")).to_contain_text("R02_DEALER_GRADE")
    expect(page.locator("#app-status")).to_have_text("人工审批中")
    page.click("#claim")
    expect(page.locator("#approve-form")).to_be_visible()
    page.select_option("select[name=approve-cond_kind_1]", "documents")
    page.fill("input[name=approve-cond_note_1]", "补充近 6 个月银行流水")
    page.fill("input[name=approve-note]", "收入稳定，渠道评级 D 已核实")
    page.click("#approve")
    expect(page.locator("#app-status")).to_have_text("已批准")
    contract = Contract.objects.get(application=app)
    expect(page.locator("#conditions")).to_contain_text(contract.contract_ref)
    conditions = page.locator("#conditions")
    conditions.locator("select[name=status]").select_option("satisfied")
    conditions.locator("input[name=evidence]").fill("已收到银行流水，月均入账 2.6 万")
    conditions.get_by_role("button", name="登记").click()
    expect(page.get_by_text("条件已更新。")).to_be_visible()
    expect(page.locator("#conditions .badge.ok")).to_have_text("已满足")
    assert Condition.objects.get(application=app).status == "satisfied"
    _logout(page)

    # --- the customer signs on the phone with the SMS code from the sandbox outbox ----------
    phone = phone_page
    browser_login(phone, customer.username, PASSWORD)
    # from the home page's 待办, not a typed address
    todo = phone.get_by_test_id("todo")
    expect(todo).to_contain_text(contract.contract_ref)
    todo.get_by_role("link", name="签署合同").click()
    expect(phone.locator("body")).to_contain_text(contract.contract_ref)
    phone.locator("#contract-text").evaluate("el => { el.scrollTop = el.scrollHeight; }")
    phone.click("#read-done")  # 我已阅读, at the end of the contract in the page
    phone.check("input[name=agree]")
    phone.click("#send-code")
    expect(phone.get_by_text("验证码已发送至")).to_be_visible()
    phone.fill("input[name=code]", last_code(customer.phone, "sms_code_contract_sign"))
    phone.check("input[name=agree]")
    phone.click("#sign")
    expect(phone.locator("#signed")).to_be_visible()
    expect(phone.locator("#contract-status")).to_contain_text("已签署")
    _logout(phone)

    # --- the finance operator records the checklist on the contract page, then prepares ------
    browser_login(page, cast.maker.username, PASSWORD)
    _funding_board(page)
    blocked = page.locator("#funding-board tr", has_text=contract.contract_ref)
    expect(blocked).to_contain_text("车辆保险")  # what blocks it, with the way to fix it
    blocked.get_by_role("link", name="去登记").first.click()
    expect(page.locator("#checklist")).to_contain_text("合同已签署")
    _record(page, "车辆保险", "done", "保单号 PA2026031600123")
    _record(page, "GPS 已安装", "done", "GPS 设备号 BD-77801")
    _record(page, "发票金额与车价一致", "done", "发票 200,000.00 与车价一致")
    _record(page, "抵押登记", "after_funding", "车管所预约 0412", deadline="2026-04-15")
    expect(page.locator("h2", has_text="放款前检查")).to_contain_text("可放款")
    recorded = contract.checklist.exclude(item_kind="signed_contract")
    assert set(recorded.values_list("recorded_by", flat=True)) == {cast.maker.pk}
    page.locator("#main-nav").get_by_role("link", name="放款", exact=True).click()
    ready = page.locator("tr", has_text=contract.contract_ref)
    expect(ready).to_contain_text("¥163,699.12")
    ready.get_by_role("button", name="发起放款").click()
    expect(page.locator("#disbursement-status")).to_have_text("待复核")
    expect(page.locator("#approve")).to_have_count(0)  # the maker cannot approve
    _logout(page)

    # --- a different person, the finance approver, releases it -----------------------------
    browser_login(page, cast.checker.username, PASSWORD)
    _funding_board(page)
    waiting = page.locator("#funding-board tr", has_text=contract.contract_ref)
    expect(waiting).to_contain_text("待复核")
    waiting.get_by_role("link", name="去复核").click()
    page.check("#confirm-instructions")  # the checker confirms the instructions first
    page.click("#approve")
    expect(page.locator("#disbursement-status")).to_have_text("付款中")
    d = Disbursement.objects.get(contract_id=contract.pk)
    assert send_all(d) == ["sent"] * 3  # the send task, run here between page steps
    assert deliver(d) == 3  # the sandbox bank's callbacks
    page.reload()
    expect(page.locator("#disbursement-status")).to_have_text("已放款")
    expect(page.locator("span.badge.ok", has_text="付款成功")).to_have_count(3)
    _logout(page)
    loan = Loan.objects.get(contract_ref=contract.contract_ref)
    assert Application.objects.get(pk=app.pk).status == "funded"
    assert (loan.customer_id, loan.amount_financed, loan.value_date) == (
        customer.pk, d.amount_financed, TODAY,
    )  # fmt: skip
    assert trial_balance().total == 0

    # --- the customer logs in and sees the loan and its signed contract under 我的贷款 ------
    browser_login(phone, customer.username, PASSWORD)
    phone.click("[data-nav-toggle]")  # the phone's menu, then 我的贷款
    phone.locator("#main-nav").get_by_role("link", name="我的贷款").click()
    card = phone.get_by_test_id("loan-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(contract.contract_ref)
    expect(card.get_by_test_id("next-due-date")).to_have_text("2026-04-16")
    expect(card.get_by_test_id("next-due-amount")).to_have_text("¥4,832.32")
    card.get_by_role("link", name="查看与还款").click()
    link = phone.get_by_role("link", name="下载已签合同")
    expect(link).to_be_visible()
    pdf = phone.request.get(url + link.get_attribute("href"))
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    assert re.search(r"signed", pdf.headers.get("content-disposition", ""))
    consents = phone.get_by_role("link", name="授权管理")
    assert consents.get_attribute("href") == reverse("origination:consents")

    # --- the first payment: 立即还款 on the loan page, the sandbox cashier, back with the money ---
    phone.get_by_label("还款金额（元）").fill("4832.32")
    phone.get_by_test_id("pay-now").click()
    expect(phone.get_by_test_id("pay-amount")).to_have_text("¥4,832.32")  # the cashier
    _shot(phone, "customer-cashier")
    phone.get_by_test_id("confirm-pay").click()
    expect(phone.get_by_text("支付成功：¥4,832.32 已入账。")).to_be_visible()
    expect(phone.get_by_text("¥4,832.32 ·")).to_be_visible()  # under 最近还款
    # paid before the 04-16 due date: held as an advance, applied on the due date
    expect(phone.get_by_text("溢缴款余额 ¥4,832.32")).to_be_visible()
    _shot(phone, "customer-paid")
    paid = loan.repayments.get()
    assert (paid.amount, paid.source) == (Decimal("4832.32"), "online")
    assert trial_balance().total == 0
    _logout(phone)

    # --- the salesperson who made the application sees it funded in their pipeline ---------
    browser_login(page, sales.username, PASSWORD)
    page.click("a.card:has-text('经销商门户')")
    funded = page.locator("[data-testid=pipeline] [data-status=funded]")
    expect(funded).to_contain_text(app.reference)
    funded.get_by_role("link", name=app.reference).click()
    expect(page.get_by_test_id("status")).to_have_text("已放款")
    _shot(page, "dealer-funded")
