"""Output serializers: what the products and quotes endpoints return."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from autofin.pricing import apr_percent
from origination.models import (
    ContractType,
    FeeKind,
    ProductVersion,
    Quote,
    RepaymentMethod,
    VehicleKind,
)

APR_LABEL = _("年化利率（IRR 法，依据中国人民银行公告〔2021〕第 3 号）")


class ProductOutput(serializers.Serializer):
    """A product with its current published rules."""

    def to_representation(self, version: ProductVersion) -> dict:
        product = version.product
        return {
            "id": product.pk,
            "code": product.code,
            "name": product.name,
            "description": product.description,
            "vehicle_kind": product.vehicle_kind,
            "vehicle_kind_label": str(VehicleKind(product.vehicle_kind).label),
            "contract_type": product.contract_type,
            "contract_type_label": str(ContractType(product.contract_type).label),
            "secured": product.secured,
            "version": {
                "id": version.pk,
                "number": version.number,
                "published_at": version.published_at.isoformat() if version.published_at else None,
            },
            "rules": version.rules,
        }


class QuoteOutput(serializers.Serializer):
    def to_representation(self, quote: Quote) -> dict:
        version = quote.product_version
        product = version.product
        request = self.context.get("request")

        def url(name: str) -> str:
            path = reverse(name, kwargs={"reference": quote.reference})
            return request.build_absolute_uri(path) if request is not None else path

        rules = version.rules
        return {
            "id": str(quote.reference),
            "url": url("api-quotes-detail"),
            "created_at": quote.created_at.isoformat(),
            "product": {
                "id": product.pk,
                "code": product.code,
                "name": product.name,
                "contract_type": product.contract_type,
                "secured": product.secured,
            },
            "product_version": {"id": version.pk, "number": version.number},
            "vehicle": {
                "kind": quote.vehicle_kind,
                "use": quote.vehicle_use,
                "price": str(quote.vehicle_price),
                "first_registration_date": (
                    quote.first_registration_date.isoformat()
                    if quote.first_registration_date
                    else None
                ),
            },
            "down_payment": str(quote.down_payment),
            "down_payment_ratio": str(quote.down_payment_ratio),
            "ltv": str(quote.ltv),
            "term_months": quote.term_months,
            "method": quote.method,
            "method_label": str(RepaymentMethod(quote.method).label),
            "balloon_ratio": None if quote.balloon_ratio is None else str(quote.balloon_ratio),
            "balloon_amount": str(quote.balloon_amount),
            "tier": quote.tier,
            "add_ons": quote.add_ons,
            "value_date": quote.value_date.isoformat(),
            "vehicle_amount_financed": str(quote.vehicle_amount_financed),
            "add_ons_total": str(quote.add_ons_total),
            "fees": {
                "items": [
                    {**fee, "label": str(FeeKind(fee["fee_kind"]).label)} for fee in quote.fees
                ],
                "financed_total": str(quote.financed_fees),
                "upfront_total": str(quote.upfront_fees),
            },
            "amount_financed": str(quote.amount_financed),
            "rates": {
                "customer_rate": str(quote.customer_rate),
                "lender_yield": str(quote.lender_rate),
                "subsidised": quote.customer_rate < quote.lender_rate,
                "subsidy_amount": str(quote.subsidy_amount),
                "subsidy_payer": (rules.get("subsidy") or {}).get("payer") or None,
                "lpr": (
                    {
                        "tenor": rules.get("lpr_tenor"),
                        "rate": str(quote.lpr_rate),
                        "effective_date": quote.lpr_effective_date.isoformat(),
                    }
                    if quote.lpr_rate is not None
                    else None
                ),
                "penalty_rate": str(quote.penalty_rate),
                "day_count": quote.day_count,
            },
            "apr": {
                "value": str(quote.apr),
                "percent": str(apr_percent(quote.apr)),
                "method": quote.apr_method,
                "label": str(APR_LABEL),
            },
            "early_settlement": {
                "lock_in_months": rules.get("lock_in_months"),
                "fee_rate": rules.get("early_settlement_fee_rate"),
            },
            "totals": {
                "monthly_payment": str(quote.monthly_payment),
                "total_interest": str(quote.total_interest),
                "total_payable": str(quote.total_payable),
                "instalments": len(quote.schedule),
            },
            "schedule": quote.schedule,
            "documents": {
                "csv": url("origination:quote_schedule_csv"),
                "pdf": url("origination:quote_schedule_pdf"),
            },
        }
