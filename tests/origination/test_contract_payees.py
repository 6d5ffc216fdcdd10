"""A contract is signed only with payees the register holds, verified: signing (and sending its
code) is refused naming every unmatched payee, and nothing changes."""

from __future__ import annotations

import pytest

from autofin.models import OutboundMessage
from origination.models.contracts import Contract, ContractSignature
from origination.models.payees import Payee
from origination.selectors.payees import contract_payees_unregistered, payee_search
from origination.services.contracts.errors import ContractError, ContractSignError
from origination.services.contracts.signing import contract_sign, contract_sign_code_send
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.claims import case_claim
from tests.origination.intake_support import SELLER, payee_registered
from tests.origination.workbench_support import make_referred

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_approve(application_id=referred.pk, actor=underwriter)
    contract = Contract.objects.get(application=referred)
    contract.customer = referred.customer_user
    return contract


def test_signing_with_unregistered_payees_is_refused_naming_each_and_changes_nothing(issued):
    # the insurer named at intake is no longer verified, and a warranty supplier was never
    # registered: both must be named
    Payee.objects.filter(name="平安财险").update(verified=False)
    payees = [*issued.payees, {"payee_type": "warranty", "label": "延保", "name": "某某延保",
                               "amount": "0.00"}]  # fmt: skip
    Contract.objects.filter(pk=issued.pk).update(payees=payees)
    customer = issued.customer
    issued.refresh_from_db()
    sms_before = OutboundMessage.objects.count()

    with pytest.raises(ContractSignError) as exc:
        contract_sign_code_send(contract_id=issued.pk, actor=customer)
    message = exc.value.errors["payees"][0]
    assert "平安财险" in message and "某某延保" in message
    assert "尚未在收款方登记簿登记或核验" in message
    with pytest.raises(ContractSignError) as exc:
        contract_sign(contract_id=issued.pk, actor=customer, code="123456")
    assert "平安财险" in exc.value.errors["payees"][0]

    issued.refresh_from_db()
    assert issued.status == "issued"
    assert not ContractSignature.objects.filter(contract=issued).exists()
    assert OutboundMessage.objects.count() == sms_before  # no code sent
    assert issued.application.status == "approved"


def test_registered_payees_match_and_the_search_offers_only_verified_ones(db):
    payee_registered("insurer", "中国平安财产保险股份有限公司")
    payee_registered("insurer", "未核验保险公司")
    Payee.objects.filter(name="未核验保险公司").update(verified=False)
    contract_payees = [
        {"payee_type": "dealer", "label": "车款", "name": "任意车商"},
        {"payee_type": "insurer", "label": "保险", "name": "中国平安财产保险股份有限公司"},
        {"payee_type": "lender", "label": "手续费", "name": "本公司"},
    ]
    assert contract_payees_unregistered(contract_payees) == []
    names = [p.name for p in payee_search(kind="insurer", query="保险")]
    assert names == ["中国平安财产保险股份有限公司"]


def test_payee_type_ahead_offers_verified_names_only_to_signed_in_users(client, db):
    from django.urls import reverse

    from tests.factories import UserFactory

    payee_registered("insurer", "中国平安财产保险股份有限公司", number="6222021002000456")
    payee_registered("insurer", "未核验保险公司")
    Payee.objects.filter(name="未核验保险公司").update(verified=False)
    payee_registered("tax", "国家税务总局上海市税务局")
    url = reverse("origination:payee_search")
    assert client.get(url, {"kind": "insurer", "q": "平安"}).status_code == 302  # log in first
    client.force_login(UserFactory(roles=["customer"]))
    html = client.get(url, {"kind": "insurer", "insurance_payee_name": "保险"}).content.decode()
    assert '<option value="中国平安财产保险股份有限公司">' in html
    assert "未核验保险公司" not in html and "税务局" not in html
    assert "6222" not in html  # names only, never an account


def test_the_add_on_form_asks_the_register_for_each_named_payee():
    from origination.forms.apply import ItemsForm

    form = ItemsForm()
    attrs = form.fields["insurance_payee_name"].widget.attrs
    assert attrs["list"] == "payees-insurance"
    assert attrs["hx-get"].endswith("/payees/search/?kind=insurer")
    assert "hx-get" in form.fields["purchase_tax_payee_name"].widget.attrs
    assert "hx-get" not in form.fields["accessories_payee_name"].widget.attrs  # the dealer's


def _issued_with(products, underwriter, items):
    app = make_referred(products=products, items=items)
    case_claim(application_id=app.pk, actor=underwriter)
    underwriting_approve(application_id=app.pk, actor=underwriter)
    return Contract.objects.get(application=app), app.customer_user


def test_an_add_on_the_dealer_collects_is_named_on_the_contract_as_the_dealers(
    products, underwriter
):
    # intake recorded the accessories as paid to the car's seller: the contract pays the seller
    # and signing accepts it (the item's kind alone would have called it an accessory supplier)
    contract, customer = _issued_with(
        products,
        underwriter,
        {"accessories": {"amount": "3000", "payee_type": "dealer", "payee_name": SELLER}},
    )
    line = next(p for p in contract.payees if p["item"] == "accessories")
    assert (line["payee_type"], line["name"]) == ("dealer", SELLER)
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    assert OutboundMessage.objects.filter(body__contains=contract.contract_ref).exists()


def test_a_dealer_paid_add_on_naming_anyone_else_gets_no_contract(products, underwriter):
    # purchase tax "paid to the dealer" but naming a third party that is not the seller: the
    # item's kind (tax) used to match the register's one tax account whatever the name said.
    # The contract is never issued (so it can never be signed): approval stops at the register.
    payee_registered("tax", "国家税务总局上海市税务局")
    app = make_referred(
        products=products,
        items={
            "purchase_tax": {"amount": "8000", "payee_type": "dealer", "payee_name": "某车行代缴"}
        },
    )
    case_claim(application_id=app.pk, actor=underwriter)
    sms_before = OutboundMessage.objects.count()
    with pytest.raises(ContractError) as exc:
        underwriting_approve(application_id=app.pk, actor=underwriter)
    assert "某车行代缴" in exc.value.errors["payees"][0]
    app.refresh_from_db()
    assert app.status == "referred"
    assert not Contract.objects.filter(application=app).exists()
    assert not ContractSignature.objects.exists()
    assert OutboundMessage.objects.count() == sms_before
    # the signing check reads the same rule (a payee deactivated after issue is refused there)
    car = {"payee_type": "dealer", "item": "car", "label": "车款", "name": SELLER}
    tax = {"payee_type": "dealer", "item": "purchase_tax", "label": "购置税", "name": "某车行代缴"}
    assert contract_payees_unregistered([car, tax]) == ["购置税（某车行代缴）"]
    assert contract_payees_unregistered([car, {**tax, "name": SELLER}]) == []
