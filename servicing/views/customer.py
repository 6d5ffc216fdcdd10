"""The customer's self-service pages: my loans, a loan's page with its schedule and the pay-now
form, the statements, the contact details. Thin: forms validate, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_for_posting
from autofin.idempotency import NothingDone, idempotent
from autofin.roles import MoneyAction, can_move_money
from origination.selectors.contracts import contract_for_customer
from servicing.forms import loans as loan_forms
from servicing.selectors import loans as loans_sel
from servicing.selectors.leases import invoices_of_loan
from servicing.services.leases.rent_tax import rents_with_tax
from servicing.services.leases.vat import is_lease
from servicing.services.loans.account import LoanError
from servicing.services.loans.customer_phone import (
    customer_phone_change_confirm,
    customer_phone_change_start,
)
from servicing.services.repayments.online import payment_order_create
from servicing.views.common import customer_loan_or_404, form_error, refused


def _optional_url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _signed_contract_url(user, contract_ref: str) -> str | None:
    """The customer's signed contract (origination's document page), once there is one."""
    contract = contract_for_customer(user, contract_ref)
    if contract is None or contract.status != "signed":
        return None
    return reverse("origination:contract_document", args=[contract_ref]) + "?signed=1"


@login_required
def my_loans(request):
    today = business_date_for_posting()
    loans = [
        {"loan": loan, "next_due": loans_sel.next_due(loan=loan, on=today)}
        for loan in loans_sel.loans_of_customer(user=request.user)
    ]
    return render(request, "servicing/my_loans.html", {"loans": loans, "today": today})


@login_required
def my_loan_detail(request, loan_id: int):
    loan = customer_loan_or_404(request, loan_id)
    today = business_date_for_posting()
    due = loans_sel.next_due(loan=loan, on=today)
    pay_form = loan_forms.PayForm(initial={"amount": due.amount if due and due.amount else None})
    schedule = loans_sel.schedule_in_force(loan=loan)
    lease = is_lease(loan)
    if lease:
        pay_form.fields["amount"].label = _("支付金额（元）")
    return render(
        request,
        "servicing/my_loan_detail.html",
        {
            "loan": loan,
            "today": today,
            "next_due": due,
            "schedule": schedule,
            # a lease: its rents with the VAT inside each, and its invoices (blue and red)
            "lease": lease,
            "rents": rents_with_tax(loan=loan, rows=schedule) if lease else None,
            "invoices": list(invoices_of_loan(loan=loan)) if lease else None,
            "pay_form": pay_form,
            "repayments": loans_sel.loan_repayments(loan=loan).exclude(source="suspense")[:10],
            # Origination's signed contract download, once it exists: nothing rather than a fake.
            "contract_url": _signed_contract_url(request.user, loan.contract_ref),
            "consents_url": _optional_url("origination:consents"),
        },
    )


@login_required
@require_POST
def my_loan_pay(request, loan_id: int):
    loan = customer_loan_or_404(request, loan_id)
    if not can_move_money(request.user, MoneyAction.PAYMENT_ONLINE):
        return refused()
    back = redirect("servicing:my_loan_detail", loan_id=loan.pk)

    def run(key: str):
        form = loan_forms.PayForm(request.POST)
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
def my_loan_statements(request, loan_id: int):
    loan = customer_loan_or_404(request, loan_id)
    return render(
        request,
        "servicing/my_loan_statements.html",
        {"loan": loan, "months": loans_sel.statement_months(loan=loan)},
    )


@login_required
def my_contact(request):
    phone_form = loan_forms.ContactPhoneForm()
    code_form = None
    pending = request.session.get("contact_change_phone")
    if request.method == "POST" and request.POST.get("step") == "send":
        phone_form = loan_forms.ContactPhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                pending = customer_phone_change_start(
                    user=request.user, phone=phone_form.cleaned_data["phone"]
                )
            except LoanError as exc:
                form_error(phone_form, exc)
            else:
                request.session["contact_change_phone"] = pending
                messages.info(request, _("验证码已发送至新手机号。"))
                code_form = loan_forms.ContactCodeForm()
    elif request.method == "POST" and request.POST.get("step") == "verify" and pending:
        code_form = loan_forms.ContactCodeForm(request.POST)
        if code_form.is_valid():
            try:
                customer_phone_change_confirm(
                    user=request.user, phone=pending, code=code_form.cleaned_data["code"]
                )
            except LoanError as exc:
                form_error(code_form, exc)
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
