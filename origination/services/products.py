"""Products and pricing use cases: create a product, open a draft, edit it, publish it; record
the loan prime rate; change the regulatory limits. Every change writes an audit row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from origination.models import (
    LprRate,
    Product,
    ProductVersion,
    RateTableEntry,
    VersionStatus,
)
from origination.quoting.validation import rules_validate
from origination.quoting.violations import Violation
from origination.selectors.products import quoting_cache_clear, regulatory_caps

# The draft fields a product manager edits (everything but the bookkeeping columns).
VERSION_RULE_FIELDS = (
    "terms",
    "max_term_months",
    "methods",
    "balloon_ratio_min",
    "balloon_ratio_max",
    "ltv_rules",
    "amount_min",
    "amount_max",
    "day_count",
    "rate_basis",
    "lpr_tenor",
    "fees",
    "penalty_markup",
    "lock_in_months",
    "early_settlement_fee_rate",
    "subsidy_customer_rate",
    "subsidy_terms",
    "subsidy_payer",
    "financed_items",
    "waterfall",
    "leaseback_title",
)

# (term_months, tier, annual_rate or None, spread_bps or None)
RateRow = tuple[int, str, Decimal | None, int | None]


class ProductVersionImmutableError(Exception):
    """A published version was asked to change."""


class ProductRulesInvalidError(Exception):
    """The draft's rules cannot be published; ``violations`` says why."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(v.render() for v in violations))
        self.violations = violations


def product_create(
    *,
    actor: Any,
    code: str,
    name: str,
    vehicle_kind: str,
    contract_type: str,
    secured: bool = True,
    description: str = "",
    sort_order: int = 100,
    rules: dict[str, Any],
    rates: Iterable[RateRow] = (),
    purpose: str = "vehicle",
) -> Product:
    """A new product with its first draft version (number 1) holding ``rules`` and ``rates``.
    ``purpose``: a car, or maintenance / insurance-renewal credit (unsecured, no car rules)."""
    with transaction.atomic():
        product = Product.objects.create(
            code=code,
            name=name,
            vehicle_kind=vehicle_kind,
            contract_type=contract_type,
            secured=secured,
            purpose=purpose,
            description=description,
            sort_order=sort_order,
        )
        version = ProductVersion.objects.create(
            product=product,
            number=1,
            created_by=_user(actor),
            **_rule_fields(rules),
        )
        _rates_replace(version, rates)
        audit_record(actor=actor, obj=product, action="product_create", to_state="draft")
        return product


def product_draft_open(*, actor: Any, product: Product, change_note: str = "") -> ProductVersion:
    """The product's draft version; if there is none, a copy of the latest version (rules and
    rate table) numbered one above the highest number so far."""
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        draft = product.versions.filter(status=VersionStatus.DRAFT).first()
        if draft is not None:
            return draft
        latest = product.versions.order_by("-number").first()
        number = (product.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        fields = {f: getattr(latest, f) for f in VERSION_RULE_FIELDS} if latest else {}
        draft = ProductVersion.objects.create(
            product=product,
            number=number,
            change_note=change_note,
            created_by=_user(actor),
            **fields,
        )
        if latest is not None:
            RateTableEntry.objects.bulk_create(
                RateTableEntry(
                    version=draft,
                    term_months=e.term_months,
                    tier=e.tier,
                    annual_rate=e.annual_rate,
                    spread_bps=e.spread_bps,
                )
                for e in latest.rate_entries.all()
            )
        audit_record(
            actor=actor, obj=draft, action="product_draft_open", to_state="draft",
            reason=change_note,
        )  # fmt: skip
        return draft


def product_version_update(
    *,
    actor: Any,
    version: ProductVersion,
    rules: dict[str, Any] | None = None,
    rates: Iterable[RateRow] | None = None,
    change_note: str | None = None,
) -> ProductVersion:
    """Edit a draft's rules and/or replace its rate table. Published versions refuse."""
    with transaction.atomic():
        version = ProductVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise ProductVersionImmutableError(f"{version} is published")
        for name, value in _rule_fields(rules or {}).items():
            setattr(version, name, value)
        if change_note is not None:
            version.change_note = change_note
        version.save()
        if rates is not None:
            _rates_replace(version, rates)
        audit_record(actor=actor, obj=version, action="product_version_update", to_state="draft")
        return version


def product_version_grid_save(
    *, actor: Any, version: ProductVersion, rules: dict[str, Any], rates: list[RateRow]
) -> ProductVersion:
    """Save a draft's rules (any of VERSION_RULE_FIELDS, as the version stores them) and its rate
    table from the product editor, only if the rules they make pass ``rules_validate`` (the
    publish check); otherwise ProductRulesInvalidError and nothing is saved."""
    fields = _rule_fields(rules)
    with transaction.atomic():
        version = ProductVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise ProductVersionImmutableError(f"{version} is published")
        key = "annual_rate" if version.rate_basis == "fixed" else "spread_bps"
        # The rules the fields make, built as publication builds them (the subsidy's three
        # fields become one rule); the instance is re-read before anything is saved.
        for name, value in fields.items():
            setattr(version, name, value)
        candidate = {
            **version.rules_build(),
            "rates": [
                {"term_months": t, "tier": k, key: str(a if key == "annual_rate" else s)}
                for t, k, a, s in rates
            ],
        }
        problems = rules_validate(candidate, caps=regulatory_caps())
        if problems:
            raise ProductRulesInvalidError(problems)
        return product_version_update(actor=actor, version=version, rules=fields, rates=rates)


def product_version_publish(*, actor: Any, version: ProductVersion) -> ProductVersion:
    """Freeze a draft: check its rules against the regulatory limits, store the snapshot and
    mark it published. From then on the database refuses changes to it.

    Four eyes: pages and the admin go through origination.approvals.product_version_publish_submit;
    this runs on its own only while the policy four_eyes.product_publish is off."""
    four_eyes_gate("product_publish")
    with transaction.atomic():
        Product.objects.select_for_update().get(pk=version.product_id)
        version = ProductVersion.objects.select_related("product").get(pk=version.pk)
        if version.is_published:
            raise ProductVersionImmutableError(f"{version} is already published")
        snapshot = version.rules_build()
        problems = rules_validate(snapshot, caps=regulatory_caps())
        if problems:
            raise ProductRulesInvalidError(problems)
        version.rules = snapshot
        version.status = VersionStatus.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = _user(actor)
        version.save(update_fields=["rules", "status", "published_at", "published_by"])
        audit_record(
            actor=actor,
            obj=version,
            action="product_version_publish",
            from_state="draft",
            to_state="published",
            reason=version.change_note,
            data={"version": version.number},
        )
        transaction.on_commit(quoting_cache_clear)
        return version


def lpr_rate_record(*, actor: Any, tenor: str, rate: Decimal, effective_date: date) -> LprRate:
    """Record a published LPR (idempotent for the same tenor and date and rate)."""
    with transaction.atomic():
        lpr, created = LprRate.objects.get_or_create(
            tenor=tenor, effective_date=effective_date, defaults={"rate": rate}
        )
        if not created and lpr.rate != rate:
            old = lpr.rate
            lpr.rate = rate
            lpr.save(update_fields=["rate"])
            audit_record(
                actor=actor, obj=lpr, action="lpr_rate_correct", from_state=str(old),
                to_state=str(rate),
            )  # fmt: skip
        elif created:
            audit_record(actor=actor, obj=lpr, action="lpr_rate_record", to_state=str(rate))
        transaction.on_commit(quoting_cache_clear)
        return lpr


def _rule_fields(rules: dict[str, Any]) -> dict[str, Any]:
    unknown = set(rules) - set(VERSION_RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown product rule fields: {sorted(unknown)}")
    return dict(rules)


def _rates_replace(version: ProductVersion, rates: Iterable[RateRow]) -> None:
    version.rate_entries.all().delete()
    RateTableEntry.objects.bulk_create(
        RateTableEntry(
            version=version,
            term_months=term,
            tier=tier,
            annual_rate=annual_rate,
            spread_bps=spread_bps,
        )
        for term, tier, annual_rate, spread_bps in rates
    )


def _user(actor: Any):
    return actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None
