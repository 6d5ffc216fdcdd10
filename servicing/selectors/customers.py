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

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autofin.crypto import keyed_hash, mask
from autofin.models import OutboundMessage
from autofin.money import ZERO, format_cny
from autofin.replica import read_alias
from autofin.roles import Role, user_has_role
from origination.models.applications import (
    Applicant,
    ApplicantRole,
    Application,
    ApplicationEvent,
    ApplicationStatus,
)
from origination.models.contracts import Contract
from origination.models.privacy import Consent
from origination.selectors.applications import EVENT_LABELS, applications_for_customer
from servicing import loan_rules
from servicing.models import InsurancePolicy, MarketingConsent
from servicing.models.collections import (
    RISK_ORDER,
    CollectionCase,
    ContactAttempt,
    LoanTask,
    PromiseToPay,
    RiskLevel,
)
from servicing.models.customers import Complaint, Offer
from servicing.models.loans import Loan, LoanStatus, LoanStatusChange
from servicing.models.marketing import CampaignContact
from servicing.models.repayments import Repayment

PAGE_SIZE = 50
SEARCH_LIMIT = 50

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
class TimelineItem:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


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


LOAN_PAGE_ROLES = (Role.SERVICING_AGENT, Role.SENIOR_UNDERWRITER, Role.COLLECTOR)
APPLICATION_PAGE_ROLES = (Role.UNDERWRITER, Role.SENIOR_UNDERWRITER)
COMPLAINT_PAGE_ROLES = (Role.SERVICING_AGENT, Role.CARE_SUPERVISOR, Role.COMPLIANCE_OFFICER)


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
    if not ctx["loan_ids"]:
        return items
    changes = LoanStatusChange.objects.filter(loan_id__in=ctx["loan_ids"]).order_by(
        "-created_at", "-id"
    )[: ctx["need"]]
    for change in changes:
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
    if not ctx["loan_ids"]:
        return []
    rows = Repayment.objects.filter(loan_id__in=ctx["loan_ids"]).order_by("-created_at", "-id")[
        : ctx["need"]
    ]
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
    if not ctx["loan_ids"]:
        return []
    rows = (
        ContactAttempt.objects.filter(case__loan_id__in=ctx["loan_ids"])
        .select_related("case", "collector")
        .order_by("-at", "-id")[: ctx["need"]]
    )
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
    rows = OutboundMessage.objects.filter(to__in=addresses).order_by("-created_at", "-id")[
        : ctx["need"]
    ]
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
    rows = Complaint.objects.filter(customer=ctx["customer"]).order_by("-received_at", "-id")[
        : ctx["need"]
    ]
    return [
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
            url=_link(
                ctx["viewer"], "servicing:complaint_detail", c.pk, roles=COMPLAINT_PAGE_ROLES
            ),
        )
        for c in rows
    ]


def _tasks(ctx) -> list[TimelineItem]:
    if not ctx["loan_ids"]:
        return []
    rows = LoanTask.objects.filter(loan_id__in=ctx["loan_ids"]).order_by("-created_at", "-id")[
        : ctx["need"]
    ]
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
    if not ctx["loan_ids"]:
        return []
    rows = CollectionCase.objects.filter(loan_id__in=ctx["loan_ids"]).order_by(
        Coalesce("closed_on", "opened_on").desc(), "-id"
    )[: ctx["need"]]
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
    if not ctx["loan_ids"]:
        return []
    rows = (
        PromiseToPay.objects.filter(case__loan_id__in=ctx["loan_ids"])
        .select_related("case")
        .order_by("-created_at", "-id")[: ctx["need"]]
    )
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
    rows = Offer.objects.filter(customer=ctx["customer"]).order_by("-created_at", "-id")[
        : ctx["need"]
    ]
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
    if not ctx["loan_ids"]:
        return []
    rows = InsurancePolicy.objects.filter(loan_id__in=ctx["loan_ids"]).order_by(
        "-created_at", "-id"
    )[: ctx["need"]]
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
