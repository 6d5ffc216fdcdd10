"""The repossession pages (收车与处置): the list of cases, a collector's request from a case of
the M4+ queue, and the case page where each person acts as their role allows — the authority
approves and assigns, collectors record contacts, notices and the intake, finance prepares and
releases the costs and records the sale or redemption, legal cases are opened and decided.
Thin: the services decide; every POST is checked with the money action the service checks, is
idempotent (the form's token), and asks for the password again when the last proof is old."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from origination.selectors.payees import payees_usable
from servicing.models.collections import CollectionCase, CollectionQueue
from servicing.models.repossession import (
    ContactKind,
    CostKind,
    LegalKind,
    LegalOutcome,
    RepossessionCase,
    RepossessionRoute,
    SaleMethod,
)
from servicing.services.loans.account import LoanError
from servicing.services.repossession import cases, legal, payments, sale

A = MoneyAction
STAFF = (Role.COLLECTOR, Role.OPERATIONS, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER)


def staff_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *STAFF):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def visible_cases(user):
    """A collector sees the cases they asked for and those of their collection cases; the
    authority and finance see every case."""
    qs = RepossessionCase.objects.select_related("loan", "loan__customer")
    if user_has_role(user, Role.OPERATIONS, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER):
        return qs
    mine = CollectionCase.objects.filter(assigned_to=user).values("pk")
    return qs.filter(Q(requested_by=user) | Q(agent=user) | Q(collection_case_id__in=mine))


@staff_view
def repossession_list(request):
    return render(
        request,
        "servicing/repossession/list.html",
        {"cases": visible_cases(request.user)[:200]},
    )


@staff_view
def repossession_new(request, collection_case_id: int):
    """A collector asks to repossess the car of a case in the M4+ field and legal queue."""
    collection = get_object_or_404(
        CollectionCase.objects.select_related("loan", "loan__customer"),
        pk=collection_case_id,
        queue=CollectionQueue.FIELD_LEGAL,
    )
    if collection.assigned_to_id not in (None, request.user.pk) or not can_move_money(
        request.user, A.REPOSSESSION_REQUEST
    ):
        raise PermissionDenied
    if request.method == "POST":
        return _request_post(request, collection)
    return render(
        request,
        "servicing/repossession/new.html",
        {"collection": collection, "routes": RepossessionRoute.choices, "token": uuid.uuid4().hex},
    )


@recent_auth_required
def _request_post(request, collection):
    def run(key: str):  # noqa: ARG001 - one open case per loan, in the database
        try:
            case = cases.repossession_request(
                loan_id=collection.loan_id,
                route=request.POST.get("route", ""),
                reason=request.POST.get("reason", ""),
                actor=request.user,
            )
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(
                redirect("servicing:repossession_new", collection_case_id=collection.pk)
            ) from exc
        messages.success(request, _("收车申请已提交审批。"))
        return redirect("servicing:repossession_detail", case_id=case.pk)

    return idempotent(request, run=run, form=True)


@staff_view
def repossession_detail(request, case_id: int):
    case = get_object_or_404(visible_cases(request.user), pk=case_id)
    user = request.user
    return render(
        request,
        "servicing/repossession/detail.html",
        {
            "case": case,
            "loan": case.loan,
            "contacts": case.contacts.select_related("recorded_by")[:100],
            "photos": case.photos.all(),
            "payments": case.payments.all(),
            "legal_cases": case.legal_cases.all(),
            "redemption": sale.redemption_figure(case_id=case.pk),
            "vendors": payees_usable("repo_vendor").filter(vetted_on__isnull=False),
            "contact_kinds": ContactKind.choices,
            "cost_kinds": CostKind.choices,
            "legal_kinds": LegalKind.choices,
            "outcomes": [c for c in LegalOutcome.choices if c[0] != LegalOutcome.PENDING],
            "methods": SaleMethod.choices,
            "token": uuid.uuid4().hex,
            "can": {
                "approve": can_move_money(user, A.REPOSSESSION_APPROVE),
                "work": can_move_money(user, A.REPOSSESSION_WORK),
                "prepare": can_move_money(user, A.REPOSSESSION_PAYMENT_PREPARE),
                "release": can_move_money(user, A.REPOSSESSION_PAYMENT_RELEASE),
                "sale": can_move_money(user, A.REPOSSESSION_SALE_RECORD),
            },
        },
    )


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise cases.RepossessionError(_("请填写日期。"), field=field) from None


def _int(value: str) -> int | None:
    return int(value) if (value or "").isdigit() else None


# action → (the money action checked, the call, the message on success)
def _actions(request, case_id: int) -> dict:
    p, u = request.POST, request.user
    return {
        "approve": (A.REPOSSESSION_APPROVE, lambda: cases.repossession_approve(
            case_id=case_id, actor=u), _("收车已批准。")),
        "reject": (A.REPOSSESSION_APPROVE, lambda: cases.repossession_reject(
            case_id=case_id, actor=u, reason=p.get("reason", "")), _("已驳回。")),
        "assign": (A.REPOSSESSION_APPROVE, lambda: cases.repossession_assign(
            case_id=case_id, actor=u, vendor_payee_id=_int(p.get("vendor", ""))),
            _("已委派收车服务商。")),
        "contact": (A.REPOSSESSION_WORK, lambda: cases.repossession_contact_record(
            case_id=case_id, kind=p.get("kind", ""), note=p.get("note", ""), actor=u,
            latitude=p.get("latitude"), longitude=p.get("longitude")), _("已记录。")),
        "intake": (A.REPOSSESSION_WORK, lambda: cases.repossession_intake(
            case_id=case_id, actor=u, condition_report=p.get("condition_report", ""),
            storage_location=p.get("storage_location", ""),
            odometer_km=_int(p.get("odometer_km", "")),
            handover_record=request.FILES.get("handover_record"),
            photos=request.FILES.getlist("photos")), _("车辆已入库。")),
        "value": (A.REPOSSESSION_WORK, lambda: cases.repossession_value(
            case_id=case_id, amount=p.get("valuation", ""), actor=u), _("评估价已登记。")),
        "legal": (A.REPOSSESSION_WORK, lambda: legal.legal_case_open(
            loan_id=RepossessionCase.objects.get(pk=case_id).loan_id, kind=p.get("kind", ""),
            court=p.get("court", ""), filed_on=_date(p.get("filed_on"), "filed_on"), actor=u,
            case_number=p.get("case_number", ""), repossession_id=case_id),
            _("法务案件已立案。")),
        "decide": (A.REPOSSESSION_WORK, lambda: legal.legal_case_decide(
            legal_case_id=_legal_of(case_id, p.get("legal_case")), outcome=p.get("outcome", ""),
            decided_on=_date(p.get("decided_on"), "decided_on"), actor=u,
            awarded=p.get("awarded")), _("案件结果已登记。")),
        "cost": (A.REPOSSESSION_PAYMENT_PREPARE, lambda: payments.repossession_cost_prepare(
            case_id=case_id, kind=p.get("kind", ""), amount=p.get("amount", ""),
            vendor_payee_id=_int(p.get("vendor", "")), invoice_ref=p.get("invoice_ref", ""),
            actor=u), _("费用已提交复核。")),
        "release": (A.REPOSSESSION_PAYMENT_RELEASE, lambda: payments.repossession_payment_release(
            payment_id=_payment_of(case_id, p.get("payment")), actor=u),
            _("已复核，费用已入账并付款。")),
        "refuse": (A.REPOSSESSION_PAYMENT_RELEASE, lambda: payments.repossession_payment_reject(
            payment_id=_payment_of(case_id, p.get("payment")), actor=u,
            reason=p.get("reason", "")), _("已驳回该费用。")),
        "sale": (A.REPOSSESSION_SALE_RECORD, lambda: sale.repossession_sale_record(
            case_id=case_id, method=p.get("method", ""), buyer_name=p.get("buyer_name", ""),
            amount=p.get("amount", ""), bank_ref=p.get("bank_ref", ""), actor=u,
            surplus_account={k: p.get(k, "") for k in (
                "account_name", "bank_name", "account_number")}),
            _("处置款已入账，案件已结案。")),
        "redeem": (A.REPOSSESSION_SALE_RECORD, lambda: sale.repossession_redeem(
            case_id=case_id, amount=p.get("amount", ""), bank_ref=p.get("bank_ref", ""),
            actor=u), _("客户已赎车，贷款已结清。")),
    }  # fmt: skip


def _legal_of(case_id: int, legal_case_id: str | None) -> int:
    case = RepossessionCase.objects.get(pk=case_id)
    found = case.legal_cases.filter(pk=_int(legal_case_id or "")).values_list("pk", flat=True)
    if not found:
        raise cases.RepossessionError(_("法务案件不存在。"), field="legal_case")
    return found[0]


def _payment_of(case_id: int, payment_id: str | None) -> int:
    case = RepossessionCase.objects.get(pk=case_id)
    found = case.payments.filter(pk=_int(payment_id or "")).values_list("pk", flat=True)
    if not found:
        raise cases.RepossessionError(_("付款单不存在。"), field="payment")
    return found[0]


@staff_view
@require_POST
@recent_auth_required
def repossession_act(request, case_id: int):
    get_object_or_404(visible_cases(request.user), pk=case_id)
    found = _actions(request, case_id).get(request.POST.get("action", ""))
    if found is None:
        raise PermissionDenied
    action, call, ok = found
    if not can_move_money(request.user, action):
        raise PermissionDenied
    back = redirect("servicing:repossession_detail", case_id=case_id)

    def run(key: str):  # noqa: ARG001 - each service refuses a second time by its status
        try:
            call()
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        messages.success(request, ok)
        return back

    return idempotent(request, run=run, form=True)
