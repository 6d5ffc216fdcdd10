"""Underwriting: an add-on's payee picked from the payee register, on the case page while the
case is decided or on the contract page before signing (the contract is re-issued naming it)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from origination.models.applications import Application
from origination.models.contracts import Contract, ContractStatus
from origination.services.contracts.errors import ContractError
from origination.services.underwriting.authority import UnderwritingError
from origination.services.underwriting.payees import item_payee_choose
from origination.views.workbench import UNDERWRITERS, roles_required


@require_POST
@roles_required(*UNDERWRITERS)
def item_payee(request, reference: str, item_kind: str):
    app = get_object_or_404(Application, reference=reference)
    try:
        item_payee_choose(
            application_id=app.pk,
            item_kind=item_kind,
            actor=request.user,
            payee_name=request.POST.get(f"{item_kind}-payee_name", ""),
        )
    except (UnderwritingError, ContractError) as exc:
        for errors in exc.errors.values():
            for message in errors:
                messages.error(request, message)
    else:
        messages.success(request, _("收款方已从登记簿选定。"))
    live = Contract.objects.filter(
        application=app, status__in=(ContractStatus.ISSUED, ContractStatus.SIGNED)
    ).first()
    if request.POST.get("back") == "contract" and live is not None:
        return redirect("origination:workbench_contract", live.contract_ref)
    return redirect("origination:workbench_case", app.reference)
