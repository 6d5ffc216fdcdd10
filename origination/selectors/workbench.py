"""Read queries of the underwriting workbench: the queue with its SLA timers, the case page,
what risk decided, the open counter-offer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from dealers.selectors import dealer_risk_facts, dealer_summary
from origination.models.applications import Application, ApplicationStatus
from origination.models.contracts import Contract
from origination.models.underwriting import (
    Condition,
    CounterOffer,
    CounterOfferStatus,
    UnderwritingCase,
)
from risk.selectors.decisions import decision_details, decision_tiers

S = ApplicationStatus


def sla_hours() -> int:
    """Hours a referred application may wait for a decision (kept simple: wall-clock hours)."""
    return settings.UNDERWRITING_SLA_HOURS


# --------------------------------------------------------------------------------------------
# The queue
# --------------------------------------------------------------------------------------------


@dataclass
class QueueFilters:
    product_line: str = ""
    dealer_id: int | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    tier: str = ""
    mine: bool = False


@dataclass
class QueueRow:
    application: Application
    case: UnderwritingCase | None
    entered_at: dt.datetime
    due_at: dt.datetime
    waiting: dt.timedelta
    overdue: bool
    tier: str
    returned: bool  # back from a documents request

    @property
    def waiting_text(self) -> str:
        minutes = int(self.waiting.total_seconds() // 60)
        return f"{minutes // 60}h {minutes % 60:02d}m"


def _tiers_by_ref(refs: list[str]) -> dict[str, str]:
    """risk's tier per application reference (the latest decision's)."""
    return decision_tiers(application_refs=refs)


def workbench_queue(
    *, user, filters: QueueFilters | None = None, now: dt.datetime | None = None
) -> list[QueueRow]:
    """Referred applications (including those back from a documents request), oldest first,
    with SLA timers: time in queue, due time (entered + SLA hours) and overdue."""
    f = filters or QueueFilters()
    now = now or timezone.now()
    qs = (
        Application.objects.filter(status=S.REFERRED)
        .select_related(
            "product_version__product", "dealer", "underwriting_case__assigned_to", "salesperson"
        )
        .order_by("status_changed_at", "id")
    )
    if f.product_line:
        qs = qs.filter(product_version__product__vehicle_kind=f.product_line)
    if f.dealer_id:
        qs = qs.filter(dealer_id=f.dealer_id)
    if f.amount_min is not None:
        qs = qs.filter(amount_financed__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(amount_financed__lte=f.amount_max)
    if f.mine:
        qs = qs.filter(underwriting_case__assigned_to=user)
    apps = list(qs[:500])
    tiers = _tiers_by_ref([a.reference for a in apps])
    hours = dt.timedelta(hours=sla_hours())
    rows = []
    for app in apps:
        tier = tiers.get(app.reference, "")
        if f.tier and tier != f.tier:
            continue
        case = getattr(app, "underwriting_case", None)
        entered = app.status_changed_at or app.submitted_at or app.created_at
        rows.append(
            QueueRow(
                application=app,
                case=case,
                entered_at=entered,
                due_at=entered + hours,
                waiting=now - entered,
                overdue=now > entered + hours,
                tier=tier,
                returned=bool(case and case.documents_received_at),
            )
        )
    return rows


def queue_dealers() -> list[tuple[int, str]]:
    return list(
        Application.objects.filter(status=S.REFERRED, dealer__isnull=False)
        .order_by("dealer__legal_name")
        .values_list("dealer_id", "dealer__legal_name")
        .distinct()
    )


# --------------------------------------------------------------------------------------------
# The case page
# --------------------------------------------------------------------------------------------


def decision_for_application(application: Application) -> dict | None:
    """What risk decided on this application, as plain values (risk's selector), or None."""
    return decision_details(
        application_ref=application.reference, decision_id=application.risk_decision_id
    )


def case_detail(application: Application) -> dict:
    """Everything the case page shows, as far as it exists (never made up)."""
    app = application
    dealer = None
    if app.dealer_id:
        dealer = {
            **dealer_summary(dealer_id=app.dealer_id),
            **dealer_risk_facts(dealer_id=app.dealer_id),
        }
    case = UnderwritingCase.objects.select_related("assigned_to").filter(application=app).first()
    return {
        "app": app,
        "case": case,
        "applicants": list(app.applicants.all()),
        "items": list(app.items.order_by("id")),
        "documents": list(app.documents.order_by("doc_kind", "-uploaded_at")),
        "decision": decision_for_application(app),
        "dealer": dealer,
        "conditions": list(Condition.objects.filter(application=app).order_by("id")),
        "counter_offers": list(
            CounterOffer.objects.filter(application=app).select_related("quote").order_by("-id")
        ),
        "contracts": list(Contract.objects.filter(application=app).order_by("-version")),
        "events": list(app.events.order_by("created_at", "id")),
    }


def counter_offer_open(application: Application) -> CounterOffer | None:
    return (
        CounterOffer.objects.select_related("quote")
        .filter(application=application, status=CounterOfferStatus.OPEN)
        .first()
    )
