"""The contract's price (the application's deal at risk's tier, priced by the quote service)
and its payees: who the amount financed is paid to."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from origination.models import PayeeType
from origination.models.applications import Application, FinancedItemKind
from origination.quoting.deal import AddOn, Deal, QuoteEvaluation
from origination.quoting.vocabulary import FEE_KIND_LABELS, ITEM_KIND_LABELS
from origination.selectors.workbench import decision_for_application
from origination.services.contracts.errors import ContractError
from origination.services.quotes import PricedDeal, quote_preview, violations_messages

DEFAULT_TIER = "B"


# the payee type intake recorded for an item (PayeeType) -> the payee type servicing pays
# (contract_for_funding's vocabulary). The recorded type, not the item's kind, decides: an
# accessory or insurance the dealer sells is paid to the dealer, and is checked as the dealer.
RECORDED_PAYEE_TYPE = {
    PayeeType.DEALER: "dealer",
    PayeeType.TAX_AUTHORITY: "tax",
    PayeeType.INSURER: "insurer",
    PayeeType.WARRANTY_PROVIDER: "warranty",
    PayeeType.SERVICE_CENTRE: "service_centre",
}
# a purpose product's purchase, as the contract names it
PURPOSE_LABEL = {
    "maintenance": gettext_lazy("保养费用"),
    "insurance_renewal": gettext_lazy("续保保费"),
}
# financed fees: the GPS fee is paid to the GPS provider; the others stay with the lender
FEE_PAYEE_TYPE = {"gps": "gps", "handling": "lender", "mortgage_registration": "lender"}


def lender_name() -> str:
    return settings.AUTOFIN_LENDER_NAME or _("AutoFin 汽车金融有限公司")


def application_tier(application: Application) -> str:
    """The customer tier risk decided (the decision behind ``decision_ref``), else B."""
    decision = decision_for_application(application)
    tier = (decision or {}).get("tier") or ""
    return tier if tier in ("A", "B", "C", "D") else DEFAULT_TIER


def contract_price(*, application: Application, tier: str | None = None) -> PricedDeal:
    """Price the application's deal as of the business date with the products quote service."""
    app = application
    add_ons = tuple(
        AddOn(item_kind=i.item_kind, amount=i.amount)
        for i in app.items.order_by("id")
        if i.item_kind != FinancedItemKind.CAR
    )
    deal = Deal(
        vehicle_kind=app.vehicle_kind,
        vehicle_use=app.vehicle_use,
        vehicle_price=app.vehicle_price,
        term_months=app.term_months,
        method=app.method,
        tier=tier or application_tier(app),
        down_payment=app.down_payment,
        balloon_ratio=app.balloon_ratio if app.method == "balloon" else None,
        add_ons=add_ons,
        first_registration_date=app.first_registration_date,
    )
    priced = quote_preview(version=app.product_version, deal=deal)
    if not priced.evaluation.ok:
        raise ContractError(violations_messages(priced.evaluation.violations))
    return priced


def contract_payees(*, application: Application, evaluation: QuoteEvaluation) -> list[dict]:
    """Who the amount financed is paid to: the dealer (car price − down payment), or for a
    sale-leaseback the customer themself; each financed add-on's payee, and each financed fee.
    The parts sum exactly to the amount financed."""
    payees = []
    car_part = evaluation.vehicle_amount_financed
    dealer_item = application.items.filter(item_kind=FinancedItemKind.CAR).first()
    dealer_name = (
        dealer_item.payee_name
        if dealer_item
        else (application.dealer.legal_name if application.dealer_id else "")
    )
    if application.product_version.product.contract_type == "sale_leaseback":
        # 售后回租: the lessor buys the car from the customer, so its price is paid to the
        # customer's own card (checked by its four elements before the money is released)
        holder = application.primary_applicant
        car_payee = {"payee_type": "customer", "party": "customer",
                     "name": holder.name if holder else application.customer_name}  # fmt: skip
    elif dealer_item is not None and dealer_item.payee_type != PayeeType.DEALER:
        # maintenance or insurance credit: the bill goes to the service centre or insurer
        kind = RECORDED_PAYEE_TYPE[dealer_item.payee_type]
        car_payee = {"payee_type": kind, "party": dealer_item.payee_type, "name": dealer_name}
    else:
        car_payee = {"payee_type": "dealer", "party": "dealer", "name": dealer_name}
    purpose = application.product_version.product.purpose
    label = str(PURPOSE_LABEL[purpose]) if purpose in PURPOSE_LABEL else _("车款")
    payees.append({**car_payee, "item": "car", "label": label, "amount": str(car_part)})
    for item in application.items.exclude(item_kind=FinancedItemKind.CAR).order_by("id"):
        payees.append(
            {
                "payee_type": RECORDED_PAYEE_TYPE[item.payee_type],
                "party": item.payee_type,
                "item": item.item_kind,
                "label": _(ITEM_KIND_LABELS.get(item.item_kind, item.item_kind)),
                "name": item.payee_name,
                "amount": str(item.amount),
            }
        )
    for fee in evaluation.fees:
        if fee.financed and fee.amount:
            payee_type = FEE_PAYEE_TYPE.get(fee.fee_kind, "lender")
            payees.append(
                {
                    "payee_type": payee_type,
                    "party": payee_type,
                    "item": f"fee:{fee.fee_kind}",
                    "label": _(FEE_KIND_LABELS.get(fee.fee_kind, fee.fee_kind)),
                    "name": lender_name() if payee_type == "lender" else _("GPS 服务商"),
                    "amount": str(fee.amount),
                }
            )
    total = sum((Decimal(p["amount"]) for p in payees), Decimal("0.00"))
    if total != evaluation.amount_financed:
        raise ContractError(
            _("收款方合计 %(total)s 与融资额 %(amount)s 不一致，请核对融资项目。")
            % {"total": total, "amount": evaluation.amount_financed}
        )
    return payees
