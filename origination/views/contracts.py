"""The customer's contract pages: read the contract in the page (rendered from the same snapshot
as the PDF) with its key facts, agree, get an SMS code naming the contract, sign; and answer a
counter-offer. A contract or offer is only reachable through the customer's own application
(404 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.ratelimit import heavy_endpoint
from autofin.uploads import upload_response
from origination.customer_texts import counter_offer_note
from origination.forms.contracts import AgreeForm, SignForm
from origination.models.underwriting import CounterOffer
from origination.selectors.contracts import contract_for_customer, contract_key_facts
from origination.services.applications.errors import ApplicationValidationError
from origination.services.contracts.errors import ContractError, ContractSignError
from origination.services.contracts.pdf import contract_context
from origination.services.contracts.signing import (
    contract_sign,
    contract_sign_code_send,
    customer_owns_application,
)
from origination.services.underwriting.authority import UnderwritingError
from origination.services.underwriting.counter_offers import counter_offer_respond
from origination.views.bank_cards import bank_card_context


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _contract(request, contract_ref: str):
    contract = contract_for_customer(request.user, contract_ref)
    if contract is None:
        raise Http404
    return contract


def _agreed_key(contract) -> str:
    # the agreement is to this version's document: a new version must be read again
    return f"contract-agreed:{contract.contract_ref}:{contract.pdf_sha256}"


def _form_errors_into(form, exc: ContractSignError) -> None:
    for field, msgs in exc.errors.items():
        for m in msgs:
            form.add_error(field if field in form.fields else None, m)


@login_required
def contract_sign_page(request, contract_ref: str):
    contract = _contract(request, contract_ref)
    agreed = bool(request.session.get(_agreed_key(contract)))
    read = agreed or request.GET.get("read") == "1"
    initial = {"read": "1" if read else "", "agree": agreed}
    form = SignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and contract.status == "issued":
        try:
            contract_sign(
                contract_id=contract.pk,
                actor=request.user,
                code=form.cleaned_data["code"],
                ip_address=_client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ContractSignError as exc:
            _form_errors_into(form, exc)
        else:
            request.session.pop(_agreed_key(contract), None)
            messages.success(request, _("合同已签署成功。"))
            return redirect("origination:contract_sign", contract.contract_ref)
    return render(
        request,
        "origination/contracts/sign.html",
        {
            **contract_context(contract),
            "form": form,
            "read": read or request.POST.get("read") == "1",
            "code_sent": agreed,
            "facts": contract_key_facts(contract),
            "signature": getattr(contract, "signature", None)
            if contract.status == "signed"
            else None,
            **bank_card_context(contract, request.user),
        },
    )


@require_POST
@login_required
def contract_send_code(request, contract_ref: str):
    """Read and agreed (the same form's boxes) first; then the code, whose text names the
    contract and the amount."""
    contract = _contract(request, contract_ref)
    form = AgreeForm(request.POST)
    if not form.is_valid():
        for msgs in form.errors.values():
            for m in msgs:
                messages.error(request, m)
        return redirect("origination:contract_sign", contract.contract_ref)
    try:
        contract_sign_code_send(contract_id=contract.pk, actor=request.user)
        request.session[_agreed_key(contract)] = True
        messages.success(
            request,
            _("验证码已发送至 %(mobile)s。")
            % {"mobile": contract.application.customer_mobile_masked},
        )
    except (ContractSignError, ApplicationValidationError) as exc:
        for msgs in exc.errors.values():
            for m in msgs:
                messages.error(request, m)
    # straight to the code box (on a phone the contract above it is long)
    return redirect(
        reverse("origination:contract_sign", args=[contract.contract_ref]) + "#sign-form"
    )


@login_required
@heavy_endpoint
def contract_document(request, contract_ref: str):
    contract = _contract(request, contract_ref)
    signed = request.GET.get("signed") == "1" and contract.status == "signed"
    return upload_response(
        relative_path=contract.signature.signed_pdf_path if signed else contract.pdf_path,
        content_type="application/pdf",
        allowed=True,
        filename=f"{contract.contract_ref}{'-signed' if signed else ''}.pdf",
    )


@login_required
def counter_offer_page(request, pk: int):
    offer = get_object_or_404(CounterOffer.objects.select_related("quote", "application"), pk=pk)
    if not customer_owns_application(request.user, offer.application_id):
        raise Http404
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            app = counter_offer_respond(
                counter_offer_id=offer.pk, actor=request.user, accept=accept
            )
        except UnderwritingError as exc:
            for msgs in exc.errors.values():
                for m in msgs:
                    messages.error(request, m)
            return redirect("origination:counter_offer", offer.pk)
        except ContractError:  # nothing changed; why (a payee, a price) is the back office's
            messages.error(
                request, _("暂时无法生成合同，您的答复未保存。我们的工作人员会与您联系。")
            )
            return redirect("origination:counter_offer", offer.pk)
        if accept:
            messages.success(request, _("您已接受调整方案，合同已生成，请签署。"))
            contract = app.contracts.filter(status="issued").first()
            if contract is not None:
                return redirect("origination:contract_sign", contract.contract_ref)
        else:
            messages.success(request, _("您已拒绝调整方案，申请已撤回。"))
        return redirect("origination:counter_offer", offer.pk)
    return render(
        request,
        "origination/contracts/counter_offer.html",
        {
            "offer": offer,
            "quote": offer.quote,
            "app": offer.application,
            "note": counter_offer_note(offer),
            "note_by_person": bool(offer.created_by_id),
        },
    )
