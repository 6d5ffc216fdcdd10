"""One customer, one view (issue 21 §1): the agent's customer search and the customer page's
header and timeline.

The search reads the replica (a list tolerates lag, like the loan search). The page reads the
primary and builds the timeline from one query per source whatever the customer's history:
each source is read newest first and cut at what the requested page needs, then the rows are
merged and sorted in Python. A row that makes several items (a consent given then withdrawn, a
contract issued then signed) is ordered by its latest moment, so the cut never drops an item the
page would show.

Identity stays masked here; the full mobile and ID number come only from
servicing.services.customers.customer_identity_reveal (audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce

from autofin.crypto import keyed_hash, mask
from autofin.money import ZERO
from autofin.replica import read_alias
from autofin.roles import Role
from origination.models.applications import Applicant, ApplicantRole, Application
from origination.models.contracts import Contract
from origination.selectors.applications import applications_for_customer
from servicing import loan_rules
from servicing.models import MarketingConsent
from servicing.models.collections import RISK_ORDER, RiskLevel
from servicing.models.loans import Loan
from servicing.selectors.customer_timeline import KINDS, SOURCES, TimelineItem

PAGE_SIZE = 50
SEARCH_LIMIT = 50


def customers() -> QuerySet:
    return get_user_model().objects.filter(groups__name=Role.CUSTOMER.value)


# --- the search ---------------------------------------------------------------------------------


def customer_search(*, query: str) -> list:
    """Customers found by one box: part of a name, the mobile, the resident ID number (exact,
    through the keyed hash the applications store), a contract number or a VIN. Newest first,
    at most SEARCH_LIMIT, each with its number of loans."""
    text = "".join(str(query or "").split())
    if not text:
        return []
    alias = read_alias()
    hashed = keyed_hash(text.upper())
    applicants = Applicant.objects.using(alias).filter(role=ApplicantRole.PRIMARY)
    by_applicant = applicants.filter(
        Q(mobile_hash=hashed) | Q(id_number_hash=hashed) | Q(name__icontains=text)
    ).values("application__customer_id")
    by_application = (
        Application.objects.using(alias)
        .filter(Q(customer_key=hashed) | Q(vin__iexact=text))
        .values("customer_id")
    )
    by_contract = (
        Contract.objects.using(alias)
        .filter(Q(contract_ref__iexact=text) | Q(vin__iexact=text))
        .values("application__customer_id")
    )
    by_loan = (
        Loan.objects.using(alias)
        .filter(Q(contract_ref__iexact=text) | Q(vin__iexact=text))
        .values("customer_id")
    )
    return list(
        customers()
        .using(alias)
        .filter(
            Q(display_name__icontains=text)
            | Q(phone=text)
            | Q(pk__in=by_applicant)
            | Q(pk__in=by_application)
            | Q(pk__in=by_contract)
            | Q(pk__in=by_loan)
        )
        .annotate(loan_count=Count("loans", distinct=True))
        .order_by("-date_joined", "-pk")[:SEARCH_LIMIT]
    )


def name_masked(name: str) -> str:
    """张*明 / 王*: the family name and (for three characters or more) the last one."""
    name = str(name or "")
    return mask(name, keep_start=1, keep_end=1 if len(name) > 2 else 0)


def phone_masked(phone: str) -> str:
    return mask(phone, keep_start=3, keep_end=4) if phone else ""


# --- the page -----------------------------------------------------------------------------------


def customer_primary_applicant(customer, applications=None) -> Applicant | None:
    """The primary applicant of the customer's latest application: whose ID number the page
    shows (masked) and the reveal decrypts."""
    apps = applications if applications is not None else applications_for_customer(customer)
    return (
        Applicant.objects.filter(application__in=apps, role=ApplicantRole.PRIMARY)
        .order_by("-application__created_at", "-application_id")
        .first()
    )


@dataclass
class CustomerView:
    customer: object
    name_masked: str
    phone_masked: str
    id_number_masked: str
    risk_level: str
    risk_label: str
    max_dpd: int
    loans_in_force: int
    outstanding: Decimal
    marketing_consent: bool
    loans: list = field(default_factory=list)
    items: list[TimelineItem] = field(default_factory=list)
    has_more: bool = False


def customer_view(*, customer, viewer, kind: str = "", page: int = 1) -> CustomerView:
    """The customer's header and one page of their timeline, newest first, optionally of one
    kind. A fixed number of queries, whatever the history."""
    page = max(int(page or 1), 1)
    need = page * PAGE_SIZE + 1  # one more than the page shows: is there a next page?
    wanted = set(KINDS) if kind not in KINDS else {kind}

    applications = list(applications_for_customer(customer).order_by("-created_at", "-id"))
    app_ids = [a.pk for a in applications]
    loans = list(
        Loan.objects.filter(customer=customer)
        .select_related("delinquency", "risk_profile")
        .order_by("-value_date", "-id")
    )
    loan_ids = [loan.pk for loan in loans]
    refs = {loan.pk: loan.contract_ref for loan in loans}
    primary = customer_primary_applicant(customer, applications=app_ids)
    marketing = list(
        MarketingConsent.objects.filter(customer=customer).order_by(
            Coalesce("withdrawn_at", "given_at").desc(), "-id"
        )
    )

    in_force = [loan for loan in loans if not loan_rules.is_closed(loan.status)]
    levels = [_risk_of(loan) for loan in in_force]
    risk = max(levels, key=RISK_ORDER.index, default=RiskLevel.NONE)
    view = CustomerView(
        customer=customer,
        name_masked=name_masked(customer.display_name or (primary.name if primary else "")),
        phone_masked=phone_masked(customer.phone),
        id_number_masked=primary.id_number_masked if primary else "",
        risk_level=risk,
        risk_label=str(RiskLevel(risk).label),
        max_dpd=max((_dpd_of(loan) for loan in in_force), default=0),
        loans_in_force=len(in_force),
        outstanding=sum((loan.principal_outstanding for loan in in_force), ZERO),
        marketing_consent=any(m.withdrawn_at is None for m in marketing),
        loans=loans,
    )

    items: list[TimelineItem] = []
    ctx = {
        "viewer": viewer,
        "need": need,
        "applications": applications,
        "app_ids": app_ids,
        "loans": loans,
        "loan_ids": loan_ids,
        "refs": refs,
        "marketing": marketing,
        "customer": customer,
    }
    for name in KINDS:
        if name in wanted:
            items.extend(SOURCES[name](ctx))
    items.sort(key=lambda item: item.at, reverse=True)
    start = (page - 1) * PAGE_SIZE
    view.items = items[start : start + PAGE_SIZE]
    view.has_more = len(items) > start + PAGE_SIZE
    return view


def _risk_of(loan: Loan) -> str:
    profile = getattr(loan, "risk_profile", None)
    return profile.level if profile is not None else RiskLevel.NONE


def _dpd_of(loan: Loan) -> int:
    delinquency = getattr(loan, "delinquency", None)
    return delinquency.dpd if delinquency is not None else 0
