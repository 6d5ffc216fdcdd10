"""A renewal premium the customer paid online sits in insurer_payable until it is paid on to the
insurer payee: maker-checked, through the outgoing-payment engine, once (issue 21 seams)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from origination.services.contracts.pricing import lender_name
from servicing.adapters import SandboxPaymentProvider
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalLine
from servicing.models.insurance import InsurerRemittance, RenewalQuote
from servicing.models.leases import InsurancePolicy
from servicing.selectors.ledger import account_balance, trial_balance
from servicing.services.insurance.remittance import (
    insurer_remittance_prepare,
    insurer_remittance_reject,
    insurer_remittance_release,
    insurer_remittance_send,
)
from servicing.services.insurance.renewals import (
    customer_quote,
    renewal_paying,
    renewal_quotes_fetch,
)
from servicing.services.loans.account import LoanError
from servicing.services.repayments.online import payment_order_create
from tests.servicing.disbursement_support import register_payee
from tests.servicing.loan_factory import loan_through_funding
from tests.servicing.loan_helpers import set_day

pytestmark = pytest.mark.usefixtures("disbursement_settings")
D = Decimal
DAY = dt.date(2026, 2, 1)
PINGAN = "平安产险（沙箱）"


def _paid_premium(loan) -> RenewalQuote:
    """The customer paid the Ping An quote online: bound, the premium in insurer_payable."""
    old = InsurancePolicy.objects.create(
        loan=loan, vin="LSVAU2180N2000001", insurer_name="人保财险（沙箱）",
        policy_number="OLD000001", premium=D("5200.00"), starts_on=dt.date(2025, 2, 21),
        ends_on=dt.date(2026, 2, 20), beneficiary_name=lender_name(), lender_is_beneficiary=True,
    )  # fmt: skip
    renewal_quotes_fetch(business_date=DAY)
    quote = customer_quote(
        user=loan.customer,
        quote_id=RenewalQuote.objects.get(policy=old, insurer_name=PINGAN).pk,
        on=DAY,
    )
    order, _url = payment_order_create(
        loan_id=loan.pk, actor=loan.customer, amount=quote.premium,
        purpose="ins_premium", idempotency_key="ins-remit-1",
    )  # fmt: skip
    renewal_paying(quote=quote, order=order)
    SandboxPaymentProvider().pay(provider_ref=order.provider_ref, amount=order.amount)
    return RenewalQuote.objects.get(pk=quote.pk)


def _lines(entry_id) -> list[tuple]:
    return sorted(
        JournalLine.objects.filter(entry_id=entry_id).values_list("account__code", "side", "amount")
    )


def test_the_paid_premium_is_paid_on_to_the_insurer_once_clearing_the_payable(maker, checker):
    insurer = register_payee(maker, checker, payee_type="insurer", name=PINGAN,
                             account="6222021002000999")  # fmt: skip
    loan = loan_through_funding()
    set_day(DAY)
    quote = _paid_premium(loan)
    assert quote.status == "bound" and quote.new_policy.insurer_payee_id == insurer.pk
    assert account_balance(account_code="insurer_payable") == D("5044.00")

    remittance = insurer_remittance_prepare(quote_id=quote.pk, actor=maker)
    assert (remittance.amount, remittance.payee_id, remittance.status) == (
        D("5044.00"), insurer.pk, "prepared")  # fmt: skip
    with pytest.raises(LoanError) as exc:  # never twice
        insurer_remittance_prepare(quote_id=quote.pk, actor=checker)
    assert exc.value.code == "duplicate"
    with pytest.raises(LoanError) as exc:  # the maker cannot check their own
        insurer_remittance_release(remittance_id=remittance.pk, actor=maker)
    assert exc.value.code == "forbidden"
    assert InsurerRemittance.objects.get(pk=remittance.pk).status == "prepared"

    remittance = insurer_remittance_release(remittance_id=remittance.pk, actor=checker)
    assert insurer_remittance_send(remittance_id=remittance.pk) == "released"
    remittance.refresh_from_db()
    assert SandboxBank().callbacks_deliver(keys=[remittance.idempotency_key]) == 1
    remittance.refresh_from_db()

    assert (remittance.status, remittance.paid_on) == ("paid", DAY)
    assert _lines(remittance.journal_entry_id) == [
        ("bank_clearing", "C", D("5044.00")),
        ("insurer_payable", "D", D("5044.00")),
    ]
    assert account_balance(account_code="insurer_payable") == D("0.00")
    assert trial_balance().total == D("0.00")
    # the callback again, and a new preparation, change nothing
    SandboxBank().callbacks_deliver(keys=[remittance.idempotency_key])
    with pytest.raises(LoanError):
        insurer_remittance_prepare(quote_id=quote.pk, actor=maker)
    assert InsurerRemittance.objects.count() == 1
    assert account_balance(account_code="insurer_payable") == D("0.00")


def test_refusals_change_nothing(maker, checker, checker2):
    loan = loan_through_funding()
    set_day(DAY)
    quote = _paid_premium(loan)  # the insurer is not a registered payee
    with pytest.raises(LoanError) as exc:
        insurer_remittance_prepare(quote_id=quote.pk, actor=maker)
    assert exc.value.code == "no_payee"
    with pytest.raises(LoanError) as exc:  # a customer moves no money
        insurer_remittance_prepare(quote_id=quote.pk, actor=loan.customer)
    assert exc.value.code == "forbidden"
    assert not InsurerRemittance.objects.exists()

    insurer = register_payee(maker, checker, payee_type="insurer", name=PINGAN,
                             account="6222021002000998")  # fmt: skip
    InsurancePolicy.objects.filter(pk=quote.new_policy_id).update(insurer_payee_id=insurer.pk)
    remittance = insurer_remittance_prepare(quote_id=quote.pk, actor=maker)
    insurer_remittance_reject(remittance_id=remittance.pk, actor=checker, reason="账户待核实")
    assert account_balance(account_code="insurer_payable") == D("5044.00")
    # a rejected one may be prepared again (the premium is still owed to the insurer)
    again = insurer_remittance_prepare(quote_id=quote.pk, actor=maker)
    insurer_remittance_release(remittance_id=again.pk, actor=checker2)
    assert InsurerRemittance.objects.filter(status="released").count() == 1


def test_the_finance_page_prepares_and_releases_for_finance_only(client, maker, checker):
    register_payee(maker, checker, payee_type="insurer", name=PINGAN, account="6222021002000997")
    loan = loan_through_funding()
    set_day(DAY)
    quote = _paid_premium(loan)
    url = "/servicing/insurance/remittances/"

    client.force_login(loan.customer)
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "prepare", "id": quote.pk}).status_code == 403
    assert not InsurerRemittance.objects.exists()

    client.force_login(maker)
    page = client.get(url).content.decode()
    assert 'data-testid="remittance-prepare"' in page and "5,044.00" in page
    client.post(url, {"action": "prepare", "id": quote.pk})
    remittance = InsurerRemittance.objects.get(quote=quote)
    assert client.post(url, {"action": "release", "id": remittance.pk}).status_code == 403
    assert InsurerRemittance.objects.get(pk=remittance.pk).status == "prepared"

    client.force_login(checker)
    assert 'data-testid="remittance-release"' in client.get(url).content.decode()
    client.post(url, {"action": "release", "id": remittance.pk})
    assert InsurerRemittance.objects.get(pk=remittance.pk).status == "released"
