"""Read queries of the underwriting workbench: the queue with its SLA timers, the case page,
what risk decided, the open counter-offer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.roles import Role, user_has_role
from dealers.selectors import dealer_risk_facts, dealer_summary
from origination.models.applications import Application, ApplicationStatus
from origination.models.contracts import Contract
from origination.models.underwriting import (
    Condition,
    CounterOffer,
    CounterOfferStatus,
    UnderwritingCase,
)
from origination.selectors.applications import application_timeline
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
    sort: str = "sla"  # sla (due soonest) | amount (largest first) | age (newest first)


SORTS = ("sla", "amount", "age")
DUE_SOON = 0.25  # the last quarter of the SLA is "due soon"


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
    over_limit: bool = False  # above the viewer's approval authority
    due_soon: bool = False

    @property
    def escalated(self) -> bool:
        return bool(self.case and self.case.escalated_at)

    @property
    def sla_state(self) -> str:
        return "overdue" if self.overdue else "due-soon" if self.due_soon else "on-time"

    @property
    def waiting_text(self) -> str:
        minutes = int(self.waiting.total_seconds() // 60)
        return _("%(h)d小时%(m)02d分") % {"h": minutes // 60, "m": minutes % 60}


def _tiers_by_ref(refs: list[str]) -> dict[str, str]:
    """risk's tier per application reference (the latest decision's)."""
    return decision_tiers(application_refs=refs)


def workbench_queue(
    *,
    user,
    filters: QueueFilters | None = None,
    now: dt.datetime | None = None,
    limit: Decimal | None = None,
) -> list[QueueRow]:
    """Referred applications (including those back from a documents request) with SLA timers:
    time in queue, due time (entered + SLA hours), due soon and overdue; each marked when above
    ``limit`` (the viewer's authority, None: no limit). Cases escalated to the seniors (转高级)
    are only in the seniors' queue, first."""
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
    senior = user_has_role(user, Role.SENIOR_UNDERWRITER)
    if not senior:
        qs = qs.exclude(underwriting_case__escalated_at__isnull=False)
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
                over_limit=limit is not None and (app.amount_financed or 0) > limit,
                due_soon=now > entered + hours * (1 - DUE_SOON),
            )
        )
    return _sorted(rows, f.sort, senior)


def _sorted(rows: list[QueueRow], sort: str, senior: bool) -> list[QueueRow]:
    if sort == "amount":
        rows.sort(key=lambda r: r.application.amount_financed or 0, reverse=True)
    elif sort == "age":
        rows.sort(key=lambda r: r.entered_at, reverse=True)
    else:
        rows.sort(key=lambda r: r.due_at)
    if senior:
        rows.sort(key=lambda r: not r.escalated)  # stable: escalated first, then the sort
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


def case_summary(application: Application, decision: dict | None) -> dict:
    """The strip at the top of the case page: amount, LTV, DTI as risk computed it for the
    decision (the bureau's monthly debt payments plus the instalment, over the income the
    decision was made on, named when the sources verified less than declared; none before risk
    has read the bureau), score and tier."""
    app = application
    return {
        "amount": app.amount_financed,
        "ltv": app.ltv,
        "dti": (decision or {}).get("debt_to_income"),
        # the DTI's income when the sources verified less than declared: the tile says so
        "dti_income": (decision or {}).get("verified_income"),
        "score": (decision or {}).get("score"),
        "tier": (decision or {}).get("tier") or "",
    }


# back-office steps the shared timeline has no words for
_STEP_LABELS = {
    "contract": gettext_lazy("合同已生成"),
    "underwriting": gettext_lazy("资料已补齐，回到审批队列"),
}


def _timeline(app: Application) -> list[dict]:
    rows = application_timeline(app)
    for row in rows:
        if row["title"] == row["kind"]:
            row["title"] = _STEP_LABELS.get(row["kind"], gettext_lazy("其他操作"))
    return rows


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
    applicants = list(app.applicants.all())
    decision = decision_for_application(app)
    return {
        "app": app,
        "case": case,
        "summary": case_summary(app, decision),
        "applicants": applicants,
        "items": list(app.items.order_by("id")),
        "documents": list(app.documents.order_by("doc_kind", "-uploaded_at")),
        "decision": decision,
        "dealer": dealer,
        "conditions": list(Condition.objects.filter(application=app).order_by("id")),
        "counter_offers": list(
            CounterOffer.objects.filter(application=app).select_related("quote").order_by("-id")
        ),
        "contracts": list(Contract.objects.filter(application=app).order_by("-version")),
        "timeline": _timeline(app),
    }


def counter_offer_open(application: Application) -> CounterOffer | None:
    return (
        CounterOffer.objects.select_related("quote")
        .filter(application=application, status=CounterOfferStatus.OPEN)
        .first()
    )
