"""From a decision to a signed contract, on a phone (issue #16, items 1, 2, 11): the customer's
application page updates itself when the decision lands, the 待办 panel says 签署合同 and links
to the contract, the contract is read in the page with its key facts, the agree box opens only
once it has been read, the SMS code names the contract and the amount, and the customer signs.

The application is made through intake's and underwriting's services (workbench_support);
every step after the first page is a click. Screenshots: test-output/sign/NN-<step>.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from autofin.models import OutboundMessage
from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.services.applications.decision import application_decision_apply
from origination.services.contracts.issue import contract_issue
from tests.factories import PASSWORD
from tests.origination.workbench_support import last_sms_code, make_referred

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "sign"


def _shot(page, n: int, step: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{n:02d}-{step}.png"), full_page=True)


def _under_review(products):
    """An application being decided: made as make_referred does, stopped at under_review."""
    app = make_referred(products=products)
    customer = app.customer_user
    # back to the decision's moment: a referred application is re-opened by the decision
    Application.objects.filter(pk=app.pk).update(status="under_review")
    app.refresh_from_db()
    app.customer_user = customer
    return app


def test_customer_sees_the_decision_then_reads_agrees_and_signs_on_a_phone(
    phone_page, live_server, browser_login, products, settings
):
    settings.SITE_URL = live_server.url
    app = _under_review(products)
    customer = app.customer_user
    page = phone_page
    browser_login(page, customer.username, PASSWORD)

    # --- home: the 待办 panel names the application and what is awaited ---------------------
    todo = page.get_by_test_id("todo")
    expect(todo).to_contain_text(app.reference)
    expect(todo).to_contain_text("系统正在审批")
    _shot(page, 1, "home-waiting")
    todo.get_by_role("link", name="查看进度").click()
    expect(page.get_by_test_id("status")).to_have_text("自动审批中")
    expect(page.get_by_test_id("polling")).to_be_visible()
    _shot(page, 2, "application-under-review")

    # --- the decision lands (approved, contract issued) while the page is open --------------
    with transaction.atomic():
        application_decision_apply(application_id=app.pk, outcome="approve", actor="test")
        contract = contract_issue(application_id=app.pk, actor="test")
    expect(page.get_by_test_id("status")).to_have_text("已批准", timeout=15000)
    expect(page.get_by_test_id("polling")).to_have_count(0)  # decided: no more polling
    todo = page.get_by_test_id("todo")
    expect(todo).to_contain_text(contract.contract_ref)
    expect(page.get_by_text("请等待签约通知")).to_have_count(0)
    terms = page.get_by_test_id("approved-terms")
    expect(terms.get_by_test_id("terms-instalment")).to_have_text(
        f"¥{contract.monthly_payment:,.2f}"
    )
    expect(terms.get_by_test_id("terms-rate")).to_have_text(f"{contract.customer_rate * 100:.2f}%")
    _shot(page, 3, "application-approved")

    # --- the signing page: key facts, the contract in the page, read before agreeing -------
    todo.get_by_role("link", name="签署合同").click()
    facts = page.locator("#key-facts")
    expect(facts.get_by_test_id("fact-amount")).to_have_text(f"¥{contract.amount_financed:,.2f}")
    expect(facts.get_by_test_id("fact-apr")).to_have_text(f"{contract.apr * 100:.2f}%")
    expect(facts.get_by_test_id("fact-instalment")).to_have_text(
        f"¥{contract.monthly_payment:,.2f}"
    )
    expect(facts.get_by_test_id("fact-penalty")).to_have_text(f"{contract.penalty_rate * 100:.2f}%")
    expect(facts.get_by_test_id("fact-prepay")).to_contain_text("手续费")
    doc = page.locator("#contract-text")
    expect(doc).to_contain_text("附件：还款计划表")
    expect(doc).to_contain_text(contract.contract_ref)
    expect(page.locator("iframe")).to_have_count(0)
    agree = page.locator("input[name=agree]")
    expect(agree).to_be_disabled()
    expect(page.locator("#send-code")).to_be_disabled()
    _shot(page, 4, "sign-unread")
    doc.evaluate("el => { el.scrollTop = el.scrollHeight; }")  # read to the end
    expect(agree).to_be_enabled()
    agree.check()
    _shot(page, 5, "sign-read-agreed")

    # --- the SMS code names the contract and the amount -------------------------------------
    page.click("#send-code")
    expect(page.get_by_text("验证码已发送至")).to_be_visible()
    sms = OutboundMessage.objects.filter(to=customer.phone, channel="sms").order_by("-id").first()
    assert f"您正在签署合同 {contract.contract_ref}" in sms.body
    assert f"融资金额 ¥{contract.amount_financed:,.2f}" in sms.body
    expect(page.locator("input[name=agree]")).to_be_checked()
    page.fill("input[name=code]", last_sms_code(customer.phone))
    _shot(page, 6, "sign-code")
    page.click("#sign")
    expect(page.locator("#signed")).to_be_visible()
    expect(page.locator("#contract-status")).to_have_text("已签署")
    _shot(page, 7, "signed")
    contract.refresh_from_db()
    assert contract.status == "signed"

    # --- back on 我的申请: the 待办 says what is awaited now -------------------------------
    page.locator("[data-nav-toggle]").click()  # the phone's menu
    page.locator("#main-nav").get_by_role("link", name="我的申请", exact=True).click()
    expect(page.get_by_test_id("todo")).to_contain_text("合同已签署")
    _shot(page, 8, "my-applications-signed")


def test_nothing_is_sent_or_signed_before_the_contract_is_read_and_agreed(
    client, products, underwriter
):
    from origination.services.underwriting.approval import underwriting_approve
    from origination.services.underwriting.claims import case_claim

    app = make_referred(products=products)
    case_claim(application_id=app.pk, actor=underwriter)
    underwriting_approve(application_id=app.pk, actor=underwriter)
    contract = Contract.objects.get(application=app)
    client.force_login(app.customer_user)
    sent = OutboundMessage.objects.count()
    url = f"/contracts/{contract.contract_ref}/code/"
    page = client.post(url, {"agree": "on"}, follow=True).content.decode()
    assert "请先阅读合同全文" in page
    page = client.post(url, {"read": "1"}, follow=True).content.decode()
    assert "请勾选同意合同全部条款" in page
    assert OutboundMessage.objects.count() == sent
    signed = client.post(
        f"/contracts/{contract.contract_ref}/sign/", {"code": "123456", "agree": "on"}
    ).content.decode()
    assert "请先阅读合同全文" in signed
    contract.refresh_from_db()
    assert contract.status == "issued"


def test_every_message_with_a_link_carries_an_absolute_site_url(
    client, products, underwriter, settings
):
    """The contract-issued SMS (and any other the signing path sends) links absolutely."""
    from origination.services.underwriting.approval import underwriting_approve
    from origination.services.underwriting.claims import case_claim

    settings.SITE_URL = "https://autofin.example.cn"
    app = make_referred(products=products)
    case_claim(application_id=app.pk, actor=underwriter)
    underwriting_approve(application_id=app.pk, actor=underwriter)
    contract = Contract.objects.get(application=app)
    client.force_login(app.customer_user)
    form = {"read": "1", "agree": "on"}
    client.post(f"/contracts/{contract.contract_ref}/code/", form, follow=True)
    code = last_sms_code(app.customer_user.phone)
    client.post(f"/contracts/{contract.contract_ref}/sign/", {**form, "code": code})
    contract.refresh_from_db()
    assert contract.status == "signed"
    bodies = list(OutboundMessage.objects.values_list("body", flat=True))
    issued = [b for b in bodies if contract.contract_ref in b and "已生成" in b]
    assert (
        issued
        and f"https://autofin.example.cn/contracts/{contract.contract_ref}/sign/" in (issued[0])
    )
    absolute = [u for b in bodies for u in re.findall(r"https?://[^\s，。）]+", b)]
    assert absolute and all(u.startswith("https://autofin.example.cn/") for u in absolute)
    for body in bodies:  # no path a phone cannot open: every /x/ sits inside an absolute URL
        bare = re.sub(r"https?://[^\s，。）]+", "", body)
        assert not re.search(r"/[a-z][\w-]*/", bare), body
