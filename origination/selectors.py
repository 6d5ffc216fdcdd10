"""Read queries for products, rates and quotes (views, the API and other apps call these)."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Max, Q, QuerySet

from origination.models import LprRate, Product, ProductVersion, Quote, RegulatoryLimits
from origination.quoting import ProductRules, RegulatoryCaps

# Published versions never change (database triggers), so their parsed rules can be kept for
# the life of the process.
_PARSED_RULES: dict[int, ProductRules] = {}


def product_versions_current(*, active_only: bool = True) -> list[ProductVersion]:
    """The current (highest published) version of each product, in the products' order."""
    qs = ProductVersion.objects.filter(status="published").select_related("product")
    if active_only:
        qs = qs.filter(product__is_active=True)
    latest = qs.order_by("product_id", "-number").distinct("product_id")
    return sorted(latest, key=lambda v: (v.product.sort_order, v.product.code))


def product_version_current(*, product: Product) -> ProductVersion | None:
    return (
        ProductVersion.objects.filter(product=product, status="published")
        .select_related("product")
        .order_by("-number")
        .first()
    )


def product_version_for_quote(*, product_ref: str | int) -> ProductVersion | None:
    """The current version of an active product named by code or id."""
    ref = str(product_ref).strip()
    match = Q(product__code=ref)
    if ref.isdigit():
        match |= Q(product_id=int(ref))
    return (
        ProductVersion.objects.filter(match, status="published", product__is_active=True)
        .select_related("product")
        .order_by("-number")
        .first()
    )


def product_rules(*, version: ProductVersion) -> ProductRules:
    """The parsed rules of a version (cached for published versions)."""
    if not version.is_published:
        return ProductRules.from_dict(version.rules_build())
    parsed = _PARSED_RULES.get(version.pk)
    if parsed is None:
        parsed = _PARSED_RULES[version.pk] = ProductRules.from_dict(version.rules)
    return parsed


def product_list_for_managers() -> QuerySet[Product]:
    return Product.objects.annotate(
        version_count=Count("versions"),
        published_number=Max("versions__number", filter=Q(versions__status="published")),
        has_draft=Count("versions", filter=Q(versions__status="draft")),
    ).order_by("sort_order", "code")


def product_versions(*, product: Product) -> QuerySet[ProductVersion]:
    return product.versions.select_related("published_by", "created_by").order_by("-number")


def lpr_rate_current(*, tenor: str, as_of: date) -> LprRate | None:
    """The LPR in force on ``as_of``: the latest published on or before it."""
    return (
        LprRate.objects.filter(tenor=tenor, effective_date__lte=as_of)
        .order_by("-effective_date")
        .first()
    )


def lpr_rates_latest() -> list[LprRate]:
    return [r for tenor in ("1y", "5y") if (r := LprRate.objects.filter(tenor=tenor).first())]


def regulatory_limits() -> RegulatoryLimits:
    limits = RegulatoryLimits.objects.filter(pk=1).first()
    return limits if limits is not None else RegulatoryLimits(pk=1)


def regulatory_caps() -> RegulatoryCaps:
    return regulatory_limits().caps()


def quote_get(*, reference) -> Quote | None:
    return (
        Quote.objects.select_related("product_version__product").filter(reference=reference).first()
    )


def quotes_recent(*, limit: int = 20) -> QuerySet[Quote]:
    return Quote.objects.select_related("product_version__product")[:limit]
