"""Entering a sale-leaseback customer's own bank card (售后回租收款卡) on the contract page: the
customer on their contract, an operator on the workbench's contract page. The card is checked at
once by its four elements; the page shows the result (masked), never the number."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.ratelimit import heavy_endpoint
from origination.forms.contracts import BankCardForm
from origination.models.contracts import Contract
from origination.selectors.bank_cards import customer_card_check
from origination.selectors.contracts import contract_for_customer
from origination.services.bank_cards import (
    BankCardEntryError,
    bank_card_may_enter,
    bank_card_verify,
)


def bank_card_context(contract: Contract, user, form: BankCardForm | None = None) -> dict:
    """What the contract pages show of the payout card (only for a sale-leaseback)."""
    if contract.contract_type != "sale_leaseback":
        return {}
    return {
        "bank_card": customer_card_check(contract.application_id),
        "bank_card_form": form or BankCardForm(),
        "bank_card_may_enter": bank_card_may_enter(user, contract.application),
    }


def _verify(request, contract: Contract, back: str):
    form = BankCardForm(request.POST)
    if form.is_valid():
        try:
            card = bank_card_verify(application=contract.application, actor=request.user,
                                    **form.cleaned_data)  # fmt: skip
        except BankCardEntryError as exc:
            if exc.code == "forbidden":
                raise Http404 from exc
            messages.error(request, exc.message)
        else:
            if card.passed:
                messages.success(request, _("银行卡四要素核验通过，放款将付至该卡。"))
            else:
                messages.error(request, _("银行卡四要素核验未通过，请核对后重新填写。"))
    else:
        messages.error(request, _("请完整填写银行卡号、开户行和银行预留手机号。"))
    return redirect(back)


@require_POST
@login_required
@heavy_endpoint
def contract_bank_card(request, contract_ref: str):
    contract = contract_for_customer(request.user, contract_ref)
    if contract is None or contract.contract_type != "sale_leaseback":
        raise Http404
    return _verify(request, contract, back=request.path.replace("bank-card/", "sign/") + "#card")


@require_POST
@login_required
@heavy_endpoint
def workbench_contract_bank_card(request, contract_ref: str):
    """An operator enters the card for the customer (the service checks the operator's role
    and that the application is theirs to see)."""
    contract = Contract.objects.select_related("application").filter(contract_ref=contract_ref)
    contract = contract.first()
    if contract is None or contract.contract_type != "sale_leaseback":
        raise Http404
    return _verify(request, contract, back=request.path.replace("bank-card/", "") + "#card")
