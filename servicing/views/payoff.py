"""The customer's early settlement (a payoff quote, then paying it) and partial prepayment (its
terms and new schedule, then paying it). Thin: forms validate, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from autofin.business_date import business_date_for_posting
from autofin.idempotency import NothingDone, idempotent
from autofin.roles import MoneyAction, can_move_money
from servicing.forms import loans as loan_forms
from servicing.models.loans import Loan
from servicing.services.loans.account import LoanError
from servicing.services.repayments.online import payment_order_create
from servicing.services.settlement.early import payoff_quote_issue
from servicing.services.settlement.prepayment import prepayment_terms
from servicing.views.common import customer_loan_or_404, form_error, refused


@login_required
def my_loan_payoff(request, loan_id: int):
    loan = customer_loan_or_404(request, loan_id)
    today = business_date_for_posting()
    quote = None
    form = loan_forms.PayoffQuoteForm(initial={"as_of": today})
    status = 200
    if request.method == "POST" and request.POST.get("action") == "pay":
        if not can_move_money(request.user, MoneyAction.EARLY_SETTLEMENT):
            return refused()
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
        form = loan_forms.PayoffQuoteForm(request.POST)
        if form.is_valid():
            try:
                quote = payoff_quote_issue(
                    loan_id=loan.pk, actor=request.user, as_of=form.cleaned_data["as_of"]
                )
            except LoanError as exc:
                form_error(form, exc)
    return render(
        request,
        "servicing/my_loan_payoff.html",
        {
            "loan": loan,
            "form": form,
            "quote": quote,
            "token": loan_forms.TokenForm().initial["token"],
        },
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
    loan = customer_loan_or_404(request, loan_id)
    form = loan_forms.PrepayForm(request.POST or None)
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
            form_error(form, exc)
            terms = None
    return render(
        request,
        "servicing/my_loan_prepay.html",
        {
            "loan": loan,
            "form": form,
            "terms": terms,
            "new_rows": [r.as_dict() for r in terms.schedule.rows] if terms else [],
            "token": loan_forms.TokenForm().initial["token"],
        },
    )


def _prepay_pay(request, loan: Loan, data: dict):
    """Pay the partial prepayment the customer just saw the terms of (one form token)."""
    if not can_move_money(request.user, MoneyAction.PREPAYMENT):
        return refused()

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
