"""Insurance renewals (issue 21 §4): quotes fetched before a policy ends, the customer's free
choice paid online or financed, binding the next term, the agency commission posted and
reconciled per insurer against its statement, and the receipt clearing the receivable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from origination.services.contracts.pricing import lender_name
from servicing.adapters import SandboxPaymentProvider
from servicing.models import JournalEntry
from servicing.models.collections import LoanDelinquency
from servicing.models.customers import Offer
from servicing.models.insurance import InsuranceCommission, QuoteStatus, RenewalQuote
from servicing.models.leases import InsurancePolicy
from servicing.models.repayments import PaymentOrder, Repayment
from servicing.selectors.ledger import account_balance, trial_balance
from servicing.services.insurance.commission import (
    commission_receipt_record,
    commission_reconcile,
)
from servicing.services.insurance.policies import insurance_policy_record
from servicing.services.insurance.renewals import (
    customer_quote,
    renewal_bind,
    renewal_finance,
    renewal_paying,
    renewal_quotes_fetch,
)
from servicing.services.loans.account import LoanError
from servicing.services.repayments.online import payment_order_create
from tests.factories import UserFactory
from tests.servicing.loan_factory import loan_through_funding
from tests.servicing.loan_helpers import set_day

D = Decimal
ZERO = D("0.00")
DAY = dt.date(2026, 2, 1)
ENDS = dt.date(2026, 2, 20)
PINGAN = "平安产险（沙箱）"


@pytest.fixture
def loan(db):
    loan = loan_through_funding()
    set_day(DAY)
    return loan


def _policy(loan, vin: str, ends_on: dt.date = ENDS, **extra) -> InsurancePolicy:
    return InsurancePolicy.objects.create(
        loan=loan, vin=vin, insurer_name="人保财险（沙箱）", policy_number=f"OLD{vin[-6:]}",
        premium=D("5200.00"), starts_on=ends_on - dt.timedelta(days=364), ends_on=ends_on,
        beneficiary_name=lender_name(), lender_is_beneficiary=True, **extra,
    )  # fmt: skip


def _quote(policy, insurer=PINGAN) -> RenewalQuote:
    return RenewalQuote.objects.get(policy=policy, insurer_name=insurer)


def _bound(loan, vin: str) -> InsurancePolicy:
    policy = _policy(loan, vin)
    renewal_quotes_fetch(business_date=DAY)
    return renewal_bind(quote_id=_quote(policy).pk, on=DAY, actor="test")


def test_quotes_fetched_once_per_policy_refusals_recorded_timeouts_asked_again(loan):
    ok = _policy(loan, "LSVAU2180N2000001")
    refused = _policy(loan, "LSVAU2180N200009R")
    timeout = _policy(loan, "LSVAU2180N200008T")
    _policy(loan, "LSVAU2180N2000002", ends_on=DAY + dt.timedelta(days=40))  # not yet due
    _policy(loan, "LSVAU2180N2000003", status="renewed")  # already renewed

    counts = renewal_quotes_fetch(business_date=DAY)

    assert counts == {"policies": 3, "quotes": 3, "refused": 3, "unavailable": 1}
    premiums = dict(ok.renewal_quotes.values_list("insurer_name", "premium"))
    assert premiums == {"人保财险（沙箱）": D("5200.00"), PINGAN: D("5044.00"),
                        "太保产险（沙箱）": D("5356.00")}  # fmt: skip
    assert set(refused.renewal_quotes.values_list("status", flat=True)) == {"refused"}
    assert list(timeout.renewal_quotes.values_list("status", flat=True)) == ["unavailable"]
    # the next night asks only the car the rail did not answer (catch-up safe)
    again = renewal_quotes_fetch(business_date=DAY + dt.timedelta(days=1))
    assert again == {"policies": 1, "quotes": 0, "refused": 0, "unavailable": 1}
    assert RenewalQuote.objects.count() == 7


def test_premium_paid_online_binds_the_renewal_and_books_the_commission(loan):
    old = _policy(loan, "LSVAU2180N2000001")
    renewal_quotes_fetch(business_date=DAY)
    quote = customer_quote(user=loan.customer, quote_id=_quote(old).pk, on=DAY)
    order, pay_url = payment_order_create(
        loan_id=loan.pk, actor=loan.customer, amount=quote.premium,
        purpose="ins_premium", idempotency_key="ins-1",
    )  # fmt: skip
    renewal_paying(quote=quote, order=order)
    assert pay_url == f"/pay/sandbox/{order.provider_ref}/"
    repayments = Repayment.objects.count()

    SandboxPaymentProvider().pay(provider_ref=order.provider_ref, amount=order.amount)

    assert PaymentOrder.objects.get(pk=order.pk).status == "paid"
    assert Repayment.objects.count() == repayments  # the insurer's money, not the loan's
    new = InsurancePolicy.objects.get(renews=old)
    assert (new.insurer_name, new.premium, new.starts_on, new.ends_on) == (
        PINGAN, D("5044.00"), dt.date(2026, 2, 21), dt.date(2027, 2, 20)
    )  # fmt: skip
    assert new.policy_number.startswith("SBX2026") and new.lender_is_beneficiary
    assert InsurancePolicy.objects.get(pk=old.pk).status == "renewed"
    statuses = dict(old.renewal_quotes.values_list("insurer_name", "status"))
    assert statuses == {PINGAN: "bound", "人保财险（沙箱）": "closed", "太保产险（沙箱）": "closed"}
    assert account_balance(account_code="insurer_payable") == D("5044.00")
    # 5044.00 × 12 % = 605.28; VAT inside at 6 %: 605.28 × 6 / 106 = 34.26
    c = InsuranceCommission.objects.get(policy=new)
    assert (c.amount, c.vat, c.month, c.status) == (
        D("605.28"), D("34.26"), dt.date(2026, 2, 1), "posted"
    )  # fmt: skip
    assert account_balance(account_code="insurance_commission_receivable") == D("605.28")
    assert account_balance(account_code="insurance_commission_income") == D("571.02")
    assert account_balance(account_code="vat_output") == D("34.26")
    assert trial_balance().total == ZERO
    # the callback again changes nothing
    SandboxPaymentProvider().pay(provider_ref=order.provider_ref, amount=order.amount)
    assert InsurancePolicy.objects.filter(renews=old).count() == 1
    assert InsuranceCommission.objects.count() == 1


def test_commission_reconciled_per_insurer_and_the_receipt_clears_the_matched_lines(loan):
    matched = _bound(loan, "LSVAU2180N2000001")
    differing = _bound(loan, "LSVAU2180N2000007")  # the insurer pays 11 % instead of 12 %
    missing = _bound(loan, "LSVAU2180N2000077")  # not on its statement
    _bound(loan, "LSVAU2180N2000005")
    InsurancePolicy.objects.filter(vin="LSVAU2180N2000005", renews__isnull=False).update(
        insurer_name="太保产险（沙箱）"
    )  # another insurer's line is not in 平安's reconciliation
    InsuranceCommission.objects.filter(policy__vin="LSVAU2180N2000005").update(
        insurer_name="太保产险（沙箱）"
    )

    result = commission_reconcile(insurer_name=PINGAN, month=DAY, on=DAY, actor="finance")

    assert [c.policy_id for c in result.matched] == [matched.pk]
    assert [c.policy_id for c in result.differing] == [differing.pk]
    assert [c.policy_id for c in result.missing] == [missing.pk]
    assert result.unknown == [] and result.matched_total == D("605.28")
    row = InsuranceCommission.objects.get(policy=differing)
    assert (row.status, row.amount, row.statement_amount) == ("differing", D("605.28"), D("554.84"))
    receivable = account_balance(account_code="insurance_commission_receivable")
    assert receivable == D("605.28") * 4
    entries = JournalEntry.objects.count()
    with pytest.raises(LoanError):  # not the matched total: refused, nothing booked
        commission_receipt_record(insurer_name=PINGAN, month=DAY, amount=D("605.27"),
                                  bank_ref="B-1", on=DAY, actor="finance")  # fmt: skip
    assert JournalEntry.objects.count() == entries

    commission_receipt_record(insurer_name=PINGAN, month=DAY, amount=D("605.28"),
                              bank_ref="B-1", on=DAY, actor="finance")  # fmt: skip

    assert InsuranceCommission.objects.get(policy=matched).status == "received"
    assert account_balance(account_code="insurance_commission_receivable") == D("1815.84")
    assert trial_balance().total == ZERO
    # reconciling again leaves the received line alone and finds the same differences
    again = commission_reconcile(insurer_name=PINGAN, month=DAY, on=DAY, actor="finance")
    assert (len(again.matched), len(again.differing), len(again.missing)) == (0, 1, 1)
    assert InsuranceCommission.objects.get(policy=matched).status == "received"


@override_settings(INSURANCE_AGENCY_LICENSED=False)
def test_without_an_agency_licence_no_commission_is_booked_and_the_page_says_why(loan, client):
    entries = JournalEntry.objects.count()
    new = _bound(loan, "LSVAU2180N2000001")
    assert new.policy_number.startswith("SBX")
    assert not InsuranceCommission.objects.exists()
    assert JournalEntry.objects.count() == entries
    client.force_login(UserFactory(roles=["finance_operator"]))
    page = client.get(reverse("servicing:insurance_commission"))
    assert page.status_code == 200 and "未取得保险兼业代理许可" in page.content.decode()


def test_a_policy_bought_elsewhere_needs_the_lender_as_beneficiary_and_closes_the_quotes(loan):
    old = _policy(loan, "LSVAU2180N2000001")
    renewal_quotes_fetch(business_date=DAY)
    terms = {"insurer_name": "大地保险", "policy_number": "DD-2026-1", "premium": "4980.00",
             "starts_on": dt.date(2026, 2, 21), "ends_on": dt.date(2027, 2, 20)}  # fmt: skip
    with pytest.raises(LoanError) as refused:
        insurance_policy_record(loan=loan, renews=old, actor=loan.customer,
                                beneficiary_name="张三", **terms)  # fmt: skip
    assert refused.value.code == "beneficiary"
    assert InsurancePolicy.objects.filter(renews=old).count() == 0
    stranger = UserFactory(roles=["customer"])
    with pytest.raises(LoanError):
        insurance_policy_record(loan=loan, renews=old, actor=stranger,
                                beneficiary_name=lender_name(), **terms)  # fmt: skip

    new = insurance_policy_record(loan=loan, renews=old, actor=loan.customer,
                                  beneficiary_name=lender_name(), **terms)  # fmt: skip

    assert new.renews_id == old.pk and new.lender_is_beneficiary
    assert InsurancePolicy.objects.get(pk=old.pk).status == "renewed"
    assert set(old.renewal_quotes.values_list("status", flat=True)) == {QuoteStatus.CLOSED}
    assert not InsuranceCommission.objects.exists()  # not bound by the lender


def test_financing_the_premium_is_an_offer_risk_pre_approves_for_the_premium(loan):
    from autofin.policy import policy_set
    from servicing.services.customer_facts import customer_facts_refresh
    from tests.servicing.offer_support import purpose_product

    policy_set(key="risk.preapproval.min_instalments_paid", value="0",
               effective_from=dt.date(2026, 1, 1), actor="test", reason="a young book")  # fmt: skip
    purpose_product("insurance-renewal")
    old = _policy(loan, "LSVAU2180N2000001")
    renewal_quotes_fetch(business_date=DAY)
    quote = customer_quote(user=loan.customer, quote_id=_quote(old).pk, on=DAY)
    LoanDelinquency.objects.update_or_create(loan=loan, defaults={"dpd": 5, "as_of": DAY})
    customer_facts_refresh(business_date=DAY)
    with pytest.raises(LoanError):  # risk's pre-approval: in arrears today
        renewal_finance(quote=quote, actor=loan.customer, on=DAY)
    assert not Offer.objects.exists() and _quote(old).status == "offered"
    LoanDelinquency.objects.filter(loan=loan).update(dpd=0)
    customer_facts_refresh(business_date=DAY)

    offer = renewal_finance(quote=quote, actor=loan.customer, on=DAY)

    assert (offer.kind, offer.limit_amount, offer.customer_id, offer.loan_id, offer.status) == (
        "insurance_renewal", D("5044.00"), loan.customer_id, loan.pk, "active"
    )  # fmt: skip
    # decided by risk (replayable) with the premium as the requested limit, priced by the product
    assert offer.decision["version"] == "preapproval-1" and offer.decision["approved"]
    assert offer.decision["facts"]["requested_limit"] == "5044.00"
    assert (offer.annual_rate, offer.max_term_months) == (D("0.080000"), 12)
    assert offer.expires_on == dt.date(2026, 2, 21)  # no later than the quote
    assert (_quote(old).status, _quote(old).offer_id) == ("financing", offer.pk)


def test_customers_see_only_their_own_quotes(loan, client):
    old = _policy(loan, "LSVAU2180N2000001")
    renewal_quotes_fetch(business_date=DAY)
    quote = _quote(old)
    client.force_login(UserFactory(roles=["customer"]))
    assert client.post(reverse("servicing:my_insurance_pay", args=[quote.pk]),
                       {"token": "t1"}).status_code == 404  # fmt: skip
    assert client.post(reverse("servicing:my_insurance_finance", args=[quote.pk]),
                       {"token": "t2"}).status_code == 404  # fmt: skip
    assert _quote(old).status == "offered" and not PaymentOrder.objects.exists()
    assert "5,044.00" not in client.get(reverse("servicing:my_insurance")).content.decode()
    client.force_login(loan.customer)
    page = client.get(reverse("servicing:my_insurance")).content.decode()
    assert "5,044.00" in page and "自主选择保险公司" in page


def test_agents_list_expiring_policies_and_record_a_renewal_on_the_loan(loan, client):
    old = _policy(loan, "LSVAU2180N2000001")
    client.force_login(UserFactory(roles=["customer"]))
    assert client.get(reverse("servicing:insurance_expiring")).status_code == 403
    assert client.post(reverse("servicing:loan_policies", args=[loan.pk]), {}).status_code == 403
    client.force_login(UserFactory(roles=["operations"]))
    listing = client.get(reverse("servicing:insurance_expiring")).content.decode()
    assert loan.contract_ref in listing and "OLD000001" in listing
    form = {"insurer_name": "大地保险", "policy_number": "DD-9", "premium": "4980.00",
            "starts_on": "2026-02-21", "ends_on": "2027-02-20"}  # fmt: skip
    url = reverse("servicing:loan_policies", args=[loan.pk])
    refused = client.post(url, {**form, "beneficiary_name": "张三"})
    assert refused.status_code == 400 and not InsurancePolicy.objects.filter(renews=old).exists()

    assert client.post(url, {**form, "beneficiary_name": lender_name()}).status_code == 302

    new = InsurancePolicy.objects.get(renews=old)
    assert (new.policy_number, new.premium, new.lender_is_beneficiary) == (
        "DD-9",
        D("4980.00"),
        True,
    )
    assert "DD-9" in client.get(url).content.decode()


def test_a_premium_paid_for_a_quote_no_longer_open_is_owed_back_not_bound(loan):
    old = _policy(loan, "LSVAU2180N2000001")
    renewal_quotes_fetch(business_date=DAY)
    orders = []
    for n, insurer in enumerate((PINGAN, "太保产险（沙箱）")):
        quote = customer_quote(user=loan.customer, quote_id=_quote(old, insurer).pk, on=DAY)
        order, _url = payment_order_create(
            loan_id=loan.pk, actor=loan.customer, amount=quote.premium,
            purpose="ins_premium", idempotency_key=f"ins-{n}",
        )  # fmt: skip
        renewal_paying(quote=quote, order=order)
        orders.append(order)
    provider = SandboxPaymentProvider()
    provider.pay(provider_ref=orders[0].provider_ref, amount=orders[0].amount)

    second = provider.pay(provider_ref=orders[1].provider_ref, amount=orders[1].amount)

    assert second.status == "paid"
    assert InsurancePolicy.objects.filter(renews=old).get().insurer_name == PINGAN
    assert account_balance(account_code="customer_payable") == D("5356.00")
    assert account_balance(account_code="insurer_payable") == D("5044.00")
    assert InsuranceCommission.objects.count() == 1
    assert trial_balance().total == ZERO
