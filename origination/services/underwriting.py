"""The underwriting workbench's use cases: claim and release a referred application, approve
(with conditions), counter-offer (priced by the quote service; the customer accepts or
rejects), request more documents (and take the case back when they arrive), decline.

The rules are enforced here, not in the views:
- only underwriters act, and only on a case they have claimed;
- conflict of interest: nobody decides (or claims) an application they created or sold, or one
  from a dealer they are the account manager of;
- authority: an approval (or counter-offer) above the role's limit (``AuthorityLimit``, default
  ¥200,000 for underwriters, none for senior underwriters) is refused.

Every action writes audit rows (the transition's, and the claim's and release's own).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.audit import audit_record
from autofin.crypto import decrypt
from autofin.notifications import notification_send
from autofin.policy import policy_value
from autofin.roles import Role, user_has_role
from origination.models import (
    Application,
    ApplicationStatus,
    AuthorityLimit,
    Condition,
    ConditionKind,
    ConditionStatus,
    CounterOffer,
    CounterOfferStatus,
    DocumentKind,
    FinancedItemKind,
    UnderwritingCase,
)
from origination.quoting.deal import AddOn, Deal
from origination.services.state import application_transition, event_record

S = ApplicationStatus
log = logging.getLogger(__name__)
UNDERWRITING_ROLES = (Role.UNDERWRITER, Role.SENIOR_UNDERWRITER)


def _default_authority(role: str) -> Decimal | None:
    """No AuthorityLimit row for a role: the business policy's limit (senior: no limit)."""
    if role == Role.SENIOR_UNDERWRITER:
        return None
    return policy_value("origination.underwriter_authority_limit")


# Decline reason codes an underwriter picks from (stored on the application and in the audit).
DECLINE_REASONS = {
    "M01_INCOME_UNVERIFIED": gettext_lazy("收入无法核实"),
    "M02_DEBT_BURDEN": gettext_lazy("负债过高，还款能力不足"),
    "M03_CREDIT_HISTORY": gettext_lazy("征信记录不符合要求"),
    "M04_DOCUMENTS_INCONSISTENT": gettext_lazy("资料信息不一致"),
    "M05_FRAUD_SUSPECTED": gettext_lazy("存在欺诈风险"),
    "M06_VEHICLE": gettext_lazy("车辆信息或估值不符合要求"),
    "M07_DOCUMENTS_NOT_PROVIDED": gettext_lazy("未按要求补充资料"),
    "M99_OTHER": gettext_lazy("其他原因"),
}


class UnderwritingError(Exception):
    """An action the rules refuse: {"field": [message]} ("__all__" for the whole action)."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ClaimConflictError(UnderwritingError):
    """Somebody else holds the case."""


class AuthorityError(UnderwritingError):
    """The amount is above the underwriter's limit, or the underwriter has a conflict."""


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def authority_limit_for(user) -> Decimal | None:
    """The user's approval limit: the highest of their underwriting roles' limits (None: no
    limit). A user with no underwriting role has limit 0."""
    limits: list[Decimal | None] = []
    rows = {r.role: r.max_amount for r in AuthorityLimit.objects.all()}
    for role in UNDERWRITING_ROLES:
        if user_has_role(user, role) and not getattr(user, "is_superuser", False):
            limits.append(rows[role] if role in rows else _default_authority(role))
    if getattr(user, "is_superuser", False):
        return None
    if not limits:
        return Decimal("0.00")
    if any(limit is None for limit in limits):
        return None
    return max(limits)


def conflict_of_interest(*, user, application: Application) -> str:
    """Why ``user`` may not decide ``application`` ('' if they may)."""
    if application.created_by_id == user.pk or application.salesperson_id == user.pk:
        return _("您是该申请的创建人，不能审批。")
    if application.customer_id == user.pk:
        return _("您是该申请的申请人，不能审批。")
    if (
        application.dealer_id
        and Application.objects.filter(
            pk=application.pk, dealer__account_manager_id=user.pk
        ).exists()
    ):
        return _("您是该经销商的渠道客户经理，不能审批其申请。")
    return ""


def _require_underwriter(actor) -> None:
    if not user_has_role(actor, *UNDERWRITING_ROLES):
        raise AuthorityError(_("只有审批员可以操作审批案件。"))


def _check_conflict(actor, app: Application) -> None:
    why = conflict_of_interest(user=actor, application=app)
    if why:
        raise AuthorityError(why)


def _check_amount(actor, amount: Decimal | None) -> None:
    limit = authority_limit_for(actor)
    if limit is not None and (amount is None or amount > limit):
        raise AuthorityError(
            {
                "__all__": [
                    _("融资额 ¥%(amount)s 超出您的审批权限（¥%(limit)s），请转高级审批员。")
                    % {"amount": f"{amount or 0:,.2f}", "limit": f"{limit:,.2f}"}
                ]
            }
        )


def _lock_case(application_id: int) -> tuple[Application, UnderwritingCase]:
    """Lock the application row (the one lock every workbench action takes first), then get or
    make its case."""
    app = (
        Application.objects.select_for_update(of=("self",))
        .select_related("dealer")
        .get(pk=application_id)
    )
    case, _created = UnderwritingCase.objects.get_or_create(application=app)
    return app, case


def _lock_for_decision(application_id: int, actor) -> tuple[Application, UnderwritingCase]:
    _require_underwriter(actor)
    app, case = _lock_case(application_id)
    if app.status != S.REFERRED:
        raise UnderwritingError(
            _("申请当前状态为“%(status)s”，不在审批队列中。") % {"status": app.get_status_display()}
        )
    _check_conflict(actor, app)
    if case.assigned_to_id != actor.pk:
        raise UnderwritingError(_("请先领取该案件。"))
    return app, case


# --------------------------------------------------------------------------------------------
# Claim and release
# --------------------------------------------------------------------------------------------


def case_claim(*, application_id: int, actor: Any) -> UnderwritingCase:
    """Take a referred application. Atomic: of two underwriters claiming at once, the second
    waits on the row lock and then finds the case taken (ClaimConflictError)."""
    _require_underwriter(actor)
    with transaction.atomic():
        app, case = _lock_case(application_id)
        if app.status != S.REFERRED:
            raise UnderwritingError(_("该申请不在审批队列中。"))
        _check_conflict(actor, app)
        if case.assigned_to_id == actor.pk:
            return case
        if case.assigned_to_id is not None:
            raise ClaimConflictError(_("该案件已被 %(who)s 领取。") % {"who": case.assigned_to})
        case.assigned_to = actor
        case.claimed_at = timezone.now()
        case.save(update_fields=["assigned_to", "claimed_at", "updated_at"])
        audit_record(
            actor=actor,
            obj=case,
            action="underwriting_claim",
            from_state="unassigned",
            to_state=actor.get_username(),
            data={"application": app.reference},
        )
        return case


def case_release(*, application_id: int, actor: Any, reason: str = "") -> UnderwritingCase:
    """Give a case back to the queue: its holder, or a senior underwriter for anybody's."""
    _require_underwriter(actor)
    with transaction.atomic():
        app, case = _lock_case(application_id)
        if case.assigned_to_id is None:
            raise UnderwritingError(_("该案件未被领取。"))
        if case.assigned_to_id != actor.pk and not user_has_role(actor, Role.SENIOR_UNDERWRITER):
            raise UnderwritingError(_("只能释放自己领取的案件。"))
        holder = case.assigned_to.get_username()
        case.assigned_to = None
        case.claimed_at = None
        case.save(update_fields=["assigned_to", "claimed_at", "updated_at"])
        audit_record(
            actor=actor,
            obj=case,
            action="underwriting_release",
            from_state=holder,
            to_state="unassigned",
            reason=reason,
            data={"application": app.reference},
        )
        return case


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


def _notify(app: Application, body: str, *, purpose: str) -> None:
    """The customer by SMS and the dealer's salesperson by e-mail."""
    mobile = decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""
    key = f"underwriting:{app.reference}:{purpose}:{timezone.now().timestamp()}"
    if mobile:
        notification_send(channel="sms", to=mobile, body=body, purpose=purpose, dedupe_key=key)
    if app.salesperson_id and app.salesperson.email:
        notification_send(
            channel="email",
            to=app.salesperson.email,
            subject=_("申请 %(ref)s 审批进展") % {"ref": app.reference},
            body=body,
            purpose=purpose,
            dedupe_key=f"{key}:dealer",
        )


def _clean_conditions(conditions) -> tuple[list[dict], dict[str, list[str]]]:
    rows, errors = [], {}
    for i, c in enumerate(conditions or []):
        kind = c.get("condition_kind")
        if kind not in ConditionKind.values:
            errors.setdefault(f"conditions-{i}", []).append(_("请选择条件类型。"))
            continue
        amount = c.get("amount")
        amount = Decimal(str(amount)) if amount not in (None, "") else None
        if kind == ConditionKind.DOWN_PAYMENT and (amount is None or amount <= 0):
            errors.setdefault(f"conditions-{i}", []).append(_("提高首付的条件须填写首付金额。"))
            continue
        rows.append({"condition_kind": kind, "amount": amount, "note": c.get("note") or ""})
    return rows, errors


def underwriting_approve(
    *, application_id: int, actor: Any, conditions: list[dict] | tuple = (), note: str = ""
) -> Application:
    """Approve a claimed referred application, with conditions (stipulations); then issue the
    contract in the same transaction (a deal that no longer prices refuses the approval)."""
    rows, errors = _clean_conditions(conditions)
    if errors:
        raise UnderwritingError(errors)
    with transaction.atomic():
        app, case = _lock_for_decision(application_id, actor)
        _check_amount(actor, app.amount_financed)
        for row in rows:
            Condition.objects.create(application=app, created_by=actor, **row)
        labels = [_condition_text(r) for r in rows]
        app = application_transition(
            application=app,
            to_status=S.APPROVED,
            actor=actor,
            reason=note or "underwriter approved",
            data={"conditions": [_jsonable(r) for r in rows], "by": "underwriting"},
            extra_fields={"conditions": [*(app.conditions or []), *labels]},
        )
        _notify(
            app,
            _("【AutoFin】您的汽车金融申请 %(ref)s 已获批准，请留意签约通知。")
            % {"ref": app.reference},
            purpose="underwriting_approve",
        )
        _issue_contract(app.pk, actor)
    app.refresh_from_db()
    return app


def _issue_contract(application_id: int, actor) -> None:
    from origination.services.contracts import contract_issue

    contract_issue(application_id=application_id, actor=actor)


def _condition_text(row: dict) -> str:
    label = str(ConditionKind(row["condition_kind"]).label)
    if row.get("amount") is not None:
        label = f"{label} ¥{row['amount']:,.2f}"
    if row.get("note"):
        label = f"{label}（{row['note']}）"
    return label


def _jsonable(row: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


def condition_resolve(*, condition_id: int, actor: Any, status: str, evidence: str) -> Condition:
    """Mark a condition satisfied or waived (waiving needs a senior underwriter)."""
    if status not in (ConditionStatus.SATISFIED, ConditionStatus.WAIVED):
        raise UnderwritingError({"status": [_("请选择“已满足”或“已豁免”。")]})
    if not (evidence or "").strip():
        raise UnderwritingError({"evidence": [_("请填写依据。")]})
    _require_underwriter(actor)
    if status == ConditionStatus.WAIVED and not user_has_role(actor, Role.SENIOR_UNDERWRITER):
        raise AuthorityError(_("只有高级审批员可以豁免条件。"))
    with transaction.atomic():
        condition = Condition.objects.select_for_update().get(pk=condition_id)
        if condition.status != ConditionStatus.OPEN:
            raise UnderwritingError(_("该条件已处理。"))
        condition.status = status
        condition.evidence = evidence.strip()[:300]
        condition.resolved_by = actor
        condition.resolved_at = timezone.now()
        condition.save()
        audit_record(
            actor=actor,
            obj=condition,
            action="condition_resolve",
            from_state=ConditionStatus.OPEN,
            to_state=status,
            reason=condition.evidence,
        )
        return condition


def _offer_deal(
    app: Application, *, down_payment: Decimal, term_months: int, tier: str = ""
) -> Deal:
    """The application's deal on changed terms (down payment, term): the same car, add-ons
    and method, at `tier` (else the tier risk decided)."""
    from origination.services.contracts import application_tier

    return Deal(
        vehicle_kind=app.vehicle_kind,
        vehicle_use=app.vehicle_use,
        vehicle_price=app.vehicle_price,
        term_months=term_months,
        method=app.method,
        tier=tier if tier in ("A", "B", "C", "D") else application_tier(app),
        down_payment=down_payment,
        balloon_ratio=app.balloon_ratio if app.method == "balloon" else None,
        add_ons=tuple(
            AddOn(item_kind=i.item_kind, amount=i.amount)
            for i in app.items.exclude(item_kind=FinancedItemKind.CAR).order_by("id")
        ),
        first_registration_date=app.first_registration_date,
    )


def underwriting_counter_offer(
    *,
    application_id: int,
    actor: Any,
    down_payment: Decimal,
    term_months: int,
    note: str = "",
) -> CounterOffer:
    """Offer changed terms: priced and saved as a Quote on the application's product version
    at risk's tier; the application waits in counter_offered for the customer's answer."""
    from origination.services.quotes import QuoteRejectedError, quote_create, violations_messages

    with transaction.atomic():
        app, case = _lock_for_decision(application_id, actor)
        deal = _offer_deal(app, down_payment=Decimal(down_payment), term_months=int(term_months))
        try:
            quote = quote_create(actor=actor, version=app.product_version, deal=deal)
        except QuoteRejectedError as exc:
            raise UnderwritingError(violations_messages(exc.violations)) from None
        _check_amount(actor, quote.amount_financed)
        if quote.down_payment == app.down_payment and quote.term_months == app.term_months:
            raise UnderwritingError(_("调整方案与原申请相同，请直接批准。"))
        offer = CounterOffer.objects.create(
            application=app,
            quote=quote,
            down_payment=quote.down_payment,
            term_months=quote.term_months,
            amount_financed=quote.amount_financed,
            note=note[:300],
            created_by=actor,
        )
        app = application_transition(
            application=app,
            to_status=S.COUNTER_OFFERED,
            actor=actor,
            reason=note or "counter offer",
            data={
                "counter_offer": offer.pk,
                "down_payment": str(offer.down_payment),
                "term_months": offer.term_months,
                "amount_financed": str(offer.amount_financed),
                "monthly_payment": str(quote.monthly_payment),
                "apr": str(quote.apr),
            },
        )
        _notify(
            app,
            _(
                "【AutoFin】您的申请 %(ref)s 有调整后的方案：首付 ¥%(dp)s，期限 %(term)s 期，"
                "月供 ¥%(pay)s。请登录 AutoFin 确认是否接受。"
            )
            % {
                "ref": app.reference,
                "dp": f"{offer.down_payment:,.2f}",
                "term": offer.term_months,
                "pay": f"{quote.monthly_payment:,.2f}",
            },
            purpose="underwriting_counter_offer",
        )
        return offer


def automated_counter_offer_record(
    *, application_id: int, offer: dict, tier: str = "", note: str = ""
) -> CounterOffer | None:
    """The counter-offer of an automated decision (risk's offered down payment and term), priced
    as a Quote on the application's product version at risk's tier, so the customer answers it
    on the same page as an underwriter's. Idempotent: an open offer is returned as it is. None
    when the terms no longer price (the application stays counter_offered for a person)."""
    from origination.services.quotes import QuoteRejectedError, quote_create

    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        existing = CounterOffer.objects.filter(
            application=app, status=CounterOfferStatus.OPEN
        ).first()
        if existing is not None or app.status != S.COUNTER_OFFERED:
            return existing
        deal = _offer_deal(
            app,
            down_payment=Decimal(str(offer["down_payment"])),
            term_months=int(offer["term_months"]),
            tier=tier,
        )
        try:
            quote = quote_create(actor=None, version=app.product_version, deal=deal)
        except QuoteRejectedError:
            log.warning("automated counter-offer for %s no longer prices", app.reference)
            return None
        return CounterOffer.objects.create(
            application=app,
            quote=quote,
            down_payment=quote.down_payment,
            term_months=quote.term_months,
            amount_financed=quote.amount_financed,
            note=note[:300],
            created_by=None,
        )


def counter_offer_respond(*, counter_offer_id: int, actor: Any, accept: bool) -> Application:
    """The customer accepts (the application takes the offered terms, is approved and the
    contract issued) or rejects (the application is withdrawn)."""
    from origination.services.contracts import app_apply_terms, customer_owns_application

    with transaction.atomic():
        offer = CounterOffer.objects.select_related("quote").get(pk=counter_offer_id)
        app = Application.objects.select_for_update().get(pk=offer.application_id)
        offer = CounterOffer.objects.select_for_update().select_related("quote").get(pk=offer.pk)
        if not customer_owns_application(actor, app.pk):
            raise UnderwritingError(_("只有申请人本人可以答复调整方案。"))
        if offer.status != CounterOfferStatus.OPEN or app.status != S.COUNTER_OFFERED:
            raise UnderwritingError(_("该调整方案已答复或已失效。"))
        offer.status = CounterOfferStatus.ACCEPTED if accept else CounterOfferStatus.REJECTED
        offer.responded_at = timezone.now()
        offer.save(update_fields=["status", "responded_at"])
        if not accept:
            return application_transition(
                application=app,
                to_status=S.WITHDRAWN,
                actor=actor,
                reason="counter_offer_rejected",
                data={"counter_offer": offer.pk},
            )
        quote = offer.quote
        app.down_payment = offer.down_payment
        app.term_months = offer.term_months
        app.amount_financed = quote.amount_financed
        app.ltv = quote.ltv
        app.monthly_payment = quote.monthly_payment
        app.apr = quote.apr
        app.customer_rate = quote.customer_rate
        app.save(
            update_fields=[
                "down_payment",
                "term_months",
                "amount_financed",
                "ltv",
                "monthly_payment",
                "apr",
                "customer_rate",
                "updated_at",
            ]
        )
        app_apply_terms(app)
        app = application_transition(
            application=app,
            to_status=S.APPROVED,
            actor=actor,
            reason="counter_offer_accepted",
            data={"counter_offer": offer.pk, "amount_financed": str(offer.amount_financed)},
        )
        _issue_contract(app.pk, actor)
    app.refresh_from_db()
    return app


def underwriting_request_documents(
    *, application_id: int, actor: Any, doc_kinds: list[str], note: str
) -> Application:
    """Ask the customer (SMS) and the dealer (e-mail) for more documents; the application waits
    in documents_requested and comes back to the queue when they are uploaded
    (``underwriting_documents_received``)."""
    errors = {}
    kinds = [k for k in doc_kinds or [] if k in DocumentKind.values]
    if not kinds:
        errors["doc_kinds"] = [_("请选择需要补充的资料。")]
    if not (note or "").strip():
        errors["note"] = [_("请说明需要补充的内容。")]
    if errors:
        raise UnderwritingError(errors)
    with transaction.atomic():
        app, case = _lock_for_decision(application_id, actor)
        case.requested_doc_kinds = kinds
        case.request_note = note.strip()
        case.documents_requested_at = timezone.now()
        case.documents_received_at = None
        case.save()
        app = application_transition(
            application=app,
            to_status=S.DOCUMENTS_REQUESTED,
            actor=actor,
            reason=note.strip(),
            data={"doc_kinds": kinds},
        )
        labels = "、".join(str(DocumentKind(k).label) for k in kinds)
        _notify(
            app,
            _("【AutoFin】您的申请 %(ref)s 需要补充资料：%(docs)s。%(note)s 请登录 AutoFin 上传。")
            % {"ref": app.reference, "docs": labels, "note": note.strip()},
            purpose="underwriting_documents_requested",
        )
        return app


def underwriting_documents_received(*, application_id: int, actor: Any = "system") -> bool:
    """The hook intake's upload path calls after a document is stored: when every requested
    kind has been uploaded since the request, the application returns to the queue
    (documents_requested -> referred). Returns whether it did; safe to call any time."""
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if app.status != S.DOCUMENTS_REQUESTED:
            return False
        case = UnderwritingCase.objects.filter(application=app).first()
        if case is None or case.documents_requested_at is None:
            return False
        uploaded = set(
            app.documents.filter(uploaded_at__gte=case.documents_requested_at).values_list(
                "doc_kind", flat=True
            )
        )
        if not set(case.requested_doc_kinds or []) <= uploaded:
            return False
        case.documents_received_at = timezone.now()
        case.save(update_fields=["documents_received_at", "updated_at"])
        application_transition(
            application=app,
            to_status=S.REFERRED,
            actor=actor,
            reason="documents received",
            data={"doc_kinds": sorted(uploaded)},
        )
        event_record(application=app, kind="underwriting", actor=actor, reason="back in queue")
        return True


def underwriting_decline(
    *, application_id: int, actor: Any, reason_codes: list[str], note: str = ""
) -> Application:
    codes = [c for c in reason_codes or [] if c in DECLINE_REASONS]
    if not codes or len(codes) != len(reason_codes or []):
        raise UnderwritingError({"reason_codes": [_("请选择拒绝原因。")]})
    with transaction.atomic():
        app, case = _lock_for_decision(application_id, actor)
        reasons = [f"{c}: {DECLINE_REASONS[c]}" for c in codes]
        app = application_transition(
            application=app,
            to_status=S.DECLINED,
            actor=actor,
            reason=note or "; ".join(reasons),
            data={"reason_codes": codes, "by": "underwriting"},
            extra_fields={"decision_reasons": [*(app.decision_reasons or []), *reasons]},
        )
        _notify(
            app,
            _("【AutoFin】很遗憾，您的汽车金融申请 %(ref)s 本次未获批准。")
            % {"ref": app.reference},
            purpose="underwriting_decline",
        )
        return app
