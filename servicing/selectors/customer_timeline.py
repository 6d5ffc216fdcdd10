"""The customer page's timeline (issue 21 §1): one reader per kind of item, each ONE query,
newest first, cut at what the requested page needs (`ctx["need"]`); servicing.selectors.customers
merges them. Every item is written with labels (get_X_display), never codes, and links to its own
page only for a viewer whose role may open it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autofin.models import OutboundMessage
from autofin.money import format_cny
from autofin.roles import Role, user_has_role
from origination.models.applications import ApplicationEvent, ApplicationStatus
from origination.models.contracts import Contract
from origination.models.privacy import Consent
from origination.selectors.applications import EVENT_LABELS
from servicing.models import InsurancePolicy
from servicing.models.collections import CollectionCase, ContactAttempt, LoanTask, PromiseToPay
from servicing.models.customers import Complaint, Offer
from servicing.models.loans import LoanStatus, LoanStatusChange
from servicing.models.marketing import CampaignContact
from servicing.models.repayments import Repayment
from servicing.selectors.complaints import customer_complaint_trail

# the timeline's kinds, in the order the filter offers them
KINDS: dict[str, object] = {
    "application": _("申请"),
    "contract": _("合同"),
    "loan": _("贷款与租赁"),
    "payment": _("还款"),
    "contact": _("催收联系"),
    "message": _("消息"),
    "consent": _("授权"),
    "complaint": _("投诉"),
    "task": _("贷后任务"),
    "collection": _("催收案件"),
    "promise": _("承诺还款"),
    "offer": _("邀约"),
    "campaign": _("营销触达"),
    "insurance": _("保险"),
}

# one-time codes texted to the customer are theirs alone: the timeline shows that one was sent
CODE_PURPOSE_PREFIX = "sms_code_"


@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


def _at(day: dt.date) -> dt.datetime:
    """A business date on the timeline: the start of that day in Beijing."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _link(viewer, name: str, *args, roles: tuple = ()) -> str:
    """The item's own page, for a viewer whose role may open it (else no link)."""
    if roles and not user_has_role(viewer, *roles):
        return ""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page another stream adds (its URL may not exist in this build)
        return ""


def _newest(qs, ctx, order="-created_at") -> list:
    """The source's rows newest first, as many as the page needs."""
    return list(qs.order_by(order, "-id")[: ctx["need"]])


def _of_loans(qs, ctx, order="-created_at", via="loan_id__in") -> list:
    """The newest rows of the customer's loans (none without a loan: no query)."""
    if not ctx["loan_ids"]:
        return []
    return _newest(qs.filter(**{via: ctx["loan_ids"]}), ctx, order)


LOAN_PAGE_ROLES = (Role.SERVICING_AGENT, Role.SENIOR_UNDERWRITER, Role.COLLECTOR)
APPLICATION_PAGE_ROLES = (Role.UNDERWRITER, Role.SENIOR_UNDERWRITER)
COMPLAINT_PAGE_ROLES = (Role.SERVICING_AGENT, Role.CARE_SUPERVISOR, Role.COMPLIANCE_OFFICER)


# --- the timeline's sources: one query each (the header's rows are reused) -----------------------

APP_LABELS = dict(ApplicationStatus.choices)


def _applications(ctx) -> list[TimelineItem]:
    viewer = ctx["viewer"]
    items = []
    by_id = {}
    for app in ctx["applications"][: ctx["need"]]:
        by_id[app.pk] = app
        vehicle = f"{app.vehicle_brand} {app.vehicle_model}".strip()
        items.append(
            TimelineItem(
                at=app.created_at,
                kind="application",
                title=_("申请 %(ref)s（%(status)s）")
                % {"ref": app.reference, "status": app.get_status_display()},
                detail=_("%(channel)s · %(vehicle)s · 车价 %(price)s")
                % {
                    "channel": app.get_channel_display(),
                    "vehicle": vehicle,
                    "price": format_cny(app.vehicle_price),
                },
                url=_link(
                    viewer,
                    "origination:workbench_case",
                    app.reference,
                    roles=APPLICATION_PAGE_ROLES,
                ),
            )
        )
    if not ctx["app_ids"]:
        return items
    refs = {app.pk: app.reference for app in ctx["applications"]}
    events = (
        ApplicationEvent.objects.filter(application_id__in=ctx["app_ids"])
        .select_related("actor")
        .order_by("-created_at", "-id")[: ctx["need"]]
    )
    for event in events:
        if event.kind == "status":
            what = APP_LABELS.get(event.to_status, "")
        else:
            what = EVENT_LABELS.get(event.kind, _("办理进度更新"))
        if not what:
            continue
        items.append(
            TimelineItem(
                at=event.created_at,
                kind="application",
                title=_("申请 %(ref)s：%(what)s")
                % {"ref": refs.get(event.application_id, ""), "what": what},
                detail=str(event.actor) if event.actor_id else "",
            )
        )
    return items


def _contracts(ctx) -> list[TimelineItem]:
    if not ctx["app_ids"]:
        return []
    rows = Contract.objects.filter(application_id__in=ctx["app_ids"]).order_by(
        Coalesce("superseded_at", "signed_at", "issued_at", "created_at").desc(), "-id"
    )[: ctx["need"]]
    items = []
    for contract in rows:
        money = format_cny(contract.amount_financed)
        moments = [
            (contract.issued_at or contract.created_at, _("合同 %(ref)s 已出具")),
            (contract.signed_at, _("合同 %(ref)s 已签署")),
            (contract.superseded_at, _("合同 %(ref)s 已作废（被新版本替代）")),
        ]
        for at, title in moments:
            if at is not None:
                items.append(
                    TimelineItem(
                        at=at,
                        kind="contract",
                        title=title % {"ref": contract.contract_ref},
                        detail=_("融资额 %(amount)s · %(term)s 期")
                        % {"amount": money, "term": contract.term_months},
                    )
                )
    return items


def _loans(ctx) -> list[TimelineItem]:
    viewer = ctx["viewer"]
    items = []
    for loan in ctx["loans"][: ctx["need"]]:
        items.append(
            TimelineItem(
                at=loan.created_at,
                kind="loan",
                title=_("%(type)s %(ref)s 放款")
                % {"type": loan.get_contract_type_display(), "ref": loan.contract_ref},
                detail=_("融资额 %(amount)s · %(vehicle)s")
                % {"amount": format_cny(loan.amount_financed), "vehicle": loan.vehicle},
                url=_link(viewer, "servicing:loan_detail", loan.pk, roles=LOAN_PAGE_ROLES),
            )
        )
    for change in _of_loans(LoanStatusChange.objects, ctx):
        if change.to_status not in LoanStatus.values:
            continue
        items.append(
            TimelineItem(
                at=change.created_at,
                kind="loan",
                title=_("%(ref)s 状态：%(from)s → %(to)s")
                % {
                    "ref": ctx["refs"][change.loan_id],
                    "from": change.from_status_label or "—",
                    "to": LoanStatus(change.to_status).label,
                },
                url=_link(viewer, "servicing:loan_detail", change.loan_id, roles=LOAN_PAGE_ROLES),
            )
        )
    return items


def _payments(ctx) -> list[TimelineItem]:
    rows = _of_loans(Repayment.objects, ctx)
    return [
        TimelineItem(
            at=r.created_at,
            kind="payment",
            title=_("%(purpose)s %(amount)s（%(status)s）")
            % {
                "purpose": r.get_purpose_display(),
                "amount": format_cny(r.amount),
                "status": r.get_status_display(),
            },
            detail=_("%(ref)s · %(source)s")
            % {"ref": ctx["refs"][r.loan_id], "source": r.get_source_display()},
        )
        for r in rows
    ]


def _contacts(ctx) -> list[TimelineItem]:
    attempts = ContactAttempt.objects.select_related("case", "collector")
    rows = _of_loans(attempts, ctx, "-at", via="case__loan_id__in")
    return [
        TimelineItem(
            at=c.at,
            kind="contact",
            title=_("%(channel)s联系%(party)s：%(outcome)s")
            % {
                "channel": c.get_channel_display(),
                "party": c.get_party_display(),
                "outcome": c.get_outcome_display(),
            },
            detail=_("%(ref)s · %(who)s · %(note)s")
            % {"ref": ctx["refs"][c.case.loan_id], "who": c.collector, "note": c.note},
        )
        for c in rows
    ]


def _messages(ctx) -> list[TimelineItem]:
    customer = ctx["customer"]
    addresses = [a for a in (customer.phone, customer.email) if a]
    if not addresses:
        return []
    rows = _newest(OutboundMessage.objects.filter(to__in=addresses), ctx)
    items = []
    for m in rows:
        if m.purpose.startswith(CODE_PURPOSE_PREFIX):
            text = str(_("验证码短信（内容不显示）"))
        else:
            text = m.subject or m.body[:80]
        items.append(
            TimelineItem(
                at=m.created_at,
                kind="message",
                title=_("%(channel)s（%(status)s）")
                % {"channel": m.get_channel_display(), "status": m.get_status_display()},
                detail=text,
            )
        )
    return items


def _consents(ctx) -> list[TimelineItem]:
    items = []
    for m in ctx["marketing"][: ctx["need"]]:
        items.append(TimelineItem(at=m.given_at, kind="consent", title=_("营销授权：已同意")))
        if m.withdrawn_at:
            items.append(
                TimelineItem(at=m.withdrawn_at, kind="consent", title=_("营销授权：已撤回"))
            )
    if not ctx["app_ids"]:
        return items
    refs = {app.pk: app.reference for app in ctx["applications"]}
    rows = Consent.objects.filter(application_id__in=ctx["app_ids"]).order_by(
        Coalesce("withdrawn_at", "given_at").desc(), "-id"
    )[: ctx["need"]]
    for c in rows:
        detail = _("申请 %(ref)s") % {"ref": refs.get(c.application_id, "")}
        label = c.get_consent_kind_display()
        items.append(
            TimelineItem(
                at=c.given_at,
                kind="consent",
                title=_("授权：%(kind)s") % {"kind": label},
                detail=detail,
            )
        )
        if c.withdrawn_at:
            items.append(
                TimelineItem(
                    at=c.withdrawn_at,
                    kind="consent",
                    title=_("撤回授权：%(kind)s") % {"kind": label},
                    detail=detail,
                )
            )
    return items


def _complaints(ctx) -> list[TimelineItem]:
    rows = _newest(Complaint.objects.filter(customer=ctx["customer"]), ctx, "-received_at")
    events = _newest(customer_complaint_trail(customer=ctx["customer"]), ctx, "-at")

    def url(pk: int) -> str:
        return _link(ctx["viewer"], "servicing:complaint_detail", pk, roles=COMPLAINT_PAGE_ROLES)

    items = [
        TimelineItem(e.at, "complaint", _("投诉 %(ref)s · %(event)s") % {"ref": e.complaint.reference,
                     "event": e.get_kind_display()}, e.note, url(e.complaint_id))
        for e in events
    ]  # fmt: skip
    return items + [
        TimelineItem(
            at=c.received_at,
            kind="complaint",
            title=_("投诉 %(ref)s · %(category)s（%(status)s）")
            % {
                "ref": c.reference,
                "category": c.get_category_display(),
                "status": c.get_status_display(),
            },
            detail=_("%(channel)s · %(summary)s")
            % {"channel": c.get_channel_display(), "summary": c.summary},
            url=url(c.pk),
        )
        for c in rows
    ]


def _tasks(ctx) -> list[TimelineItem]:
    rows = _of_loans(LoanTask.objects, ctx)
    return [
        TimelineItem(
            at=t.created_at,
            kind="task",
            title=_("%(kind)s（%(status)s）")
            % {"kind": t.get_kind_display(), "status": t.get_status_display()},
            detail=_("%(ref)s · 相关日期 %(date)s")
            % {"ref": ctx["refs"][t.loan_id], "date": t.ref_date.isoformat()},
        )
        for t in rows
    ]


def _collections(ctx) -> list[TimelineItem]:
    rows = _of_loans(CollectionCase.objects, ctx, Coalesce("closed_on", "opened_on").desc())
    items = []
    for case in rows:
        url = _link(ctx["viewer"], "servicing:collections_case", case.pk, roles=(Role.COLLECTOR,))
        detail = _("%(ref)s · %(queue)s · 逾期 %(dpd)s 天 · %(amount)s") % {
            "ref": ctx["refs"][case.loan_id],
            "queue": case.get_queue_display(),
            "dpd": case.dpd,
            "amount": format_cny(case.amount_overdue),
        }
        items.append(
            TimelineItem(
                at=_at(case.opened_on),
                kind="collection",
                title=_("催收立案（%(status)s）") % {"status": case.get_status_display()},
                detail=detail,
                url=url,
            )
        )
        if case.closed_on:
            items.append(
                TimelineItem(
                    at=_at(case.closed_on), kind="collection", title=_("催收结案"), detail=detail
                )
            )
    return items


def _promises(ctx) -> list[TimelineItem]:
    promises = PromiseToPay.objects.select_related("case")
    rows = _of_loans(promises, ctx, via="case__loan_id__in")
    return [
        TimelineItem(
            at=p.created_at,
            kind="promise",
            title=_("承诺于 %(date)s 还款 %(amount)s（%(status)s）")
            % {
                "date": p.promised_date.isoformat(),
                "amount": format_cny(p.amount),
                "status": p.get_status_display(),
            },
            detail=ctx["refs"][p.case.loan_id],
        )
        for p in rows
    ]


def _offers(ctx) -> list[TimelineItem]:
    rows = _newest(Offer.objects.filter(customer=ctx["customer"]), ctx)
    return [
        TimelineItem(
            at=o.created_at,
            kind="offer",
            title=_("%(kind)s：额度 %(limit)s（%(status)s）")
            % {
                "kind": o.get_kind_display(),
                "limit": format_cny(o.limit_amount),
                "status": o.get_status_display(),
            },
            detail=_("有效期至 %(date)s") % {"date": o.expires_on.isoformat()},
        )
        for o in rows
    ]


# the furthest a contact went, from the end of the funnel back
FUNNEL_STAGES = (
    ("funded_at", _("已放款")),
    ("approved_at", _("已批准")),
    ("applied_at", _("已申请")),
    ("opened_at", _("已打开")),
)


def _campaigns(ctx) -> list[TimelineItem]:
    rows = (
        CampaignContact.objects.filter(customer=ctx["customer"])
        .select_related("campaign")
        .order_by(Coalesce("sent_at", "created_at").desc(), "-id")[: ctx["need"]]
    )
    items = []
    for c in rows:
        stage = next((label for name, label in FUNNEL_STAGES if getattr(c, name)), "")
        items.append(
            TimelineItem(
                at=c.sent_at or c.created_at,
                kind="campaign",
                title=_("营销活动「%(name)s」：%(result)s")
                % {"name": c.campaign.name, "result": c.get_result_display()},
                detail=_("%(channel)s · %(stage)s")
                % {"channel": c.campaign.get_channel_display(), "stage": stage or "—"},
            )
        )
    return items


def _insurance(ctx) -> list[TimelineItem]:
    rows = _of_loans(InsurancePolicy.objects, ctx)
    return [
        TimelineItem(
            at=p.created_at,
            kind="insurance",
            title=_("保单 %(insurer)s %(number)s（%(status)s）")
            % {
                "insurer": p.insurer_name,
                "number": p.policy_number,
                "status": p.get_status_display(),
            },
            detail=_("%(ref)s · %(start)s 至 %(end)s · 保费 %(premium)s")
            % {
                "ref": ctx["refs"][p.loan_id],
                "start": p.starts_on.isoformat(),
                "end": p.ends_on.isoformat(),
                "premium": format_cny(p.premium),
            },
        )
        for p in rows
    ]


SOURCES = {
    "application": _applications,
    "contract": _contracts,
    "loan": _loans,
    "payment": _payments,
    "contact": _contacts,
    "message": _messages,
    "consent": _consents,
    "complaint": _complaints,
    "task": _tasks,
    "collection": _collections,
    "promise": _promises,
    "offer": _offers,
    "campaign": _campaigns,
    "insurance": _insurance,
}
