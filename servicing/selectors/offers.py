"""Reads for pre-approved offers: the customer's active offers in the order the portal shows
them, and the facts handed to risk's pre-approval (the customer-facts row plus the figures of
their loans)."""

from __future__ import annotations

from django.db.models import Max

from origination.selectors.applications import applications_for_customer
from servicing import loan_rules
from servicing.models import CustomerFact, Loan, Offer, OfferStatus
from servicing.services.nbo.scoring import nbo_rank

# the customer-facts columns risk's pre-approval reads (risk.services.preapproval.CRITERIA)
FACT_COLUMNS = (
    "loans_active", "loans_closed", "instalments_paid", "current_dpd", "max_dpd_ever",
    "months_to_maturity", "principal_outstanding",
)  # fmt: skip


def offers_for_customer(customer, *, open_on) -> list[Offer]:
    """The customer's open offers (not expired on `open_on`), best first: the one place the
    portal's order is decided — the next-best-offer model's ranking of their kinds (千人千面),
    newest first within a kind; the model's fallback order when none is trained."""
    offers = list(
        Offer.objects.filter(
            customer=customer, status=OfferStatus.ACTIVE, expires_on__gte=open_on
        ).order_by("-created_at", "-id")
    )
    if len(offers) < 2:
        return offers
    ranked = nbo_rank(customer.pk, sorted({o.kind for o in offers}))
    place = {kind: i for i, (kind, _score) in enumerate(ranked)}
    return sorted(offers, key=lambda o: place[o.kind])  # stable: newest first within a kind


def offer_of_customer(customer, offer_id: int) -> Offer | None:
    """One of the customer's own offers (any status), or None (someone else's, or none)."""
    return Offer.objects.filter(customer=customer, pk=offer_id).first()


def offer_facts_many(customer_ids: list[int]) -> dict[int, dict]:
    """{customer id: facts} for risk's pre-approval, in two queries: the customer-facts row (the
    one definition of each fact) and the largest amount we financed them, with their latest loan
    still running (the loan an offer names)."""
    facts = {
        row["customer_id"]: row
        for row in CustomerFact.objects.filter(customer_id__in=customer_ids).values(
            "customer_id", *FACT_COLUMNS
        )
    }
    largest = dict(
        Loan.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(m=Max("amount_financed"))
        .values_list("customer_id", "m")
    )
    latest = {}
    for customer_id, loan_id in (
        Loan.objects.filter(customer_id__in=customer_ids)
        .exclude(status__in=loan_rules.CLOSED_STATUSES)
        .order_by("customer_id", "-value_date", "-id")
        .distinct("customer_id")
        .values_list("customer_id", "id")
    ):
        latest[customer_id] = loan_id
    out = {}
    for customer_id, row in facts.items():
        row = {k: row[k] for k in FACT_COLUMNS}
        row["largest_amount_financed"] = largest.get(customer_id)
        row["loan_id"] = latest.get(customer_id)
        out[customer_id] = row
    return out


def application_of_customer(customer, application_id: int | None):
    """The customer's own application an offer was taken up with (origination's selector)."""
    if application_id is None:
        return None
    return applications_for_customer(customer).filter(pk=application_id).first()
