"""Read queries for applications: who may see which (scoping), progress, timeline, what is
needed next, and turnaround figures for the back office."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from autofin.crypto import keyed_hash
from autofin.roles import Role, user_has_role
from origination.models import (
    Applicant,
    ApplicantRole,
    Application,
    ApplicationChannel,
    ApplicationDocument,
    ApplicationStatus,
    Consent,
)

S = ApplicationStatus
# back-office roles that see every application; account managers see their dealers'
BACK_OFFICE_ALL = (
    Role.UNDERWRITER,
    Role.SENIOR_UNDERWRITER,
    Role.RISK_ANALYST,
    Role.FINANCE_OPERATOR,
    Role.FINANCE_APPROVER,
    Role.SERVICING_AGENT,
    Role.OPERATIONS,
    Role.SYSTEM_ADMIN,
)
STEPS = (
    ("vehicle", _("产品与车辆")),
    ("applicant", _("申请人")),
    ("items", _("融资项目")),
    ("documents", _("资料上传")),
    ("consents", _("授权")),
    ("review", _("确认提交")),
)


def _base() -> QuerySet[Application]:
    return Application.objects.select_related("product_version__product", "dealer", "salesperson")


def applications_for_customer(user) -> QuerySet[Application]:
    match = Q(customer_id=user.pk)
    if getattr(user, "phone", ""):
        match |= Q(customer_key=keyed_hash(user.phone), customer_confirmed_at__isnull=False)
    return _base().filter(match)


def applications_visible_to(user) -> QuerySet[Application]:
    """Every application ``user`` may see: a customer their own, dealer staff their dealer's,
    back office by role (account managers: the dealers they manage)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Application.objects.none()
    if user_has_role(user, *BACK_OFFICE_ALL):
        return _base()
    if user_has_role(user, Role.DEALER_ADMIN, Role.DEALER_SALES):
        from dealers.selectors import staff_for_user

        staff = staff_for_user(user)
        if staff is not None:
            return _base().filter(dealer_id=staff.dealer_id)
    if user_has_role(user, Role.ACCOUNT_MANAGER):
        return _base().filter(dealer__account_manager_id=user.pk)
    if user_has_role(user, Role.CUSTOMER):
        return applications_for_customer(user)
    return Application.objects.none()


def application_get_for(user, reference: str) -> Application | None:
    return applications_visible_to(user).filter(reference=reference).first()


def document_get_for(user, pk: int) -> ApplicationDocument | None:
    """A document only through an application the user may see."""
    visible = applications_visible_to(user).values("pk")
    return (
        ApplicationDocument.objects.select_related("application")
        .filter(pk=pk, application__in=visible)
        .first()
    )


def application_may_edit(user, app: Application) -> bool:
    """Customers edit their own direct drafts; dealer staff their dealer's drafts."""
    if app.status not in (S.DRAFT, S.DOCUMENTS_REQUESTED):
        return False
    if app.channel == ApplicationChannel.DIRECT:
        return app.customer_id == user.pk
    from dealers.selectors import staff_for_user

    staff = staff_for_user(user)
    return staff is not None and staff.dealer_id == app.dealer_id


@dataclass(frozen=True)
class StepState:
    name: str
    label: object
    number: int
    done: bool


def application_progress(app: Application) -> list[StepState]:
    from origination.services.applications.consents import consents_missing
    from origination.services.documents import documents_missing

    submitted = app.status != S.DRAFT
    # what the steps depend on, read in one query
    row = (
        Application.objects.filter(pk=app.pk)
        .annotate(
            has_primary=Exists(
                Applicant.objects.filter(application=OuterRef("pk"), role=ApplicantRole.PRIMARY)
            ),
            doc_kinds=ArraySubquery(
                ApplicationDocument.objects.filter(application=OuterRef("pk")).values("doc_kind")
            ),
            consent_kinds=ArraySubquery(
                Consent.objects.filter(
                    application=OuterRef("pk"), withdrawn_at__isnull=True
                ).values("consent_kind")
            ),
        )
        .values("has_primary", "doc_kinds", "consent_kinds")
        .first()
    ) or {"has_primary": False, "doc_kinds": [], "consent_kinds": []}
    consents_done = not consents_missing(app, given=set(row["consent_kinds"]))
    if app.channel == ApplicationChannel.DEALER:
        consents_done = app.customer_confirmed_at is not None and consents_done
    done = {
        "vehicle": True,
        "applicant": row["has_primary"],
        "items": app.items_saved_at is not None,
        "documents": not documents_missing(app, have=set(row["doc_kinds"])),
        "consents": consents_done,
        "review": submitted,
    }
    return [StepState(name, label, i + 1, done[name]) for i, (name, label) in enumerate(STEPS)]


def progress_percent(steps: list[StepState]) -> int:
    return round(100 * sum(1 for s in steps if s.done) / len(steps))


def application_timeline(app: Application) -> list[dict]:
    labels = dict(S.choices)
    rows = []
    for event in app.events.order_by("created_at", "id"):
        if event.kind == "status":
            title = labels.get(event.to_status, event.to_status)
        else:
            title = EVENT_LABELS.get(event.kind, event.kind)
        rows.append({"at": event.created_at, "title": title, "kind": event.kind, "event": event})
    return rows


EVENT_LABELS = {
    "document": _("上传资料"),
    "consent": _("已授权"),
    "consent_withdrawn": _("撤回授权"),
    "confirmation_sent": _("已发送确认短信"),
    "customer_confirmed": _("客户已确认"),
}


def application_needs(app: Application, *, for_dealer: bool = False) -> list[str]:
    """What is needed from the customer (or the dealer) now, in plain words."""
    from origination.services.applications.submission import submission_problems
    from origination.services.state import NEXT_STEP

    if app.status == S.DRAFT:
        return [m for messages in submission_problems(app).values() for m in messages]
    needs = [str(NEXT_STEP[app.status])]
    if app.status == S.APPROVED and not app.vin:
        needs.append(str(_("签约前须补充车架号（VIN）。")))
    return needs


def consents_for_customer(user) -> QuerySet[Consent]:
    apps = applications_for_customer(user).values("pk")
    return (
        Consent.objects.filter(application__in=apps)
        .select_related("text", "application")
        .order_by("-given_at")
    )


def pipeline_for_dealer(dealer_id: int) -> dict[str, list[Application]]:
    columns: dict[str, list[Application]] = {s: [] for s in S.values}
    for app in _base().filter(dealer_id=dealer_id).order_by("-updated_at")[:500]:
        columns[app.status].append(app)
    return columns


# --- turnaround ------------------------------------------------------------------------------


def _hours(start, end) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 2)


def turnaround_rows(*, queryset: QuerySet[Application] | None = None) -> list[dict]:
    """Per submitted application: hours from submission to decision and to funding."""
    qs = (queryset if queryset is not None else Application.objects.all()).filter(
        submitted_at__isnull=False
    )
    return [
        {
            "reference": app.reference,
            "channel": app.channel,
            "dealer_id": app.dealer_id,
            "dealer": app.dealer.legal_name if app.dealer_id else "",
            "status": app.status,
            "hours_to_decision": _hours(app.submitted_at, app.decided_at),
            "hours_to_funding": _hours(app.submitted_at, app.funded_at),
        }
        for app in qs.select_related("dealer").order_by("submitted_at")
    ]


def turnaround_summary(*, group_by: str = "channel", queryset=None) -> list[dict]:
    """Count, median and mean hours to decision and to funding per channel or dealer."""
    if group_by not in ("channel", "dealer"):
        raise ValueError(group_by)
    groups: dict[str, list[dict]] = {}
    for row in turnaround_rows(queryset=queryset):
        key = row["channel"] if group_by == "channel" else (row["dealer"] or str(_("直销")))
        groups.setdefault(key, []).append(row)
    result = []
    for key, rows in sorted(groups.items()):
        decision = [r["hours_to_decision"] for r in rows if r["hours_to_decision"] is not None]
        funding = [r["hours_to_funding"] for r in rows if r["hours_to_funding"] is not None]
        result.append(
            {
                "group": key,
                "submitted": len(rows),
                "decided": len(decision),
                "funded": len(funding),
                "median_hours_to_decision": statistics.median(decision) if decision else None,
                "mean_hours_to_decision": round(statistics.fmean(decision), 2)
                if decision
                else None,
                "median_hours_to_funding": statistics.median(funding) if funding else None,
                "mean_hours_to_funding": round(statistics.fmean(funding), 2) if funding else None,
            }
        )
    return result
