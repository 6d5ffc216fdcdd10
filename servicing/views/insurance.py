"""Insurance pages: the customer's renewals (/my/insurance/: quotes from several insurers, pay,
finance, or record a policy bought elsewhere), the agents' policies of a loan and expiring
policies, and finance's commission reconciliation per insurer. Thin: the services decide."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_current, business_date_for_posting
from autofin.idempotency import NothingDone, idempotent
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from origination.services.contracts.pricing import lender_name
from servicing.forms.insurance import CommissionReceiptForm, PolicyForm
from servicing.insurer_adapters import InsurerUnavailable
from servicing.models.insurance import (
    CommissionStatus,
    InsuranceCommission,
    InsurerRemittance,
    QuoteStatus,
    RenewalQuote,
)
from servicing.models.leases import InsurancePolicy, PolicyStatus
from servicing.models.loans import Loan
from servicing.models.repayments import RepaymentPurpose
from servicing.services.insurance.commission import (
    commission_receipt_record,
    commission_reconcile,
)
from servicing.services.insurance.policies import (
    insurance_policy_record,
    lender_beneficiary_required,
    policies_expiring,
)
from servicing.services.insurance.remittance import (
    insurer_remittance_prepare,
    insurer_remittance_reject,
    insurer_remittance_release,
    remittance_awaiting,
)
from servicing.services.insurance.renewals import (
    customer_quote,
    renewal_finance,
    renewal_paying,
)
from servicing.services.loans.account import LoanError
from servicing.services.repayments.online import payment_order_create
from servicing.views.common import refused
from servicing.views.disbursement import finance_view
from servicing.views.loans import AGENT_ROLES

POLICY_STAFF = (*AGENT_ROLES, Role.OPERATIONS)


def _errors(request, form) -> None:
    for errors in form.errors.values():
        messages.error(request, " ".join(errors))


# --- the customer ------------------------------------------------------------------------------


def _my_policies(user):
    """The customer's current policies (active or just ended, not yet renewed), with quotes."""
    policies = (
        InsurancePolicy.objects.filter(loan__customer=user)
        .exclude(status__in=(PolicyStatus.RENEWED, PolicyStatus.CANCELLED))
        .select_related("loan")
        .order_by("ends_on")
    )
    result = []
    for p in policies:
        quotes = [q for q in p.renewal_quotes.all() if q.status != QuoteStatus.UNAVAILABLE]
        result.append({"policy": p, "quotes": quotes,
                       "open": [q for q in quotes if q.status == QuoteStatus.OFFERED],
                       "lender_required": lender_beneficiary_required(p.loan)})  # fmt: skip
    return result


@login_required
def my_insurance(request):
    if not user_has_role(request.user, Role.CUSTOMER):
        raise Http404
    renewed = (
        InsurancePolicy.objects.filter(loan__customer=request.user, renews__isnull=False)
        .select_related("renews")
        .order_by("-starts_on")[:10]
    )
    return render(request, "servicing/my_insurance.html", {
        "items": _my_policies(request.user), "renewed": renewed, "lender": lender_name(),
        "form": PolicyForm(initial={"beneficiary_name": lender_name()}),
        "token": uuid.uuid4().hex,
    })  # fmt: skip


def _quote_or_404(request, quote_id: int) -> RenewalQuote:
    try:
        return customer_quote(user=request.user, quote_id=quote_id, on=business_date_current())
    except RenewalQuote.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_POST
def my_insurance_pay(request, quote_id: int):
    back = redirect("servicing:my_insurance")
    if not can_move_money(request.user, MoneyAction.PAYMENT_ONLINE):
        return refused()

    def run(key: str):
        try:
            quote = _quote_or_404(request, quote_id)
            order, pay_url = payment_order_create(
                loan_id=quote.policy.loan_id, actor=request.user, amount=quote.premium,
                purpose=RepaymentPurpose.INSURANCE_PREMIUM, idempotency_key=key,
                return_url=reverse("servicing:my_insurance"),
            )  # fmt: skip
            renewal_paying(quote=quote, order=order)
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        return redirect(pay_url)

    return idempotent(request, run=run, form=True)


@login_required
@require_POST
def my_insurance_finance(request, quote_id: int):
    back = redirect("servicing:my_insurance")

    def run(_key: str):
        try:
            quote = _quote_or_404(request, quote_id)
            offer = renewal_finance(quote=quote, actor=request.user, on=business_date_current())
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        messages.success(request, _("已为您生成保费分期额度 %(amount)s，请在“我的邀约”中申请。")
                         % {"amount": offer.limit_amount})  # fmt: skip
        return back

    return idempotent(request, run=run, form=True)


@login_required
@require_POST
def my_insurance_elsewhere(request, policy_id: int):
    """A renewal bought from any insurer, anywhere: the customer records it."""
    policy = get_object_or_404(
        InsurancePolicy, pk=policy_id, loan__customer=request.user, status=PolicyStatus.ACTIVE
    )
    form = PolicyForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
    else:
        try:
            insurance_policy_record(loan=policy.loan, renews=policy, actor=request.user,
                                    **form.cleaned_data)  # fmt: skip
        except LoanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("续保保单已登记。"))
    return redirect("servicing:my_insurance")


# --- agents ------------------------------------------------------------------------------------


def policy_staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, *POLICY_STAFF):
            return HttpResponseForbidden(_("您没有访问保单的权限。"))
        return view(request, *args, **kwargs)

    return wrapper


@policy_staff_required
def loan_policies(request, loan_id: int):
    loan = get_object_or_404(Loan, pk=loan_id)
    form = PolicyForm(initial={"beneficiary_name": lender_name()})
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            current = loan.insurance_policies.filter(status=PolicyStatus.ACTIVE).first()
            try:
                insurance_policy_record(loan=loan, actor=request.user, renews=current,
                                        **form.cleaned_data)  # fmt: skip
            except LoanError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("保单已登记。"))
                return redirect("servicing:loan_policies", loan_id=loan.pk)
    return render(request, "servicing/insurance/loan_policies.html", {
        "loan": loan, "form": form, "lender": lender_name(),
        "policies": loan.insurance_policies.prefetch_related("renewal_quotes").order_by("-starts_on"),
        "lender_required": lender_beneficiary_required(loan),
    }, status=400 if form.errors else 200)  # fmt: skip


@policy_staff_required
def policies_expiring_list(request):
    try:
        days = max(1, min(int(request.GET.get("days") or settings.INSURANCE_RENEWAL_DAYS), 366))
    except ValueError:
        days = settings.INSURANCE_RENEWAL_DAYS
    rows = policies_expiring(on=business_date_current(), days=days).annotate(
        quotes=Count("renewal_quotes")
    )[:500]
    return render(request, "servicing/insurance/expiring.html", {"rows": rows, "days": days})


# --- finance -----------------------------------------------------------------------------------


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise Http404 from exc


@finance_view
def commission_page(request):
    month_text = request.GET.get("month") or request.POST.get("month") or ""
    month = _month(month_text) if month_text else business_date_current().replace(day=1)
    summary = [
        {**x, "status_label": CommissionStatus(x["status"]).label}
        for x in InsuranceCommission.objects.filter(month=month)
        .values("insurer_name", "status")
        .annotate(n=Count("id"), amount=Sum("amount"), vat=Sum("vat"))
        .order_by("insurer_name", "status")
    ]
    result, receipt_form = None, CommissionReceiptForm()
    if request.method == "POST":
        insurer = (request.POST.get("insurer_name") or "").strip()
        action = request.POST.get("action")
        if action == "reconcile":
            if not can_move_money(request.user, MoneyAction.INSURANCE_COMMISSION_RECONCILE):
                return refused()
            try:
                result = commission_reconcile(insurer_name=insurer, month=month,
                                              on=business_date_current(), actor=request.user)  # fmt: skip
            except InsurerUnavailable:
                messages.error(request, _("保险公司对账单暂时无法获取，请稍后再试。"))
        elif action == "receipt":
            if not can_move_money(request.user, MoneyAction.INSURANCE_COMMISSION_RECEIPT):
                return refused()
            receipt_form = CommissionReceiptForm(request.POST)
            if receipt_form.is_valid():
                try:
                    commission_receipt_record(insurer_name=insurer, month=month,
                                              on=business_date_for_posting(), actor=request.user,
                                              **receipt_form.cleaned_data)  # fmt: skip
                except LoanError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("手续费回款已入账。"))
                    return redirect(
                        f"{reverse('servicing:insurance_commission')}?month={month:%Y-%m}"
                    )
    lines = InsuranceCommission.objects.filter(month=month).select_related("policy")
    return render(request, "servicing/insurance/commission.html", {
        "licensed": settings.INSURANCE_AGENCY_LICENSED, "month": month, "summary": summary,
        "lines": lines, "result": result, "receipt_form": receipt_form,
        "insurers": sorted({x["insurer_name"] for x in summary}),
        "can_reconcile": can_move_money(request.user, MoneyAction.INSURANCE_COMMISSION_RECONCILE),
        "can_receive": can_move_money(request.user, MoneyAction.INSURANCE_COMMISSION_RECEIPT),
    })  # fmt: skip


# --- integrate: premiums paid online, paid on to the insurers (maker-checker) ------------------


@finance_view
def remittance_page(request):
    """Premiums the customers paid us for bound renewals, waiting to be paid on to the insurer,
    and the remittances under way: a maker prepares, another person releases or rejects."""
    if request.method == "POST":
        action = request.POST.get("action")
        needed = (MoneyAction.INSURER_REMITTANCE_PREPARE if action == "prepare"
                  else MoneyAction.INSURER_REMITTANCE_RELEASE)  # fmt: skip
        if not can_move_money(request.user, needed):
            return refused()
        try:
            target = int(request.POST.get("id") or 0)
            if action == "prepare":
                insurer_remittance_prepare(quote_id=target, actor=request.user)
                messages.success(request, _("已提交保费转付，等待复核。"))
            elif action == "release":
                insurer_remittance_release(remittance_id=target, actor=request.user)
                messages.success(request, _("已放行，银行付款中。"))
            elif action == "reject":
                insurer_remittance_reject(remittance_id=target, actor=request.user,
                                          reason=request.POST.get("reason", ""))  # fmt: skip
                messages.success(request, _("已驳回。"))
        except LoanError as exc:
            messages.error(request, exc.message)
        except ValueError as exc:
            raise Http404 from exc
        return redirect("servicing:insurance_remittances")
    return render(request, "servicing/insurance/remittances.html", {
        "awaiting": remittance_awaiting(),
        "remittances": InsurerRemittance.objects.order_by("-created_at", "-id")[:100],
        "can_prepare": can_move_money(request.user, MoneyAction.INSURER_REMITTANCE_PREPARE),
        "can_release": can_move_money(request.user, MoneyAction.INSURER_REMITTANCE_RELEASE),
    })  # fmt: skip
