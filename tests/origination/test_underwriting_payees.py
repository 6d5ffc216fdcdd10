"""Payees picked from the register at underwriting and on the contract page (issue 16, item 7):
an add-on's payee is chosen from the register's verified payees; a name the register does not
hold is refused with nothing changed, and no contract is issued (or re-issued) naming one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from autofin.models import AuditEntry
from autofin.roles import Role
from origination.models.applications import FinancedItem
from origination.models.contracts import Contract
from origination.models.payees import Payee
from origination.models.underwriting import CounterOffer
from origination.services.underwriting.authority import UnderwritingError
from origination.services.underwriting.claims import case_claim
from origination.services.underwriting.counter_offers import underwriting_counter_offer
from tests.factories import UserFactory
from tests.origination.intake_support import payee_registered

pytestmark = pytest.mark.django_db


def _pick(client, app, name, back="case"):
    return client.post(
        reverse("origination:workbench_item_payee", args=[app.reference, "insurance"]),
        {"insurance-payee_name": name, "back": back},
        follow=True,
    )


def _insurer(app) -> str:
    return FinancedItem.objects.get(application=app, item_kind="insurance").payee_name


def test_underwriter_picks_the_insurer_from_the_register_before_approving(
    client, referred, underwriter
):
    # the insurer named at intake has since lost its verification: approval must not issue a
    # contract that names it
    Payee.objects.filter(name="平安财险").update(verified=False)
    payee_registered("insurer", "中国人民财产保险股份有限公司")
    case_claim(application_id=referred.pk, actor=underwriter)
    client.force_login(underwriter)
    case_url = reverse("origination:workbench_case", args=[referred.reference])
    page = client.get(case_url).content.decode()
    assert 'id="item-payees"' in page and "未登记或未核验" in page
    assert reverse("origination:payee_search") in page  # the type-ahead on the pick field

    refused = client.post(
        reverse("origination:workbench_approve", args=[referred.reference]), follow=True
    ).content.decode()
    assert "尚未在收款方登记簿登记或核验" in refused and "平安财险" in refused
    referred.refresh_from_db()
    assert referred.status == "referred"
    assert not Contract.objects.filter(application=referred).exists()

    typed = _pick(client, referred, "某某保险代理").content.decode()
    assert "“某某保险代理”不是已登记并核验的保险公司" in typed
    assert _insurer(referred) == "平安财险"
    assert not AuditEntry.objects.filter(action="item_payee_choose").exists()

    picked = _pick(client, referred, "中国人民财产保险股份有限公司")
    assert picked.redirect_chain[-1][0] == case_url
    assert "收款方已从登记簿选定" in picked.content.decode()
    assert _insurer(referred) == "中国人民财产保险股份有限公司"
    audit = AuditEntry.objects.get(action="item_payee_choose")
    assert audit.data["from"] == "平安财险" and audit.data["to"] == "中国人民财产保险股份有限公司"

    client.post(reverse("origination:workbench_approve", args=[referred.reference]))
    contract = Contract.objects.get(application=referred, status="issued")
    insurer = next(p for p in contract.payees if p["item"] == "insurance")
    assert insurer["name"] == "中国人民财产保险股份有限公司"


def test_contract_page_repicks_a_payee_and_reissues_the_unsigned_contract(
    client, referred, underwriter
):
    case_claim(application_id=referred.pk, actor=underwriter)
    client.force_login(underwriter)
    client.post(reverse("origination:workbench_approve", args=[referred.reference]))
    first = Contract.objects.get(application=referred, status="issued")
    Payee.objects.filter(name="平安财险").update(verified=False)
    payee_registered("insurer", "中国人民财产保险股份有限公司")
    contract_url = reverse("origination:workbench_contract", args=[first.contract_ref])
    assert "未登记或未核验" in client.get(contract_url).content.decode()

    _pick(client, referred, "未登记的保险公司", back="contract")
    assert Contract.objects.get(pk=first.pk).status == "issued"  # refused: nothing re-issued

    response = _pick(client, referred, "中国人民财产保险股份有限公司", back="contract")
    first.refresh_from_db()
    second = Contract.objects.get(application=referred, status="issued")
    assert first.status == "superseded" and first.superseded_by_id == second.pk
    assert second.version == first.version + 1
    assert response.redirect_chain[-1][0] == reverse(
        "origination:workbench_contract", args=[second.contract_ref]
    )
    assert "已登记并核验" in response.content.decode()
    insurer = next(p for p in second.payees if p["item"] == "insurance")
    assert insurer["name"] == "中国人民财产保险股份有限公司"


def test_a_signed_contract_keeps_its_payees_and_others_may_not_pick(client, referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    client.force_login(underwriter)
    client.post(reverse("origination:workbench_approve", args=[referred.reference]))
    contract = Contract.objects.get(application=referred, status="issued")
    payee_registered("insurer", "中国人民财产保险股份有限公司")

    finance = UserFactory(roles=[Role.FINANCE_OPERATOR])
    client.force_login(finance)
    forbidden = client.post(
        reverse("origination:workbench_item_payee", args=[referred.reference, "insurance"]),
        {"insurance-payee_name": "中国人民财产保险股份有限公司"},
    )
    assert forbidden.status_code == 403
    assert _insurer(referred) == "平安财险"

    Contract.objects.filter(pk=contract.pk).update(status="signed", signed_at=timezone.now())
    client.force_login(underwriter)
    page = _pick(client, referred, "中国人民财产保险股份有限公司", back="contract")
    assert "合同已签署" in page.content.decode()
    assert _insurer(referred) == "平安财险"
    assert Contract.objects.filter(application=referred).count() == 1


def test_no_counter_offer_while_a_payee_is_unregistered(referred, underwriter):
    # the customer's acceptance issues the contract, so the offer waits for the pick
    Payee.objects.filter(name="平安财险").update(verified=False)
    case_claim(application_id=referred.pk, actor=underwriter)
    with pytest.raises(UnderwritingError) as exc:
        underwriting_counter_offer(
            application_id=referred.pk,
            actor=underwriter,
            down_payment=Decimal("80000.00"),
            term_months=36,
        )
    assert "平安财险" in exc.value.errors["__all__"][0]
    referred.refresh_from_db()
    assert referred.status == "referred"
    assert not CounterOffer.objects.filter(application=referred).exists()
