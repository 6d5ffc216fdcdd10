"""Finance pages: list, detail, prepare / approve / retry, payee register, reconciliation; and
the operator's browser path prepare → approve → (send) → funded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from servicing.models.disbursement import Disbursement, PayeeChange, ReconciliationRun
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create
from tests.factories import PASSWORD, UserFactory
from tests.servicing.disbursement_support import (
    STANDARD,
    deliver,
    make_facts,
    register_payee,
    send_all,
)

# Every test here runs the sandbox bank's sends and callbacks by hand (servicing/conftest.py).
pytestmark = pytest.mark.usefixtures("disbursement_settings")


@pytest.fixture
def contract(dealer, customer, payees, monkeypatch):
    """A ready contract as origination's selectors give it (their selectors stubbed)."""
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    monkeypatch.setattr(
        "servicing.services.disbursement.create.contract_facts_load",
        lambda *, contract_id: dict(facts),
    )
    monkeypatch.setattr(
        "servicing.selectors.disbursement.contracts_ready",
        lambda: (
            [
                {
                    "contract_id": facts["contract_id"],
                    "contract_ref": facts["contract_ref"],
                    "application_id": None,
                    "amount_financed": facts["amount_financed"],
                    "signed_at": None,
                }
            ]
            if not Disbursement.objects.filter(contract_id=facts["contract_id"]).exists()
            else []
        ),
    )
    return facts


def test_pages_need_a_finance_role(client, db):
    client.force_login(UserFactory(roles=["customer"]))
    assert client.get(reverse("servicing:disbursement_list")).status_code == 403
    client.logout()
    assert client.get(reverse("servicing:disbursement_list")).status_code == 302


def test_prepare_approve_and_funded_through_the_pages(client, contract, maker, checker):
    client.force_login(maker)
    page = client.get(reverse("servicing:disbursement_list"))
    assert page.status_code == 200
    assert contract["contract_ref"] in page.content.decode()
    no_token = client.post(
        reverse("servicing:disbursement_prepare"), {"contract_id": contract["contract_id"]}
    )
    assert no_token.status_code == 400 and not Disbursement.objects.exists()
    response = client.post(
        reverse("servicing:disbursement_prepare"),
        {"contract_id": contract["contract_id"], "token": "prep-1"},
    )
    d = Disbursement.objects.get(contract_id=contract["contract_id"])
    assert response.status_code == 302 and d.status == "prepared"
    # the maker sees no approve button and a POST is refused
    html = client.get(reverse("servicing:disbursement_detail", args=[d.pk])).content.decode()
    assert 'id="approve"' not in html and "¥120,000.00" in html
    refused = client.post(reverse("servicing:disbursement_approve", args=[d.pk]), {"token": "a0"})
    d.refresh_from_db()
    assert refused.status_code == 403 and d.status == "prepared"
    client.force_login(checker)
    html = client.get(reverse("servicing:disbursement_detail", args=[d.pk])).content.decode()
    assert 'id="approve"' in html
    client.post(
        reverse("servicing:disbursement_approve", args=[d.pk]), {"token": "a1", "confirm": "1"}
    )
    d.refresh_from_db()
    assert d.status == "released"
    send_all(d)
    deliver(d)
    html = client.get(reverse("servicing:disbursement_detail", args=[d.pk])).content.decode()
    assert "已放款" in html and "付款成功" in html
    assert (
        contract["contract_ref"]
        in client.get(reverse("servicing:disbursement_list")).content.decode()
    )


def test_failed_instruction_shows_retry_and_retries(client, contract, maker, checker, payees):
    register_payee(maker, checker, payee_type="insurer", name=payees["insurer"].name,
                   account="6222021009990001", payee_id=payees["insurer"].pk)  # fmt: skip
    d = disbursement_create(facts=contract, actor=maker)
    disbursement_approve(disbursement_id=d.pk, actor=checker)
    send_all(d)
    deliver(d)
    client.force_login(maker)
    board = client.get(reverse("servicing:disbursement_list")).context
    assert [x.pk for x in board["failed"]] == [d.pk]
    insurer = d.instructions.get(payee_kind="insurer")
    html = client.get(reverse("servicing:disbursement_detail", args=[d.pk])).content.decode()
    assert "重新付款" in html and "收款账户已销户" in html
    for _ in range(2):  # a double submit retries once
        client.post(reverse("servicing:instruction_retry", args=[insurer.pk]), {"token": "r1"})
    assert insurer.attempts.count() == 2


def test_payee_register_maker_checker_pages(client, db, maker, checker):
    client.force_login(maker)
    response = client.post(
        reverse("origination:payee_list"),
        {
            "payee_type": "gps",
            "name": "新 GPS 服务商",
            "account_name": "新 GPS 服务商",
            "bank_name": "建设银行",
            "account_number": "6222 0300 0000 7777",
        },  # fmt: skip
    )
    assert response.status_code == 302
    change = PayeeChange.objects.get(name="新 GPS 服务商")
    assert change.account_number_masked == "6222********7777"
    # the maker cannot approve their own change
    client.post(
        reverse("origination:payee_change_decide", args=[change.pk]), {"decision": "approve"}
    )
    change.refresh_from_db()
    assert change.status == "pending"
    bad = client.post(reverse("origination:payee_list"), {"payee_type": "gps", "name": "x",
                      "account_name": "x", "bank_name": "x", "account_number": "12"})  # fmt: skip
    assert bad.status_code == 200 and "8 至 30 位数字" in bad.content.decode()
    client.force_login(checker)
    assert "新 GPS 服务商" in client.get(reverse("origination:payee_list")).content.decode()
    client.post(
        reverse("origination:payee_change_decide", args=[change.pk]), {"decision": "approve"}
    )
    change.refresh_from_db()
    assert (change.status, change.approved_by_id) == ("approved", checker.pk)
    assert change.payee.verified is True


def test_reconciliation_page_runs_and_shows_lines(client, db, maker, today):
    client.force_login(maker)
    assert client.get(reverse("servicing:reconciliation_list")).status_code == 200
    response = client.post(reverse("servicing:reconciliation_list"),
                           {"statement_date": "2026-03-16"})  # fmt: skip
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302 and run.statement_date == dt.date(2026, 3, 16)
    assert client.get(reverse("servicing:reconciliation_detail", args=[run.pk])).status_code == 200


@pytest.mark.browser
def test_operator_browser_path_prepare_approve_funded(
    live_server, transactional_db, browser, contract, maker, checker
):
    def login(user):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_load_state("networkidle")
        return context, page

    ctx, page = login(maker)
    page.goto(f"{live_server.url}{reverse('servicing:disbursement_list')}")
    page.get_by_role("button", name="发起放款").click()
    page.wait_for_load_state("networkidle")
    assert "待复核" in page.inner_text("#disbursement-status")
    detail_url = page.url
    ctx.close()

    ctx, page = login(checker)
    page.goto(detail_url)
    page.check("#confirm-instructions")  # the checker confirms the instructions first
    page.click("#approve")
    page.wait_for_load_state("networkidle")
    assert "付款中" in page.inner_text("#disbursement-status")
    d = Disbursement.objects.get(contract_id=contract["contract_id"])
    send_all(d)  # the sandbox send task, run synchronously
    deliver(d)
    page.reload()
    assert "已放款" in page.inner_text("#disbursement-status")
    assert page.locator("span.badge.ok", has_text="付款成功").count() == 4
    ctx.close()
