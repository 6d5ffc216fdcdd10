"""The servicing agent's loan pages: the search and the loan page (schedule versions, ledger,
repayments, notes), restructure, payoff quote, notes. Thin: forms validate, services decide."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError, approval_request_pending_for
from autofin.business_date import business_date_for_posting
from autofin.money import format_cny
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from servicing.approvals import LOAN_RESTRUCTURE, loan_restructure_submit
from servicing.forms import loans as loan_forms
from servicing.ledger_names import balance_shown
from servicing.models import LedgerAccount
from servicing.models.leases import LeaseAsset
from servicing.models.loans import Loan, LoanStatus
from servicing.models.repayments import RepaymentReversal
from servicing.selectors import loans as loans_sel
from servicing.selectors.lease_end import lease_end_context
from servicing.selectors.leases import invoices_of_loan
from servicing.selectors.ledger import loan_balances
from servicing.services.customers import CUSTOMER_VIEW_ROLES
from servicing.services.leases.vat import is_lease
from servicing.services.loans.account import LoanError
from servicing.services.loans.notes import loan_note_add
from servicing.services.settlement.early import payoff_quote_issue
from servicing.views.common import form_error, refused
from servicing.views.lease_assets import lease_asset_context

AGENT_ROLES = (Role.SERVICING_AGENT, Role.SENIOR_UNDERWRITER, Role.COLLECTOR)


def agent_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not (
            user_has_role(request.user, *AGENT_ROLES)
            or request.user.has_perm("servicing.restructure_loan")
        ):
            return HttpResponseForbidden(_("您没有访问贷款账户的权限。"))
        return view(request, *args, **kwargs)

    return wrapper


@agent_required
def loan_search(request):
    query = request.GET.get("q", "")
    status = request.GET.get("status", "")
    page = Paginator(loans_sel.loan_search(query=query, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "servicing/loan_search.html",
        {"page": page, "q": query, "status": status, "statuses": LoanStatus.choices},
    )


def agent_context(request, loan: Loan, **extra):
    try:
        version = int(request.GET.get("version") or loan.schedule_version)
    except ValueError:
        version = loan.schedule_version
    context = {
        "loan": loan,
        "today": business_date_for_posting(),
        "version": version,
        "versions": loans_sel.schedule_versions(loan=loan),
        "schedule": list(loan.schedule_rows_of_version(version)),
        "repayments": loans_sel.loan_repayments(loan=loan),
        "entries": loans_sel.loan_ledger_entries(loan=loan),
        "balances": _named(loan_balances(loan_id=loan.pk)),
        "notes": loan.notes.select_related("author")[:50],
        "status_changes": loan.status_changes.all(),
        "repricings": loan.repricings.all()[:20],
        "quote": loans_sel.payoff_quote_latest(loan=loan),
        # a lease's car in the lessor's register, the policies on the car, the lease's invoices
        "lease_asset": LeaseAsset.objects.filter(loan=loan).first(),
        "policies": list(loan.insurance_policies.all()),
        "invoices": list(invoices_of_loan(loan=loan)) if is_lease(loan) else [],
        "can_view_customer": user_has_role(request.user, *CUSTOMER_VIEW_ROLES),
        "can_restructure": can_move_money(request.user, MoneyAction.LOAN_RESTRUCTURE),
        "can_post": can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_POST),
        "can_approve": can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_APPROVE),
        "can_request_reversal": can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_REQUEST),
        "can_approve_reversal": can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_APPROVE),
        "reversals": RepaymentReversal.objects.filter(repayment__loan=loan).select_related(
            "requested_by", "decided_by"
        )[:50],
        "token": loan_forms.TokenForm().initial["token"],
        "pending_restructure": approval_request_pending_for(action=LOAN_RESTRUCTURE, target=loan),
        "repayment_form": loan_forms.ManualRepaymentForm(),
        "restructure_form": loan_forms.RestructureForm(),
        "note_form": loan_forms.NoteForm(),
        "reverse_form": loan_forms.ReverseForm(),
        **loans_sel.loan_telematics(loan=loan),
    }
    context.update(lease_asset_context(request, loan))  # a lease's asset section
    context.update(lease_end_context(request, loan))
    context.update(extra)
    return context


def _named(balances: dict) -> dict:
    names = dict(LedgerAccount.objects.values_list("code", "name"))
    return dict(
        balance_shown(code, amount, names.get(code, "")) for code, amount in balances.items()
    )


@agent_required
def loan_detail(request, loan_id: int):
    loan = get_object_or_404(Loan.objects.select_related("customer"), pk=loan_id)
    return render(request, "servicing/loan_detail.html", agent_context(request, loan))


@agent_required
@require_POST
@recent_auth_required
def loan_restructure(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LOAN_RESTRUCTURE):
        return refused()
    loan = get_object_or_404(Loan, pk=loan_id)
    form = loan_forms.RestructureForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            submitted = loan_restructure_submit(
                loan_id=loan.pk,
                term_months=data["term_months"],
                annual_rate=data["annual_rate"],
                first_due_date=data["first_due_date"],
                reason=data["reason"],
                actor=request.user,
            )
        except LoanError as exc:
            form_error(form, exc)
        except ApprovalError as exc:
            form.add_error(None, exc.message)
        else:
            if submitted.pending:
                messages.success(request, _("已提交复核：重组将在另一位有权限的同事批准后生效。"))
            else:
                messages.success(request, _("重组完成，已生成新还款计划。"))
            return redirect("servicing:loan_detail", loan_id=loan.pk)
    return render(
        request,
        "servicing/loan_detail.html",
        agent_context(request, loan, restructure_form=form),
        status=400,
    )


@agent_required
@require_POST
def loan_payoff_quote(request, loan_id: int):
    loan = get_object_or_404(Loan, pk=loan_id)
    try:
        quote = payoff_quote_issue(loan_id=loan.pk, actor=request.user)
    except LoanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("提前结清报价：%(t)s，有效期至 %(d)s。")
            % {"t": format_cny(quote.total), "d": quote.valid_until},
        )
    return redirect("servicing:loan_detail", loan_id=loan.pk)


@agent_required
@require_POST
def loan_note(request, loan_id: int):
    loan = get_object_or_404(Loan, pk=loan_id)
    form = loan_forms.NoteForm(request.POST)
    if form.is_valid():
        loan_note_add(loan_id=loan.pk, body=form.cleaned_data["body"], actor=request.user)
        messages.success(request, _("备注已保存。"))
    else:
        messages.error(request, _("请填写备注内容。"))
    return redirect("servicing:loan_detail", loan_id=loan.pk)
