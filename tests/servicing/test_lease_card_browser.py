"""A sale-leaseback customer enters their own bank card on the contract page on a phone (390 px):
the four-element check's result shows at once, masked; nothing overflows the screen."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from autofin.business_date import business_date_set
from origination.models.bank_cards import CustomerBankCard
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_factory import (
    RULES,
    VALUE_DATE,
    contract_signed_for,
    contracts_making,
    product_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = Path("test-output/slb")


def test_customer_enters_the_payout_card_on_a_phone(phone_page, live_server, browser_login):
    # made before the loan factory's fast password hasher is in force: the live server checks it
    customer = UserFactory(roles=["customer"], phone="13712340201", display_name="周回租")
    with contracts_making() as cast:
        business_date_set(actor="test", date=VALUE_DATE, reason="lease card browser test")
        version = product_for(
            rate=Decimal("0.06"), term=12, method="equal_instalment",
            day_count="30/360", rules=RULES, contract_type="sale_leaseback",
            leaseback_title="transfer",
        )  # fmt: skip
        contract = contract_signed_for(
            customer=customer, version=version, amount=Decimal("88000.00"),
            term=12, method="equal_instalment", cast=cast,
        )  # fmt: skip
    page = phone_page
    browser_login(page, customer.username, PASSWORD)
    page.goto(f"{live_server.url}/contracts/{contract.contract_ref}/sign/#card")
    form = page.locator("#card-form")
    form.get_by_label("本人银行卡号").fill("6222 0200 0000 0000 018")  # the sandbox's stranger card
    form.get_by_label("开户行").fill("中国工商银行上海分行")
    form.get_by_label("银行预留手机号").fill("13712340201")
    form.get_by_role("button", name="提交并核验").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#card-result").inner_text() == "核验未通过"
    assert "银行卡号与持卡人不符" in page.locator("#card-check").inner_text()
    form = page.locator("#card-form")
    form.get_by_label("本人银行卡号").fill("6222021234567890123")
    form.get_by_label("开户行").fill("中国工商银行上海分行")
    form.get_by_label("银行预留手机号").fill("13712340201")
    form.get_by_role("button", name="更换银行卡并核验").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#card-result").inner_text() == "核验通过"
    assert "6222***********0123" in page.locator("#card-check").inner_text()
    assert page.locator("#card-form").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    OUT.mkdir(parents=True, exist_ok=True)
    page.locator("#card").screenshot(path=str(OUT / "card-phone.png"))
    card = CustomerBankCard.objects.get(application=contract.application, active=True)
    assert card.passed and card.holder_name == "周回租"
