"""What the customer's and the agent's pages share: the refusal of a money action, a service's
error shown on its form field, the customer's own loan (404 for anyone else's)."""

from __future__ import annotations

from django.http import Http404, HttpResponseForbidden
from django.utils.translation import gettext as _

from servicing.models.loans import Loan
from servicing.selectors import loans as loans_sel
from servicing.services.loans.account import LoanError


def refused() -> HttpResponseForbidden:
    return HttpResponseForbidden(_("您没有执行该资金操作的权限。"))


def form_error(form, exc: LoanError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def customer_loan_or_404(request, loan_id: int) -> Loan:
    loan = loans_sel.loan_for_customer(user=request.user, loan_id=loan_id)
    if loan is None:
        raise Http404
    return loan
