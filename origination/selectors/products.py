"""Read queries for products, rates and quotes (views, the API and other apps call these)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from autofin.business_date import business_date_current
from origination.models import LprRate, Product, ProductVersion, Quote, RegulatoryLimits
from origination.models.products import ProductPurpose
from origination.quoting.caps import RegulatoryCaps
from origination.quoting.rules import ProductRules

# Published versions never change (database triggers), so their parsed rules can be kept for
# the life of the process.
_PARSED_RULES: dict[int, ProductRules] = {}

# Quoting reads the same few rows on every request (the current version of a product, the
# regulatory limits, the LPR, the business date). Each process keeps them for a few seconds:
# a publish or a limits change made elsewhere reaches every worker within that time (the
# process that made it sees it at once: the services call ``quoting_cache_clear``). Off in tests.
T = TypeVar("T")
_CACHE: dict[tuple, tuple[float, object]] = {}


def _cache_seconds() -> float:
    return settings.ORIGINATION_QUOTE_CACHE_SECONDS


def _cached(key: tuple, load: Callable[[], T]) -> T:
    ttl = _cache_seconds()
    if ttl <= 0:
        return load()
    now = time.monotonic()
    hit = _CACHE.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]  # type: ignore[return-value]
    value = load()
    _CACHE[key] = (now + ttl, value)
    return value


def quoting_cache_clear() -> None:
    _CACHE.clear()


def quoting_business_date() -> date:
    """The business date quotes are priced on (cached briefly, like the rules)."""
    return _cached(("business_date",), business_date_current)


def product_versions_current(*, active_only: bool = True) -> list[ProductVersion]:
    """The current (highest published) version of each product, in the products' order."""
    qs = ProductVersion.objects.filter(status="published").select_related("product")
    if active_only:
        qs = qs.filter(product__is_active=True)
    latest = qs.order_by("product_id", "-number").distinct("product_id")
    return sorted(latest, key=lambda v: (v.product.sort_order, v.product.code))


def vehicle_product_versions_current() -> list[ProductVersion]:
    """The products a car is applied for, quoted and listed with: a purpose product (maintenance
    credit, insurance renewal) is taken up only through an existing customer's offer, never chosen
    in the calculator, the application or the public product list."""
    return [v for v in product_versions_current() if v.product.purpose == ProductPurpose.VEHICLE]


def product_version_current(*, product: Product) -> ProductVersion | None:
    return (
        ProductVersion.objects.filter(product=product, status="published")
        .select_related("product")
        .order_by("-number")
        .first()
    )


def purpose_product_version(*, purpose: str) -> ProductVersion | None:
    """The current version of the first active product financing `purpose` (maintenance,
    insurance_renewal): the product an existing customer's offer of that kind is taken up on."""
    for version in product_versions_current():
        if version.product.purpose == purpose:
            return version
    return None


def product_version_for_quote(*, product_ref: str | int) -> ProductVersion | None:
    """The current version of an active product named by code or id."""
    ref = str(product_ref).strip()
    return _cached(("version", ref), lambda: _product_version_for_quote(ref))


def _product_version_for_quote(ref: str) -> ProductVersion | None:
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
    return _cached(("lpr", tenor, as_of), lambda: _lpr_rate_current(tenor, as_of))


def _lpr_rate_current(tenor: str, as_of: date) -> LprRate | None:
    return (
        LprRate.objects.filter(tenor=tenor, effective_date__lte=as_of)
        .order_by("-effective_date")
        .first()
    )


def lpr_rates_latest() -> list[LprRate]:
    return [r for tenor in ("1y", "5y") if (r := LprRate.objects.filter(tenor=tenor).first())]


def regulatory_limits() -> RegulatoryLimits:
    limits = RegulatoryLimits.objects.filter(pk=1).first()
    if limits is None:
        # The row comes from a data migration; a flushed test database (or a hand-cleaned one)
        # gets it back with the model's defaults, read back so the fields are Decimals.
        RegulatoryLimits.objects.get_or_create(pk=1)
        limits = RegulatoryLimits.objects.get(pk=1)
    return limits


def regulatory_caps() -> RegulatoryCaps:
    return _cached(("caps",), lambda: regulatory_limits().caps())


def quote_get(*, reference) -> Quote | None:
    return (
        Quote.objects.select_related("product_version__product").filter(reference=reference).first()
    )
