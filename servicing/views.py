"""Pages: the customer's self-service (my loans, pay now, payoff, prepayment, statements,
contact details) and the servicing agent's loan search and loan page. Thin: forms validate,
services decide."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError, approval_request_pending_for
from autofin.business_date import business_date_for_posting
from autofin.idempotency import NothingDone, idempotent
from autofin.money import format_cny
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from servicing import forms, selectors_loans
from servicing.adapters import payment_provider
from servicing.approvals import LOAN_RESTRUCTURE, loan_restructure_submit
from servicing.models import Loan, LoanStatus, PaymentOrder, Repayment, RepaymentReversal
from servicing.selectors import loan_balances
from servicing.services.loans.account import LoanError
from servicing.services.loans.customer_phone import (
    customer_phone_change_confirm,
    customer_phone_change_start,
)
from servicing.services.loans.notes import loan_note_add
from servicing.services.repayments.manual import (
    repayment_manual_approve,
    repayment_manual_reject,
    repayment_manual_submit,
)
from servicing.services.repayments.online import payment_order_create
from servicing.services.repayments.reversal import (
    repayment_reversal_approve,
    repayment_reversal_reject,
    repayment_reversal_request,
)
from servicing.services.settlement.early import payoff_quote_issue
from servicing.services.settlement.prepayment import prepayment_terms

AGENT_ROLES = (Role.SERVICING_AGENT, Role.SENIOR_UNDERWRITER, Role.COLLECTOR)


def _refused() -> HttpResponseForbidden:
    return HttpResponseForbidden(_("您没有执行该资金操作的权限。"))


def _form_error(form, exc: LoanError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _optional_url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _signed_contract_url(user, contract_ref: str) -> str | None:
    """The customer's signed contract (origination's document page), once there is one."""
    from origination.selectors_workbench import contract_for_customer

    contract = contract_for_customer(user, contract_ref)
    if contract is None or contract.status != "signed":
        return None
    return reverse("origination:contract_document", args=[contract_ref]) + "?signed=1"


# --- customer --------------------------------------------------------------------------------


def _my_loan(request, loan_id: int) -> Loan:
    loan = selectors_loans.loan_for_customer(user=request.user, loan_id=loan_id)
    if loan is None:
        raise Http404
    return loan


@login_required
def my_loans(request):
    today = business_date_for_posting()
    loans = [
        {"loan": loan, "next_due": selectors_loans.next_due(loan=loan, on=today)}
        for loan in selectors_loans.loans_of_customer(user=request.user)
    ]
    return render(request, "servicing/my_loans.html", {"loans": loans, "today": today})


@login_required
def my_loan_detail(request, loan_id: int):
    loan = _my_loan(request, loan_id)
    today = business_date_for_posting()
    due = selectors_loans.next_due(loan=loan, on=today)
    pay_form = forms.PayForm(initial={"amount": due.amount if due and due.amount else None})
    return render(
        request,
        "servicing/my_loan_detail.html",
        {
            "loan": loan,
            "today": today,
            "next_due": due,
            "schedule": selectors_loans.schedule_in_force(loan=loan),
            "pay_form": pay_form,
            "repayments": selectors_loans.loan_repayments(loan=loan).exclude(source="suspense")[
                :10
            ],
            # Origination's signed contract download, once it exists: nothing rather than a fake.
            "contract_url": _signed_contract_url(request.user, loan.contract_ref),
            "consents_url": _optional_url("origination:consents"),
        },
    )


@login_required
@require_POST
def my_loan_pay(request, loan_id: int):
    loan = _my_loan(request, loan_id)
    if not can_move_money(request.user, MoneyAction.PAYMENT_ONLINE):
        return _refused()
    back = redirect("servicing:my_loan_detail", loan_id=loan.pk)

    def run(key: str):
        form = forms.PayForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            raise NothingDone(back)
        try:
            _order, pay_url = payment_order_create(
                loan_id=loan.pk,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                idempotency_key=key,
                return_url=reverse("servicing:my_loan_detail", args=[loan.pk]),
            )
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        return redirect(pay_url)

    return idempotent(request, run=run, form=True)


@login_required
def my_loan_payoff(request, loan_id: int):
    loan = _my_loan(request, loan_id)
    today = business_date_for_posting()
    quote = None
    form = forms.PayoffQuoteForm(initial={"as_of": today})
    status = 200
    if request.method == "POST" and request.POST.get("action") == "pay":
        if not can_move_money(request.user, MoneyAction.EARLY_SETTLEMENT):
            return _refused()
        back = redirect("servicing:my_loan_payoff", loan_id=loan.pk)
        quote_id = _quote_id(request.POST.get("quote_id"))
        if quote_id is None:
            # A tampered or truncated form: no such quote can exist, say so plainly (was a 500).
            messages.error(request, _("结清报价无效，请重新生成报价。"))
            status = 400
        else:

            def run(key: str):
                try:
                    _order, pay_url = payment_order_create(
                        loan_id=loan.pk,
                        actor=request.user,
                        purpose="payoff",
                        payoff_quote_id=quote_id,
                        idempotency_key=key,
                    )
                except LoanError as exc:
                    messages.error(request, exc.message)
                    raise NothingDone(back) from exc
                return redirect(pay_url)

            return idempotent(request, run=run, form=True)
    elif request.method == "POST":
        form = forms.PayoffQuoteForm(request.POST)
        if form.is_valid():
            try:
                quote = payoff_quote_issue(
                    loan_id=loan.pk, actor=request.user, as_of=form.cleaned_data["as_of"]
                )
            except LoanError as exc:
                _form_error(form, exc)
    return render(
        request,
        "servicing/my_loan_payoff.html",
        {"loan": loan, "form": form, "quote": quote, "token": forms.TokenForm().initial["token"]},
        status=status,
    )


def _quote_id(raw: str | None) -> int | None:
    """A payoff quote's id from a form, or None when it cannot be one (not a database id)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value < 2**63 else None


@login_required
def my_loan_prepay(request, loan_id: int):
    loan = _my_loan(request, loan_id)
    form = forms.PrepayForm(request.POST or None)
    terms = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            terms = prepayment_terms(
                loan=loan, prepay_amount=data["prepay_amount"], option=data["option"]
            )
            if request.POST.get("action") == "pay":
                return _prepay_pay(request, loan, data)
        except LoanError as exc:
            _form_error(form, exc)
            terms = None
    return render(
        request,
        "servicing/my_loan_prepay.html",
        {
            "loan": loan,
            "form": form,
            "terms": terms,
            "new_rows": [r.as_dict() for r in terms.schedule.rows] if terms else [],
            "token": forms.TokenForm().initial["token"],
        },
    )


def _prepay_pay(request, loan: Loan, data: dict):
    """Pay the partial prepayment the customer just saw the terms of (one form token)."""
    if not can_move_money(request.user, MoneyAction.PREPAYMENT):
        return _refused()

    def run(key: str):
        _order, pay_url = payment_order_create(
            loan_id=loan.pk,
            actor=request.user,
            purpose="prepayment",
            prepay_amount=data["prepay_amount"],
            prepayment_option=data["option"],
            idempotency_key=key,
        )
        return redirect(pay_url)

    return idempotent(request, run=run, form=True)


@login_required
def my_loan_statements(request, loan_id: int):
    loan = _my_loan(request, loan_id)
    return render(
        request,
        "servicing/my_loan_statements.html",
        {"loan": loan, "months": selectors_loans.statement_months(loan=loan)},
    )


@login_required
def my_contact(request):
    phone_form = forms.ContactPhoneForm()
    code_form = None
    pending = request.session.get("contact_change_phone")
    if request.method == "POST" and request.POST.get("step") == "send":
        phone_form = forms.ContactPhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                pending = customer_phone_change_start(
                    user=request.user, phone=phone_form.cleaned_data["phone"]
                )
            except LoanError as exc:
                _form_error(phone_form, exc)
            else:
                request.session["contact_change_phone"] = pending
                messages.info(request, _("验证码已发送至新手机号。"))
                code_form = forms.ContactCodeForm()
    elif request.method == "POST" and request.POST.get("step") == "verify" and pending:
        code_form = forms.ContactCodeForm(request.POST)
        if code_form.is_valid():
            try:
                customer_phone_change_confirm(
                    user=request.user, phone=pending, code=code_form.cleaned_data["code"]
                )
            except LoanError as exc:
                _form_error(code_form, exc)
            else:
                request.session.pop("contact_change_phone", None)
                messages.success(request, _("手机号已更新。"))
                return redirect("servicing:my_contact")
    return render(
        request,
        "servicing/my_contact.html",
        {
            "phone_form": phone_form,
            "code_form": code_form,
            "pending": pending if code_form else None,
            "consents_url": _optional_url("origination:consents"),
        },
    )


@login_required
def sandbox_pay(request, provider_ref: str):
    """The sandbox provider's cashier page (what the real provider's hosted page would be)."""
    order = get_object_or_404(
        PaymentOrder.objects.select_related("loan"), provider_ref=provider_ref
    )
    if order.loan.customer_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    if request.method == "POST" and order.status == "created":
        success = request.POST.get("outcome") != "fail"
        try:
            order = payment_provider().pay(
                provider_ref=order.provider_ref, amount=order.amount, success=success
            )
        except LoanError as exc:
            messages.error(request, exc.message)
        else:
            if order.status == "paid":
                messages.success(
                    request, _("支付成功：%(a)s 已入账。") % {"a": format_cny(order.amount)}
                )
            else:
                messages.error(request, _("支付失败，未扣款。"))
        return redirect("servicing:my_loan_detail", loan_id=order.loan_id)
    return render(request, "servicing/sandbox_pay.html", {"order": order})


# --- servicing agent ----------------------------------------------------------------------------


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
    page = Paginator(selectors_loans.loan_search(query=query, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "servicing/loan_search.html",
        {"page": page, "q": query, "status": status, "statuses": LoanStatus.choices},
    )


def _agent_context(request, loan: Loan, **extra):
    try:
        version = int(request.GET.get("version") or loan.schedule_version)
    except ValueError:
        version = loan.schedule_version
    context = {
        "loan": loan,
        "today": business_date_for_posting(),
        "version": version,
        "versions": selectors_loans.schedule_versions(loan=loan),
        "schedule": list(loan.schedule_rows_of_version(version)),
        "repayments": selectors_loans.loan_repayments(loan=loan),
        "entries": selectors_loans.loan_ledger_entries(loan=loan),
        "balances": _named(loan_balances(loan_id=loan.pk)),
        "notes": loan.notes.select_related("author")[:50],
        "status_changes": loan.status_changes.all(),
        "repricings": loan.repricings.all()[:20],
        "quote": selectors_loans.payoff_quote_latest(loan=loan),
        "can_restructure": can_move_money(request.user, MoneyAction.LOAN_RESTRUCTURE),
        "can_post": can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_POST),
        "can_approve": can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_APPROVE),
        "can_request_reversal": can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_REQUEST),
        "can_approve_reversal": can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_APPROVE),
        "reversals": RepaymentReversal.objects.filter(repayment__loan=loan).select_related(
            "requested_by", "decided_by"
        )[:50],
        "token": forms.TokenForm().initial["token"],
        "pending_restructure": approval_request_pending_for(action=LOAN_RESTRUCTURE, target=loan),
        "repayment_form": forms.ManualRepaymentForm(),
        "restructure_form": forms.RestructureForm(),
        "note_form": forms.NoteForm(),
        "reverse_form": forms.ReverseForm(),
    }
    context.update(extra)
    return context


def _named(balances: dict) -> dict:
    from servicing.models import LedgerAccount

    names = dict(LedgerAccount.objects.values_list("code", "name"))
    return {names.get(code, code): amount for code, amount in balances.items()}


@agent_required
def loan_detail(request, loan_id: int):
    loan = get_object_or_404(Loan.objects.select_related("customer"), pk=loan_id)
    return render(request, "servicing/loan_detail.html", _agent_context(request, loan))


@agent_required
@require_POST
@recent_auth_required
def loan_manual_repayment(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_POST):
        return _refused()
    loan = get_object_or_404(Loan, pk=loan_id)

    def run(key: str):
        form = forms.ManualRepaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                repayment = repayment_manual_submit(
                    loan_id=loan.pk,
                    amount=data["amount"],
                    evidence=data["evidence"],
                    evidence_ref=data["evidence_ref"],
                    actor=request.user,
                    idempotency_key=key,
                )
            except LoanError as exc:
                _form_error(form, exc)
            else:
                if repayment.status == "pending_approval":
                    messages.info(request, _("当日人工入账合计达到复核限额，已提交复核。"))
                else:
                    messages.success(request, _("还款已入账。"))
                return redirect("servicing:loan_detail", loan_id=loan.pk)
        return render(
            request,
            "servicing/loan_detail.html",
            _agent_context(request, loan, repayment_form=form),
            status=400,
        )

    return idempotent(request, run=run, form=True)


def _decision(request, *, action: MoneyAction, loan_id: int, decide, done: str):
    """A checker's decision from the loan page: permission, one form token, the service."""
    if not can_move_money(request.user, action):
        return _refused()
    back = redirect("servicing:loan_detail", loan_id=loan_id)

    def run(key: str):  # noqa: ARG001 - a decision is idempotent by the object's state
        try:
            decide()
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        messages.success(request, done)
        return back

    return idempotent(request, run=run, form=True)


@agent_required
@require_POST
@recent_auth_required
def repayment_approve(request, repayment_id: int):
    repayment = get_object_or_404(Repayment, pk=repayment_id)
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_MANUAL_APPROVE,
        loan_id=repayment.loan_id,
        decide=lambda: repayment_manual_approve(repayment_id=repayment.pk, actor=request.user),
        done=_("复核通过，还款已入账。"),
    )


@agent_required
@require_POST
def repayment_reject(request, repayment_id: int):
    repayment = get_object_or_404(Repayment, pk=repayment_id)
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_MANUAL_APPROVE,
        loan_id=repayment.loan_id,
        decide=lambda: repayment_manual_reject(
            repayment_id=repayment.pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        done=_("已驳回，该笔还款不入账。"),
    )


@agent_required
@require_POST
@recent_auth_required
def repayment_reverse(request, repayment_id: int):
    """Ask for a reversal: another person approves it on the loan page."""
    repayment = get_object_or_404(Repayment, pk=repayment_id)
    if not can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_REQUEST):
        return _refused()
    back = redirect("servicing:loan_detail", loan_id=repayment.loan_id)

    def run(key: str):
        form = forms.ReverseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写冲正原因。"))
            raise NothingDone(back)
        try:
            repayment_reversal_request(
                repayment_id=repayment.pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                idempotency_key=key,
            )
        except LoanError as exc:
            messages.error(request, exc.message)
            raise NothingDone(back) from exc
        messages.success(request, _("冲正申请已提交，等待另一位同事复核。"))
        return back

    return idempotent(request, run=run, form=True)


@agent_required
@require_POST
def reversal_approve(request, reversal_id: int):
    reversal = get_object_or_404(
        RepaymentReversal.objects.select_related("repayment"), pk=reversal_id
    )
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_REVERSE_APPROVE,
        loan_id=reversal.repayment.loan_id,
        decide=lambda: repayment_reversal_approve(reversal_id=reversal.pk, actor=request.user),
        done=_("冲正已复核通过，还款已冲正。"),
    )


@agent_required
@require_POST
def reversal_reject(request, reversal_id: int):
    reversal = get_object_or_404(
        RepaymentReversal.objects.select_related("repayment"), pk=reversal_id
    )
    return _decision(
        request,
        action=MoneyAction.REPAYMENT_REVERSE_APPROVE,
        loan_id=reversal.repayment.loan_id,
        decide=lambda: repayment_reversal_reject(
            reversal_id=reversal.pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        done=_("冲正申请已驳回，还款保持入账。"),
    )


@agent_required
@require_POST
@recent_auth_required
def loan_restructure(request, loan_id: int):
    if not can_move_money(request.user, MoneyAction.LOAN_RESTRUCTURE):
        return _refused()
    loan = get_object_or_404(Loan, pk=loan_id)
    form = forms.RestructureForm(request.POST)
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
            _form_error(form, exc)
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
        _agent_context(request, loan, restructure_form=form),
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
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        loan_note_add(loan_id=loan.pk, body=form.cleaned_data["body"], actor=request.user)
        messages.success(request, _("备注已保存。"))
    else:
        messages.error(request, _("请填写备注内容。"))
    return redirect("servicing:loan_detail", loan_id=loan.pk)
