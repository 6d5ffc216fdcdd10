"""Renewals: quotes fetched N days before a policy ends (nightly step `insurance_renewals`), the
customer's free choice of ANY insurer (or a policy bought elsewhere: no tying), and the premium
paid online (paid on to the insurer) or financed (an insurance_renewal offer, limit = premium).
Binding opens the next policy term (`renews` = the old one) and books the agency commission."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.pricing import add_months
from origination.selectors.payees import payee_match
from origination.services.contracts.pricing import lender_name
from servicing.insurer_adapters import (
    InsurerQuote,
    InsurerUnavailable,
    QuoteRequest,
    insurers_adapter,
)
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.customers import Offer, OfferKind
from servicing.models.insurance import QuoteStatus, RenewalQuote
from servicing.models.leases import InsurancePolicy, PolicyStatus
from servicing.models.loans import CLOSED_STATUSES
from servicing.models.repayments import PaymentOrder
from servicing.services.insurance.commission import commission_post
from servicing.services.insurance.policies import lender_beneficiary_required, policy_renewed
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError
from servicing.services.offers.issue import offer_issue

BATCH = 200  # policies per adapter round and per bulk insert
OPEN = (QuoteStatus.OFFERED, QuoteStatus.PAYING, QuoteStatus.FINANCING)


def _request(policy: InsurancePolicy) -> QuoteRequest:
    return QuoteRequest(
        vin=policy.vin, vehicle=policy.loan.vehicle or "",
        starts_on=policy.ends_on + dt.timedelta(days=1), cover=tuple(policy.cover or ()),
        previous_premium=policy.premium,
        beneficiary_name=lender_name() if lender_beneficiary_required(policy.loan) else "",
    )  # fmt: skip


def policies_due_for_quotes(*, business_date: dt.date):
    """One query: active policies on live loans ending within INSURANCE_RENEWAL_DAYS that have
    no answer yet (an unavailable round is asked again the next night: catch-up safe)."""
    answered = RenewalQuote.objects.filter(policy=OuterRef("pk")).exclude(
        status=QuoteStatus.UNAVAILABLE
    )
    horizon = business_date + dt.timedelta(days=settings.INSURANCE_RENEWAL_DAYS)
    return (
        InsurancePolicy.objects.filter(
            status=PolicyStatus.ACTIVE, ends_on__gte=business_date, ends_on__lte=horizon
        )
        .exclude(loan__status__in=CLOSED_STATUSES)
        .exclude(Exists(answered))
        .select_related("loan")
        .order_by("id")
    )


def _rows(policy: InsurancePolicy, answers: list[InsurerQuote], on: dt.date) -> list[RenewalQuote]:
    return [
        RenewalQuote(
            policy=policy,
            insurer_name=a.insurer_name[:200],
            quote_ref=a.quote_ref[:40],
            premium=a.premium,
            cover=list(a.cover),
            commission_rate=a.commission_rate,
            valid_until=a.valid_until,
            fetched_on=on,
            reason=a.refused[:200],
            status=QuoteStatus.REFUSED if a.refused else QuoteStatus.OFFERED,
        )  # fmt: skip
        for a in answers
    ]


def renewal_quotes_fetch(*, business_date: dt.date) -> dict:
    """Ask the insurers for every policy due; a refusal or a timeout is recorded and the batch
    goes on. Returns counts (policies asked, quotes, refusals, unavailable)."""
    adapter = insurers_adapter()
    counts = {"policies": 0, "quotes": 0, "refused": 0, "unavailable": 0}
    due = list(policies_due_for_quotes(business_date=business_date))
    for start in range(0, len(due), BATCH):
        rows, failed = [], []
        for policy in due[start : start + BATCH]:
            counts["policies"] += 1
            try:
                rows += _rows(policy, adapter.quotes(_request(policy)), business_date)
            except InsurerUnavailable as exc:
                failed.append((policy, str(exc)[:200]))
        with transaction.atomic():
            RenewalQuote.objects.filter(
                policy__in=[p for p, _r in failed] + [r.policy for r in rows],
                status=QuoteStatus.UNAVAILABLE,
            ).delete()
            RenewalQuote.objects.bulk_create(rows, ignore_conflicts=True)
            RenewalQuote.objects.bulk_create(
                [RenewalQuote(policy=p, status=QuoteStatus.UNAVAILABLE, reason=r,
                              fetched_on=business_date) for p, r in failed],
                ignore_conflicts=True,
            )  # fmt: skip
        counts["quotes"] += sum(r.status == QuoteStatus.OFFERED for r in rows)
        counts["refused"] += sum(r.status == QuoteStatus.REFUSED for r in rows)
        counts["unavailable"] += len(failed)
    return counts


def customer_quote(*, user: Any, quote_id: int, on: dt.date) -> RenewalQuote:
    """The customer's own open quote, still valid; another customer's is not found."""
    quote = (
        RenewalQuote.objects.select_related("policy__loan")
        .filter(pk=quote_id, policy__loan__customer_id=getattr(user, "pk", None))
        .first()
    )
    if quote is None:
        raise RenewalQuote.DoesNotExist
    if quote.status != QuoteStatus.OFFERED or quote.policy.status != PolicyStatus.ACTIVE:
        raise LoanError(_("该报价已不可选择。"), code="not_open")
    if quote.valid_until and quote.valid_until < on:
        raise LoanError(_("该报价已过期，请等待新的报价或自行投保后录入保单。"), code="expired")
    return quote


def renewal_paying(*, quote: RenewalQuote, order: PaymentOrder) -> None:
    """The customer started paying the premium online (the portal's repayment path, purpose
    insurance premium): the provider's callback binds the policy (renewal_premium_received)."""
    RenewalQuote.objects.filter(pk=quote.pk, status=QuoteStatus.OFFERED).update(
        status=QuoteStatus.PAYING, payment_order=order
    )


def renewal_finance(*, quote: RenewalQuote, actor: Any, on: dt.date) -> Offer:
    """Finance the premium: an insurance_renewal offer the offers flow takes up, issued like any
    offer (`offer_issue`: risk's pre-approval on the customer's facts, the limit = the premium
    asked for, priced by the renewal product), for the insured car, lasting no longer than the
    quote. Declined (LoanError) when risk does not pre-approve it: nothing changes then."""
    loan = quote.policy.loan
    with transaction.atomic():
        offer = offer_issue(
            customer=loan.customer, kind=OfferKind.INSURANCE_RENEWAL, business_date=on,
            actor=actor, requested_limit=quote.premium, loan_id=loan.pk,
        )  # fmt: skip
        if offer is None:
            raise LoanError(_("您的保费分期暂未通过预审批，可选择直接支付保费。"), code="declined")
        if quote.valid_until and quote.valid_until < offer.expires_on:
            Offer.objects.filter(pk=offer.pk).update(expires_on=quote.valid_until)
            offer.expires_on = quote.valid_until
        RenewalQuote.objects.filter(pk=quote.pk).update(status=QuoteStatus.FINANCING, offer=offer)
        audit_record(actor=actor, obj=offer, action="insurance_renewal_offer",
                     data={"quote": quote.pk, "limit": str(offer.limit_amount)})  # fmt: skip
    return offer


def renewal_financed_funded(
    *, application_id: int, on: dt.date, actor: Any
) -> InsurancePolicy | None:
    """The funding hook: the loan of an application that took up a financed renewal's offer
    has paid the premium to the insurer, so its quote is bound (renewal_bind: once, however
    often funding is retried). None for any other application."""
    quote_id = (
        RenewalQuote.objects.filter(offer__application_id=application_id)
        .values_list("pk", flat=True)
        .first()
    )
    if quote_id is None:
        return None
    return renewal_bind(quote_id=quote_id, on=on, actor=actor)


def renewal_bind(*, quote_id: int, on: dt.date, actor: Any) -> InsurancePolicy:
    """Bind the chosen quote at its insurer: the next policy term (`renews` = the old one),
    the lender first beneficiary where required, and the commission where licensed. Once."""
    with transaction.atomic():
        quote = (
            RenewalQuote.objects.select_for_update().select_related("policy__loan").get(pk=quote_id)
        )
        if quote.new_policy_id:
            return quote.new_policy
        if quote.status not in OPEN:
            raise LoanError(_("该报价已不可出单。"), code="not_open")
        old = InsurancePolicy.objects.select_for_update().get(pk=quote.policy_id)
        request = _request(old)
        number = insurers_adapter().bind(
            InsurerQuote(insurer_name=quote.insurer_name, quote_ref=quote.quote_ref,
                         premium=quote.premium, cover=tuple(quote.cover),
                         commission_rate=quote.commission_rate),
            request,
        )  # fmt: skip
        lender = bool(request.beneficiary_name)
        policy = InsurancePolicy.objects.create(
            loan=old.loan, vin=old.vin, insurer_name=quote.insurer_name,
            insurer_payee_id=getattr(payee_match("insurer", quote.insurer_name), "pk", None),
            policy_number=number, cover=quote.cover, premium=quote.premium,
            starts_on=request.starts_on, ends_on=add_months(request.starts_on, 12) - dt.timedelta(days=1),
            beneficiary_name=request.beneficiary_name or old.beneficiary_name,
            lender_is_beneficiary=lender, renews=old,
        )  # fmt: skip
        policy_renewed(old)
        RenewalQuote.objects.filter(pk=quote.pk).update(status=QuoteStatus.BOUND, new_policy=policy)
        commission_post(policy=policy, rate=quote.commission_rate, on=on, actor=actor)
        audit_record(actor=actor, obj=policy, action="insurance_renewal_bind",
                     data={"quote": quote.pk, "renews": old.pk, "number": number})  # fmt: skip
    return policy


def renewal_premium_received(
    *, order: PaymentOrder, ref: str, business_date: dt.date, actor: Any
) -> InsurancePolicy | None:
    """The provider's success callback for a premium order (inside its transaction): the money
    is the insurer's (Dr bank_clearing / Cr insurer_payable, paid on to the insurer payee), then
    the quote is bound. A premium paid for a quote no longer open (the customer paid another
    insurer's quote, or recorded a policy bought elsewhere, first) is never lost nor bound: it
    is owed back to the customer (Cr customer_payable) and returns None."""
    quote = RenewalQuote.objects.select_for_update().get(payment_order=order)
    policy_open = InsurancePolicy.objects.filter(
        pk=quote.policy_id, status=PolicyStatus.ACTIVE
    ).exists()
    bindable = quote.new_policy_id is not None or (quote.status in OPEN and policy_open)
    credit = A.INSURER_PAYABLE if bindable else A.CUSTOMER_PAYABLE
    code = "insurance_premium" if bindable else "insurance_premium_refund"
    journal_post(
        business_date=business_date, source_type="insurance_premium", source_id=order.pk,
        lines=[(A.BANK_CLEARING, "D", order.amount, None), (credit, "C", order.amount, None)],
        idempotency_key=f"insurance-premium:{ref}",
        description=memo(code, insurer=quote.insurer_name, ref=ref),
        actor=actor, loan_id=order.loan_id,
    )  # fmt: skip
    if not bindable:
        audit_record(actor=actor, obj=quote, action="insurance_premium_refund_due",
                     data={"order": order.pk, "amount": str(order.amount)})  # fmt: skip
        return None
    return renewal_bind(quote_id=quote.pk, on=business_date, actor=actor)
