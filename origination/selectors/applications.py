"""Read queries for applications: who may see which (scoping), the timeline, consents, the
dealer's pipeline."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from autofin.crypto import decrypt, keyed_hash
from autofin.roles import Role, user_has_role
from dealers.selectors import staff_for_user
from origination.customer_texts import DEALER_STATUS_LABELS, status_note
from origination.models.applications import (
    Applicant,
    Application,
    ApplicationChannel,
    ApplicationStatus,
)
from origination.models.documents import ApplicationDocument
from origination.models.privacy import Consent

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
        staff = staff_for_user(user)
        if staff is not None:
            return _base().filter(dealer_id=staff.dealer_id)
    if user_has_role(user, Role.ACCOUNT_MANAGER):
        return _base().filter(dealer__account_manager_id=user.pk)
    if user_has_role(user, Role.CUSTOMER):
        return applications_for_customer(user)
    return Application.objects.none()


# What the machine decides right after submission: a customer's status request may wait on these.
BEING_DECIDED = (S.SUBMITTED, S.UNDER_REVIEW)


def application_being_decided(application_id: int) -> bool:
    """One indexed read: is the automated decision of this application still to come?"""
    return Application.objects.filter(pk=application_id, status__in=BEING_DECIDED).exists()


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
    staff = staff_for_user(user)
    return staff is not None and staff.dealer_id == app.dealer_id


def application_timeline(app: Application, *, for_dealer: bool = False) -> list[dict]:
    labels = dict(S.choices)
    if for_dealer:  # neutral while people decide ("审核中"), as the pipeline names it
        labels.update(DEALER_STATUS_LABELS)
    rows = []
    for event in app.events.select_related("actor").order_by("created_at", "id"):
        # the event's ``reason`` is the back office's (rule codes, notes): the row carries the
        # customer's plain line instead (origination/customer_texts.py)
        if event.kind == "status":
            title = labels.get(event.to_status, "")
            note = (
                status_note(event.to_status, for_dealer=for_dealer)
                if event.to_status != S.SUBMITTED
                else ""
            )
        else:
            title, note = EVENT_LABELS.get(event.kind, _("办理进度更新")), ""
        if not title:
            continue
        # who acted, for the back office's case page only (a person; the system is nobody)
        by = str(event.actor) if event.actor_id else ""
        row = {"at": event.created_at, "title": title, "note": note, "kind": event.kind, "by": by}
        if rows and rows[-1]["kind"] == row["kind"] == "status" and rows[-1]["title"] == title:
            rows[-1] = row  # 审核中 then 审核中 (review, referral) reads as one step
        elif rows and rows[-1]["kind"] == row["kind"] == "document":
            # a batch of files is one step for the reader: one line, the count, the last time
            count = rows[-1]["count"] + 1
            by = by if rows[-1]["by"] == by else ""
            rows[-1] = {**row, "by": by, "count": count,
                        "title": _("上传资料（%(n)s 份）") % {"n": count}}  # fmt: skip
        else:
            rows.append({**row, "count": 1})
    return rows


EVENT_LABELS = {
    "document": _("上传资料"),
    "consent": _("已授权"),
    "consent_withdrawn": _("撤回授权"),
    "confirmation_sent": _("已发送确认短信"),
    "customer_confirmed": _("客户已确认"),
    "contract": _("合同已生成"),
    "underwriting": _("审核处理"),
    "step": _("办理进度更新"),
}


def consents_for_customer(user) -> QuerySet[Consent]:
    apps = applications_for_customer(user).values("pk")
    return (
        Consent.objects.filter(application__in=apps)
        .select_related("text", "application")
        .order_by("-given_at")
    )


def pipeline_for_dealer(
    dealer_id: int, *, salesperson_id: int | None = None
) -> dict[str, list[Application]]:
    """The dealer's applications by status; a salesperson's own only when named."""
    columns: dict[str, list[Application]] = {s: [] for s in S.values}
    apps = _base().filter(dealer_id=dealer_id)
    if salesperson_id is not None:
        apps = apps.filter(salesperson_id=salesperson_id)
    for app in apps.order_by("-updated_at")[:500]:
        columns[app.status].append(app)
    return columns


# what a salesperson does next on an application in this status (none: nothing to do)
DEALER_TODOS = {
    S.DRAFT: _("补全资料并发送客户确认短信"),
    S.DOCUMENTS_REQUESTED: _("补充资料"),
    S.COUNTER_OFFERED: _("提醒客户查看调整后的方案"),
    S.APPROVED: _("准备签约（补充车架号）"),
}


def dealer_todos(columns: dict[str, list[Application]]) -> list[dict]:
    """The salesperson's to-dos from their pipeline: one row per application to act on."""
    return [
        {"app": app, "todo": DEALER_TODOS[status]}
        for status in DEALER_TODOS
        for app in columns.get(status, [])
    ]


def application_salesperson_name(application_id: int | None) -> str:
    """The name of the dealer staff member who made the application ("" when none): servicing
    hands it to dealers' commission, which may not read origination."""
    if not application_id:
        return ""
    app = Application.objects.select_related("salesperson").filter(pk=application_id).first()
    if app is None or app.salesperson is None:
        return ""
    return str(app.salesperson)


def applicant_repayment_account(application_id: int | None) -> dict | None:
    """The primary applicant's repayment account (name, number): where money owed back to the
    customer is paid (a repossession sale's surplus), or None when the application has none."""
    if application_id is None:
        return None
    applicant = Applicant.objects.filter(
        application_id=application_id, role="primary", bank_account_enc__gt=""
    ).first()
    if applicant is None:
        return None
    return {
        "account_name": applicant.name,
        "bank_name": "",
        "account_number": decrypt(applicant.bank_account_enc),
    }
