"""Funding a lease (issue #19): a sale-leaseback (售后回租) pays the customer's own card only
after its four-element check passed; a 直租 opens the lessor's asset with its purchase VAT and
no mortgage; a sale-leaseback's title follows the product rule (transfer or mortgage)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.business_date import business_date_current, business_date_set
from autofin.models import AuditEntry
from origination.bank_cards import TEST_CARD_MISMATCH, TEST_PHONE_CARD_MISMATCH
from origination.models.bank_cards import CustomerBankCard
from origination.services.bank_cards import BankCardEntryError, bank_card_verify
from servicing.gateway.sandbox_bank import sandbox_bank_close_thread_connection
from servicing.models import JournalEntry, JournalLine
from servicing.models.collections import LoanTask
from servicing.models.disbursement import Disbursement, PaymentAttempt, PaymentInstruction
from servicing.models.leases import InsurancePolicy, LeaseAsset
from servicing.models.loans import Loan
from servicing.selectors.ledger import account_balance, trial_balance
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create, disbursement_prepare
from servicing.services.disbursement.states import DisbursementError
from servicing.services.leases.assets import (
    insurance_policy_number_record,
    lease_asset_registered,
)
from servicing.services.loans.account import LoanError
from tests.factories import UserFactory
from tests.servicing.disbursement_support import STANDARD, deliver, make_facts, send_all
from tests.servicing.loan_factory import (
    RULES,
    VALUE_DATE,
    contract_signed_for,
    contracts_making,
    product_for,
)

pytestmark = pytest.mark.usefixtures("disbursement_settings")
D = Decimal
ZERO = D("0.00")
GOOD_CARD = "6222021234567890123"


def _state(d):
    return (
        Disbursement.objects.get(pk=d.pk).status,
        PaymentAttempt.objects.filter(instruction__disbursement=d).count(),
        JournalEntry.objects.count(),
        Loan.objects.count(),
    )


@pytest.fixture
def leaseback(db):
    """A signed 售后回租 contract (mortgage per product rule, registration after funding) and
    its prepared disbursement, on the loan factory's value date."""
    before = business_date_current()
    with contracts_making() as cast:
        business_date_set(actor="test", date=VALUE_DATE, reason="lease funding test")
        customer = UserFactory(roles=["customer"], phone="13712340001", display_name="李回租")
        version = product_for(
            rate=D("0.06"), term=12, method="equal_instalment", day_count="30/360",
            rules=RULES, contract_type="sale_leaseback", leaseback_title="mortgage",
        )  # fmt: skip
        contract = contract_signed_for(
            customer=customer, version=version, amount=D("100000.00"), term=12,
            method="equal_instalment", cast=cast,
            after_funding={"mortgage_registration": VALUE_DATE + dt.timedelta(days=30)},
        )  # fmt: skip
        try:
            yield {"contract": contract, "cast": cast, "customer": customer}
        finally:
            sandbox_bank_close_thread_connection()
            if before is not None:
                business_date_set(actor="test", date=before, reason="put back")


def test_sale_leaseback_pays_the_customer_only_after_the_four_element_check(leaseback):
    contract, cast, customer = leaseback["contract"], leaseback["cast"], leaseback["customer"]
    car = contract.payees[0]
    assert (car["payee_type"], car["item"], car["name"]) == ("customer", "car", "李回租")
    assert not any(p["payee_type"] == "dealer" for p in contract.payees)
    d = disbursement_prepare(contract_id=contract.pk, actor=cast["maker"])
    instruction = PaymentInstruction.objects.get(disbursement=d, payee_kind="customer")
    assert (instruction.payee_id, instruction.amount) == (None, D("100000.00"))

    # no card yet: the release is refused and nothing changes
    before = _state(d)
    with pytest.raises(DisbursementError) as exc:
        disbursement_approve(disbursement_id=d.pk, actor=cast["checker"])
    assert exc.value.code == "card_not_verified"
    assert _state(d) == before

    # a card the bank says is not hers: kept as failed, the release still refused, no change
    app = contract.application
    failed = bank_card_verify(application=app, card_number=TEST_CARD_MISMATCH,
                              bank_name="中国工商银行", phone="13712340001", actor=customer)  # fmt: skip
    assert (failed.check_result, failed.check_reason) == ("failed", "card")
    with pytest.raises(DisbursementError) as exc:
        disbursement_approve(disbursement_id=d.pk, actor=cast["checker"])
    assert exc.value.code == "card_not_verified"
    assert _state(d) == before
    wrong_phone = bank_card_verify(application=app, card_number=GOOD_CARD,
                                   bank_name="中国工商银行", phone=TEST_PHONE_CARD_MISMATCH,
                                   actor=customer)  # fmt: skip
    assert (wrong_phone.check_result, wrong_phone.check_reason) == ("failed", "phone")
    with pytest.raises(DisbursementError):
        disbursement_approve(disbursement_id=d.pk, actor=cast["checker"])
    assert _state(d) == before

    # her own card passes: released to that card, paid, funded
    card = bank_card_verify(application=app, card_number=GOOD_CARD, bank_name="中国工商银行",
                            phone="13712340001", actor=customer)  # fmt: skip
    assert card.passed and card.card_number_masked == "6222***********0123"
    assert GOOD_CARD not in card.card_number_enc and card.card_number_hash
    assert list(
        CustomerBankCard.objects.filter(application=app).values_list("active", flat=True)
    ) == [True, False, False]  # newest first: only the checked card is in use
    disbursement_approve(disbursement_id=d.pk, actor=cast["checker"])
    attempt = PaymentAttempt.objects.get(instruction=instruction)
    assert (attempt.account_number_masked, attempt.account_name, attempt.amount) == (
        "6222***********0123", "李回租", D("100000.00")
    )  # fmt: skip
    send_all(d)
    deliver(d)
    assert Disbursement.objects.get(pk=d.pk).status == "funded"
    loan = Loan.objects.get(contract_ref=contract.contract_ref)
    assert loan.contract_type == "sale_leaseback"

    # the ledger: Cr customer_payable at funding, cleared by the bank payment
    lines = JournalLine.objects.filter(account__code="customer_payable")
    assert sorted((x.side, x.amount) for x in lines) == [
        ("C", D("100000.00")), ("D", D("100000.00"))
    ]  # fmt: skip
    assert account_balance(account_code="customer_payable") == ZERO
    assert trial_balance().total == ZERO

    # the asset: bought from the customer, mortgaged to the lessor per the product rule
    asset = LeaseAsset.objects.get(loan=loan)
    assert (asset.seller_name, asset.purchase_price, asset.purchase_vat) == (
        "李回租", D("100000.00"), ZERO
    )  # fmt: skip
    assert (asset.title_holder, asset.registration_status) == ("customer", "pending")
    assert (loan.mortgage_status, loan.mortgage_deadline) == (
        "pending", VALUE_DATE + dt.timedelta(days=30)
    )  # fmt: skip
    lease_asset_registered(loan=loan, on=VALUE_DATE, actor=cast["operations"], evidence="沪抵 1")
    asset.refresh_from_db()
    loan.refresh_from_db()
    assert (asset.registration_status, loan.mortgage_status) == ("mortgaged", "done")


def test_card_entry_is_refused_to_a_stranger_and_for_malformed_input(leaseback):
    app = leaseback["contract"].application
    stranger = UserFactory(roles=["customer"], phone="13712340099")
    with pytest.raises(BankCardEntryError) as exc:
        bank_card_verify(application=app, card_number=GOOD_CARD, bank_name="工行",
                         phone="13712340001", actor=stranger)  # fmt: skip
    assert exc.value.code == "forbidden"
    with pytest.raises(BankCardEntryError) as exc:
        bank_card_verify(application=app, card_number="1234", bank_name="工行",
                         phone="13712340001", actor=leaseback["customer"])  # fmt: skip
    assert exc.value.field == "card_number"
    assert not CustomerBankCard.objects.filter(application=app).exists()
    assert not AuditEntry.objects.filter(action="bank_card_verify").exists()


# --- the asset register at funding (contract facts as origination gives them) ------------------


def _fund(facts, maker, checker):
    d = disbursement_create(facts=facts, actor=maker)
    d = disbursement_approve(disbursement_id=d.pk, actor=checker)
    send_all(d)
    deliver(d)
    d.refresh_from_db()
    assert d.status == "funded"
    return Loan.objects.get(pk=d.loan_id)


def test_direct_lease_opens_the_asset_registered_to_the_lessor_with_its_purchase_vat(
    dealer, customer, payees, maker, checker
):
    facts = make_facts(dealer=dealer, customer=customer, parts={"dealer": "200000.00"})
    facts.update(contract_type="direct_lease", product_rules={"contract_type": "direct_lease"})
    facts["collateral"].update(mortgage_status="not_required", title_status="done")
    loan = _fund(facts, maker, checker)
    asset = LeaseAsset.objects.get(loan=loan)
    assert (asset.purchase_price, asset.purchase_vat) == (D("200000.00"), D("23008.85"))
    assert (asset.seller_name, asset.title_holder, asset.registration_status) == (
        dealer.legal_name, "lessor", "registered_to_lessor"
    )  # fmt: skip
    assert asset.registered_on == asset.status_date and asset.vin == "LSVAU2180N2000001"
    assert loan.mortgage_status == "not_required" and loan.mortgage_deadline is None
    assert not InsurancePolicy.objects.filter(loan=loan).exists()  # no insurer payee


def test_direct_lease_with_financed_insurance_opens_the_policy_for_the_lessor(
    dealer, customer, payees, maker, checker
):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    facts.update(contract_type="direct_lease", product_rules={"contract_type": "direct_lease"})
    facts["collateral"].update(title_status="pending", title_deadline="2026-04-15")
    loan = _fund(facts, maker, checker)
    asset = LeaseAsset.objects.get(loan=loan)
    assert asset.registration_status == "pending" and asset.registered_on is None
    assert loan.mortgage_status == "not_required"  # a 直租 car is the lessor's, not mortgaged
    task = LoanTask.objects.get(loan=loan, kind="lease_registration")
    assert (task.ref_date, task.status) == (dt.date(2026, 4, 15), "open")
    policy = InsurancePolicy.objects.get(loan=loan)
    assert (policy.insurer_payee_id, policy.premium, policy.policy_number) == (
        payees["insurer"].pk, D("5200.00"), ""
    )  # fmt: skip
    assert policy.lender_is_beneficiary and policy.ends_on == dt.date(2027, 3, 15)
    ops = UserFactory(roles=["operations"])
    with pytest.raises(LoanError):
        insurance_policy_number_record(policy_id=policy.pk, policy_number="P1", actor=maker)
    insurance_policy_number_record(policy_id=policy.pk, policy_number="PDAA2026310", actor=ops)
    assert InsurancePolicy.objects.get(pk=policy.pk).policy_number == "PDAA2026310"
    lease_asset_registered(loan=loan, on=dt.date(2026, 4, 1), actor=ops, plate="沪A12345",
                           evidence="登记证书 310001")  # fmt: skip
    asset.refresh_from_db()
    assert (asset.registration_status, asset.plate) == ("registered_to_lessor", "沪A12345")
    assert LoanTask.objects.get(pk=task.pk).status == "done"
    assert Loan.objects.get(pk=loan.pk).mortgage_status == "not_required"


@pytest.mark.parametrize(
    ("rule", "title_holder", "mortgage_status"),
    [("transfer", "lessor", "not_required"), ("mortgage", "customer", "pending")],
)
def test_sale_leaseback_title_or_mortgage_per_product_rule(
    dealer, customer, payees, maker, checker, rule, title_holder, mortgage_status
):
    # the payee of the car here is a dealer (a leaseback whose card tests are above): only the
    # title rule is under test
    facts = make_facts(dealer=dealer, customer=customer, parts={"dealer": "80000.00"})
    facts.update(
        contract_type="sale_leaseback",
        product_rules={"contract_type": "sale_leaseback", "leaseback_title": rule},
    )
    facts["collateral"].update(mortgage_status="pending", mortgage_deadline="2026-04-15",
                               title_status="pending", title_deadline="2026-04-15")  # fmt: skip
    loan = _fund(facts, maker, checker)
    asset = LeaseAsset.objects.get(loan=loan)
    assert (asset.title_holder, asset.registration_status, asset.purchase_vat) == (
        title_holder, "pending", ZERO
    )  # fmt: skip
    assert loan.mortgage_status == mortgage_status
    tasks = LoanTask.objects.filter(loan=loan, kind="lease_registration").count()
    assert tasks == (1 if rule == "transfer" else 0)  # a mortgage: the loan's own tracking


# --- the pages ---------------------------------------------------------------------------------


def test_card_entered_on_the_contract_page_and_shown_to_the_checker(leaseback, client):
    contract, cast, customer = leaseback["contract"], leaseback["cast"], leaseback["customer"]
    client.force_login(customer)
    page = client.get(f"/contracts/{contract.contract_ref}/sign/")
    assert page.status_code == 200 and 'id="card-form"' in page.text
    response = client.post(
        f"/contracts/{contract.contract_ref}/bank-card/",
        {"card_number": "6222 0212 3456 7890 123", "bank_name": "中国工商银行",
         "phone": "13712340001"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/contracts/{contract.contract_ref}/sign/")
    assert "6222***********0123" in page.text and "核验通过" in page.text
    assert GOOD_CARD not in page.text and 'id="card-form"' not in page.text
    # another customer cannot reach the contract's card form
    client.force_login(UserFactory(roles=["customer"], phone="13712340098"))
    assert client.post(f"/contracts/{contract.contract_ref}/bank-card/",
                       {"card_number": GOOD_CARD, "bank_name": "工行",
                        "phone": "13712340001"}).status_code == 404  # fmt: skip
    assert CustomerBankCard.objects.filter(application=contract.application).count() == 1

    d = disbursement_prepare(contract_id=contract.pk, actor=cast["maker"])
    client.force_login(cast["checker"])
    page = client.get(f"/finance/disbursements/{d.pk}/")
    assert page.status_code == 200
    assert 'id="card-check"' in page.text and "6222***********0123" in page.text
    assert "核验通过" in page.text


def test_loan_page_shows_the_asset_and_an_agent_enters_the_policy_number(
    dealer, customer, payees, maker, checker, client
):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    facts.update(contract_type="direct_lease", product_rules={"contract_type": "direct_lease"})
    facts["collateral"].update(title_status="pending", title_deadline="2026-04-15")
    loan = _fund(facts, maker, checker)
    policy = InsurancePolicy.objects.get(loan=loan)
    client.force_login(UserFactory(roles=["servicing_agent"]))
    page = client.get(f"/servicing/loans/{loan.pk}/")
    assert page.status_code == 200
    assert 'id="lease-asset"' in page.text and "待登记" in page.text
    assert f'id="policy-form-{policy.pk}"' in page.text
    r = client.post(f"/servicing/lease-policies/{policy.pk}/number/", {"policy_number": "PD-9"})
    assert r.status_code == 302 and r.url.endswith(f"/servicing/loans/{loan.pk}/#lease-asset")
    assert InsurancePolicy.objects.get(pk=policy.pk).policy_number == "PD-9"
    r = client.post(f"/servicing/loans/{loan.pk}/lease-asset/register/",
                    {"plate": "沪A00001", "evidence": "登记证书 1"})  # fmt: skip
    assert LeaseAsset.objects.get(loan=loan).registration_status == "registered_to_lessor"
    # a finance user may see loans but not change the asset
    client.force_login(maker)
    client.post(f"/servicing/lease-policies/{policy.pk}/number/", {"policy_number": "X"})
    assert InsurancePolicy.objects.get(pk=policy.pk).policy_number == "PD-9"


def test_an_operator_enters_the_card_on_the_workbench_and_the_board_shows_it_missing(
    leaseback, client
):
    contract, cast = leaseback["contract"], leaseback["cast"]
    client.force_login(cast["maker"])
    board = client.get("/finance/funding/")
    assert board.status_code == 200 and "收款卡未核验" in board.text
    ops = cast["operations"]
    client.force_login(ops)
    page = client.get(f"/workbench/contracts/{contract.contract_ref}/")
    assert page.status_code == 200 and 'id="card-form"' in page.text
    client.post(f"/workbench/contracts/{contract.contract_ref}/bank-card/",
                {"card_number": GOOD_CARD, "bank_name": "中国工商银行",
                 "phone": "13712340001"})  # fmt: skip
    card = CustomerBankCard.objects.get(application=contract.application, active=True)
    assert card.passed and card.entered_by == ops and card.holder_name == "李回租"
    client.force_login(cast["maker"])
    assert "收款卡未核验" not in client.get("/finance/funding/").text
