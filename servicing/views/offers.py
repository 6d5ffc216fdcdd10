"""The customer's pre-approved offers (`/my/offers/`): each open offer with its limit, rate,
a monthly payment example and its last day; taking it up (the kind's own flow) or declining it.
Thin: the selector orders, the services decide."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_for_posting
from autofin.pricing import build_schedule
from origination.selectors.contracts import contract_key_facts, contract_live
from origination.selectors.payees import payees_usable
from origination.services.applications.errors import ApplicationValidationError
from origination.services.contracts.errors import ContractSignError
from origination.services.contracts.pdf import contract_context
from origination.services.contracts.signing import contract_sign, contract_sign_code_send
from origination.views.apply import vehicle_step_page
from servicing.forms.offers import OfferCodeForm, OfferUseForm
from servicing.models import OfferKind, OfferStatus
from servicing.selectors.offers import (
    application_of_customer,
    offer_of_customer,
    offers_for_customer,
)
from servicing.services.offers.accept import (
    PURPOSE_KINDS,
    VEHICLE_KINDS,
    offer_accept,
    offer_apply_start,
    offer_terms_allowed,
)
from servicing.services.offers.lifecycle import OfferError, offer_decline

# whom a purpose offer's purchase is paid to: the register's kind (the customer picks one)
PAYEE_KIND_OF_OFFER = {
    OfferKind.MAINTENANCE: "service_centre",
    OfferKind.INSURANCE_RENEWAL: "insurer",
}


def _monthly_example(offer, today) -> Decimal:
    """The level instalment of the whole limit over the longest term (the pricing engine's, so it
    is the figure a contract for it would carry)."""
    schedule = build_schedule(
        amount_financed=offer.limit_amount,
        annual_rate=offer.annual_rate,
        term_months=offer.max_term_months,
        method="equal_instalment",
        value_date=today,
        day_count="30/360",
    )
    return schedule.rows[0].instalment


@login_required
def my_offers(request):
    today = business_date_for_posting()
    offers = [
        {
            "offer": o,
            "monthly": _monthly_example(o, today),
            "vehicle": o.kind in VEHICLE_KINDS,
            "use": o.kind in PURPOSE_KINDS,
        }  # fmt: skip
        for o in offers_for_customer(request.user, open_on=today)
    ]
    return render(request, "servicing/my_offers.html", {"offers": offers})


def _own_offer_or_404(request, offer_id: int):
    offer = offer_of_customer(request.user, offer_id)
    if offer is None:
        raise Http404
    return offer


@login_required
@require_POST
def my_offer_decline(request, offer_id: int):
    offer = _own_offer_or_404(request, offer_id)
    try:
        offer_decline(offer=offer, actor=request.user, business_date=business_date_for_posting())
    except OfferError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已为您关闭该邀约。"))
    return redirect("servicing:my_offers")


@login_required
def my_offer_apply(request, offer_id: int):
    """A car offer taken up: the ordinary first step of a car application, started from the
    offer (accepted and linked as the draft is made). A taken offer goes to its application."""
    offer = _own_offer_or_404(request, offer_id)
    if offer.kind not in VEHICLE_KINDS:
        raise Http404
    if offer.status == OfferStatus.ACCEPTED and offer.application_id:
        application = application_of_customer(request.user, offer.application_id)
        if application is not None:
            return redirect("origination:application_detail", reference=application.reference)

    def start(product_version, vehicle):
        try:
            return offer_apply_start(offer=offer, customer=request.user,
                                     product_version=product_version, vehicle=vehicle,
                                     business_date=business_date_for_posting())  # fmt: skip
        except OfferError as exc:
            raise ApplicationValidationError({"__all__": [str(exc)]}) from exc

    if request.method == "GET":
        messages.info(request, _("您正在使用预审批购车邀约，请在预审批额度和期限内填写购车方案。"))
    return vehicle_step_page(request, start=start, start_url=request.path)


# --- taking up a maintenance or insurance offer: purchase → decision → sign -----------------


def _use_form(offer, data=None):
    payees = [p.name for p in payees_usable(PAYEE_KIND_OF_OFFER[offer.kind])]
    return OfferUseForm(data, payees=payees, terms=offer_terms_allowed(offer))


@login_required
def my_offer_use(request, offer_id: int):
    offer = _own_offer_or_404(request, offer_id)
    if offer.kind not in PURPOSE_KINDS:
        raise Http404
    if offer.status == OfferStatus.ACCEPTED:
        return redirect("servicing:my_offer_sign", offer_id=offer.pk)
    form = _use_form(offer, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            offer_accept(
                offer=offer, customer=request.user, payee_name=data["payee"],
                amount=data["amount"], term_months=data["term"], key="portal",
                business_date=business_date_for_posting(),
            )  # fmt: skip
        except OfferError as exc:
            form.add_error(None, str(exc))
        except ApplicationValidationError as exc:
            for messages_ in exc.errors.values():
                for text in messages_:
                    form.add_error(None, str(text))
        else:
            return redirect("servicing:my_offer_sign", offer_id=offer.pk)
    return render(request, "servicing/my_offer_use.html", {"offer": offer, "form": form})


def _taken_up(request, offer_id: int):
    """The customer's accepted offer, its application and live contract (None until issued)."""
    offer = _own_offer_or_404(request, offer_id)
    application = application_of_customer(request.user, offer.application_id)
    if offer.status != OfferStatus.ACCEPTED or application is None:
        raise Http404
    return offer, application, contract_live(application)


def _code_key(contract) -> str:
    # the agreement is to this version's document, as on origination's own signing page
    return f"offer-sign:{contract.contract_ref}:{contract.pdf_sha256}"


@login_required
def my_offer_sign(request, offer_id: int):
    offer, application, contract = _taken_up(request, offer_id)
    form = OfferCodeForm(request.POST or None)
    if request.method == "POST" and contract is not None and form.is_valid():
        try:
            contract_sign(contract_id=contract.pk, actor=request.user,
                          code=form.cleaned_data["code"],
                          ip_address=request.META.get("REMOTE_ADDR"),
                          user_agent=request.META.get("HTTP_USER_AGENT", ""))  # fmt: skip
        except ContractSignError as exc:
            for field, texts in exc.errors.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, str(text))
        else:
            request.session.pop(_code_key(contract), None)
            return redirect("servicing:my_offer_sign", offer_id=offer.pk)
    context = {"offer": offer, "application": application, "contract": contract, "form": form}
    if contract is not None:
        # the contract's own text, as its PDF and origination's signing page show it
        context.update(contract_context(contract))
        context["facts"] = contract_key_facts(contract)
        context["code_sent"] = bool(request.session.get(_code_key(contract)))
    return render(request, "servicing/my_offer_sign.html", context)


@login_required
@require_POST
def my_offer_send_code(request, offer_id: int):
    """The contract read to its end (the read gate) and agreed by this tap: the signing code."""
    offer, _application, contract = _taken_up(request, offer_id)
    if contract is None or request.POST.get("read") != "1":
        messages.error(request, _("请先阅读合同全文。"))
        return redirect("servicing:my_offer_sign", offer_id=offer.pk)
    try:
        contract_sign_code_send(contract_id=contract.pk, actor=request.user)
    except (ContractSignError, ApplicationValidationError) as exc:
        for texts in exc.errors.values():
            for text in texts:
                messages.error(request, str(text))
    else:
        request.session[_code_key(contract)] = True
    return redirect("servicing:my_offer_sign", offer_id=offer.pk)
