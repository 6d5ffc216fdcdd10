"""Issuing pre-approved offers: one customer (`offer_issue`, from a page or a campaign) and the
nightly batch's candidates (`offers_issue_due`).

Servicing gathers the facts (the customer-facts row and their loans' figures) and risk decides
(`risk.services.preapproval`); the decision is stored on the offer as it was made, so it can be
replayed. A new offer replaces the customer's live offer of that kind (withdrawn in the same
transaction: the database allows one live offer per kind)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from autofin.audit import audit_entry_build
from autofin.models import AuditEntry, User
from origination.selectors.products import product_rules, purpose_product_version
from risk.services import (
    preapproval_decide,
    preapproval_decide_many,
    preapproval_prefilter_sql,
)
from servicing.models import Offer, OfferKind, OfferStatus
from servicing.selectors.offers import offer_facts_many

# what the nightly batch offers on its own; an insurance renewal is offered by the renewal quote
# (insurance stream) and an upgrade by a campaign, each through offer_issue
BATCH_KINDS = (OfferKind.NEXT_CAR, OfferKind.MAINTENANCE)


_LOOKUP = object()  # offer_terms: look the kind's product up (no version passed)


def offer_terms(*, kind: str, decision: dict, version=_LOOKUP) -> dict | None:
    """The offer's terms from risk's decision. A car offer carries risk's indicative rate; a
    maintenance or insurance offer is priced by its product (the rate its contract will carry:
    the product's rate at the pre-approved tier for the longest term both allow), and cannot be
    offered without a product on sale (None). `version`: the kind's product version when the
    caller looked it up already (None: none on sale)."""
    terms = {"limit_amount": Decimal(decision["limit_amount"]),
             "max_term_months": decision["max_term_months"], "product_id": None}  # fmt: skip
    if decision.get("annual_rate") is not None:
        return {**terms, "annual_rate": Decimal(decision["annual_rate"])}
    if version is _LOOKUP:
        version = purpose_product_version(purpose=kind)
    if version is None:
        return None
    rules = product_rules(version=version)
    allowed = [t for t in rules.terms if t <= decision["max_term_months"]]
    rate = rules.rates.get((max(allowed), decision["tier"])) if allowed else None
    if rate is None:
        return None
    limit = min(terms["limit_amount"], rules.amount_max)
    return {**terms, "limit_amount": limit, "max_term_months": max(allowed),
            "annual_rate": rate, "product_id": version.product_id}  # fmt: skip


def _create_many(*, kind: str, approved: list[tuple[int, dict, int | None]],
                 business_date: dt.date, actor, campaign_id=None) -> list[Offer]:  # fmt: skip
    """The offers of `kind` for approved (customer id, decision, loan id), each replacing the
    customer's live offer of the kind (withdrawn; the database allows one live offer per kind),
    each with its audit row. Set-based for the nightly batch's chunks: the kind's product looked
    up once, one UPDATE, one INSERT of offers and one of audit rows. A decision whose terms
    cannot be priced (no product on sale) makes no offer. Returns the offers created."""
    version = _LOOKUP
    if any(d.get("annual_rate") is None for _c, d, _l in approved):
        version = purpose_product_version(purpose=kind)
    made = []
    for customer_id, decision, loan_id in approved:
        terms = offer_terms(kind=kind, decision=decision, version=version)
        if terms is not None:
            made.append((customer_id, decision, loan_id, terms))
    if not made:
        return []
    withdrawn: dict[int, list[int]] = {}
    for pk, customer_id in (
        Offer.objects.select_for_update()
        .filter(customer_id__in=[m[0] for m in made], kind=kind, status=OfferStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "customer_id")
    ):
        withdrawn.setdefault(customer_id, []).append(pk)
    if withdrawn:
        Offer.objects.filter(pk__in=[pk for pks in withdrawn.values() for pk in pks]).update(
            status=OfferStatus.WITHDRAWN
        )
    expires_on = business_date + dt.timedelta(days=settings.OFFER_VALID_DAYS)
    offers = Offer.objects.bulk_create(
        [
            Offer(
                customer_id=customer_id,
                kind=kind,
                loan_id=loan_id,
                **terms,
                expires_on=expires_on,
                decision=decision,
                campaign_id=campaign_id,
            )
            for customer_id, decision, loan_id, terms in made
        ]
    )
    AuditEntry.objects.bulk_create(
        [
            audit_entry_build(
                actor=actor,
                obj=offer,
                action="offer_issue",
                to_state=OfferStatus.ACTIVE,
                data={
                    "withdrawn": withdrawn.get(offer.customer_id, []),
                    "version": offer.decision["version"],
                },
            )
            for offer in offers
        ]
    )
    return offers


def offer_issue(*, customer: User, kind: str, business_date: dt.date, campaign_id=None,
                actor="offers", requested_limit: Decimal | None = None,
                loan_id: int | None = None) -> Offer | None:  # fmt: skip
    """Ask risk to pre-approve `kind` for `customer` on `business_date`; the new offer, or None
    when risk declines (nothing changes then: the live offer, if any, stays).
    `requested_limit`: the bill asked for (an insurance renewal's premium); `loan_id`: the
    financed car the offer is for when the caller knows it (the insured car's loan)."""
    facts = offer_facts_many([customer.pk]).get(customer.pk)
    if facts is None:  # not yet a customer with history (no facts row tonight)
        return None
    latest_loan_id = facts.pop("loan_id")
    loan_id = loan_id or latest_loan_id
    decision = preapproval_decide(kind=kind, facts=facts, on=business_date,
                                  requested_limit=requested_limit)  # fmt: skip
    if not decision["approved"]:
        return None
    with transaction.atomic():
        offers = _create_many(kind=kind, approved=[(customer.pk, decision, loan_id)],
                              business_date=business_date, actor=actor,
                              campaign_id=campaign_id)  # fmt: skip
    return offers[0] if offers else None


_CANDIDATES = """
SELECT f.customer_id
  FROM servicing_customerfact f
 WHERE {criteria}
   AND f.customer_id > %(after)s
   AND NOT EXISTS (SELECT 1 FROM servicing_offer o
                    WHERE o.customer_id = f.customer_id AND o.kind = %(kind)s
                      AND (o.status = 'active' OR o.created_at::date > %(cooling)s))
 ORDER BY f.customer_id
 LIMIT %(limit)s
"""


def _candidates(*, kind: str, business_date: dt.date, after: int) -> list[int]:
    """The next chunk of customers the criteria do not refuse and who hold no live offer of
    `kind` and were not offered it within an offer's validity (a declined or taken one
    included: asking again the same week is pestering). Catch-up safe: a re-run finds the
    ones it issued as holding one."""
    criteria, params = preapproval_prefilter_sql(kind=kind, on=business_date)
    cooling = business_date - dt.timedelta(days=settings.OFFER_VALID_DAYS)
    with connection.cursor() as cur:
        cur.execute(_CANDIDATES.format(criteria=criteria),
                    {**params, "kind": kind, "after": after,
                     "cooling": cooling, "limit": settings.OFFERS_BATCH_CHUNK})  # fmt: skip
        return [r[0] for r in cur.fetchall()]


def offers_issue_due(*, business_date: dt.date) -> dict:
    """The nightly issue: candidates picked set-based, decided by risk a chunk at a time (the
    policy read once), each chunk's offers written set-based in its own transaction. Returns
    {kind: offers issued}."""
    issued = {}
    for kind in BATCH_KINDS:
        count, after = 0, 0
        while ids := _candidates(kind=kind, business_date=business_date, after=after):
            after = ids[-1]
            facts = offer_facts_many(ids)
            loans = [facts[customer_id].pop("loan_id") for customer_id in ids]
            decisions = preapproval_decide_many(
                kind=kind, facts=[facts[customer_id] for customer_id in ids], on=business_date
            )
            approved = [
                (customer_id, decision, loan_id)
                for customer_id, decision, loan_id in zip(ids, decisions, loans, strict=True)
                if decision["approved"]
            ]
            with transaction.atomic():
                count += len(
                    _create_many(
                        kind=kind, approved=approved, business_date=business_date, actor="eod"
                    )
                )
        issued[str(kind)] = count
    return issued
