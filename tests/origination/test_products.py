"""Products and versions on PostgreSQL: publish, immutability, drafts, quotes keep their version."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction

from autofin.roles import Role
from origination.models import ProductVersion, Quote, RateTableEntry, RegulatoryLimits
from origination.quoting.deal import Deal
from origination.selectors.products import product_version_current, product_versions_current
from origination.services.products import (
    ProductRulesInvalidError,
    ProductVersionImmutableError,
    product_create,
    product_draft_open,
    product_version_update,
)
from origination.services.quotes import QuoteRejectedError, quote_create
from tests.approvals_support import product_publish, second_person
from tests.audit_trail import audit_trail_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RULES = {
    "terms": [12, 24, 36],
    "max_term_months": 36,
    "methods": ["equal_instalment"],
    "ltv_rules": [
        {"vehicle_kind": "new", "vehicle_use": "personal", "min_down_payment_ratio": "0.20", "max_ltv": "0.80"}
    ],
    "amount_min": D("20000.00"),
    "amount_max": D("500000.00"),
    "day_count": "30/360",
}  # fmt: skip


def rates(rate: str):
    return [(t, k, D(rate), None) for t in (12, 24, 36) for k in "ABCD"]


def make_product(actor="test", code="p1", **rules):
    product = product_create(
        actor=actor,
        code=code,
        name="测试贷",
        vehicle_kind="new",
        contract_type="loan",
        rules={**RULES, **rules},
        rates=rates("0.0600"),
    )
    return product, product.versions.get(number=1)


def a_deal(**changes) -> Deal:
    fields = {
        "vehicle_kind": "new",
        "vehicle_use": "personal",
        "vehicle_price": D("100000.00"),
        "term_months": 12,
        "method": "equal_instalment",
        "tier": "A",
        "down_payment_ratio": D("0.20"),
    }
    fields.update(changes)
    return Deal(**fields)


def test_publishing_freezes_the_rules_as_a_snapshot_and_audits():
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    checker = second_person(pm)
    product, draft = make_product(actor=pm)

    published = product_publish(draft, maker=pm, checker=checker)

    assert published.status == "published"
    # Published when the second product manager approved it; the audit row names both.
    assert published.published_by == checker
    assert published.rules["version"] == 1
    assert published.rules["rates"][0] == {
        "term_months": 12,
        "tier": "A",
        "annual_rate": "0.060000",
    }
    assert len(published.rules["rates"]) == 12
    [entry] = audit_trail_for(published)
    assert (entry.action, entry.actor) == ("product_version_publish", checker)
    assert entry.data["four_eyes"]["maker"] == pm.username
    assert entry.data["four_eyes"]["checker"] == checker.username
    assert product_versions_current() == [published]


def test_a_published_version_and_its_rate_table_are_immutable_in_the_database():
    product, draft = make_product()
    version = product_publish(draft)

    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVersion.objects.filter(pk=version.pk).update(max_term_months=60)
    with pytest.raises(IntegrityError), transaction.atomic():
        RateTableEntry.objects.filter(version=version).update(annual_rate=D("0.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        RateTableEntry.objects.create(
            version=version, term_months=48, tier="A", annual_rate=D("0.05")
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM origination_productversion WHERE id = %s", [version.pk])
    with pytest.raises(ProductVersionImmutableError):
        product_version_update(actor="test", version=version, rules={"max_term_months": 60})

    version.refresh_from_db()
    assert version.max_term_months == 36
    assert version.rate_entries.filter(annual_rate=D("0.0600")).count() == 12


def test_editing_opens_a_draft_numbered_next_that_copies_the_rate_table():
    product, draft = make_product()
    product_publish(draft)

    new_draft = product_draft_open(actor="test", product=product, change_note="降价")

    assert (new_draft.number, new_draft.status) == (2, "draft")
    assert new_draft.rate_entries.count() == 12
    assert new_draft.terms == [12, 24, 36]
    # Only one draft at a time: opening again returns the same one.
    assert product_draft_open(actor="test", product=product) == new_draft
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVersion.objects.create(product=product, number=3, **dict(RULES.items()))


def test_quotes_keep_their_version_and_figures_after_a_later_publish():
    product, draft = make_product()
    v1 = product_publish(draft)
    old_quote = quote_create(actor=None, version=v1, deal=a_deal())
    old_row = Quote.objects.filter(pk=old_quote.pk).values().get()

    draft = product_draft_open(actor="test", product=product)
    product_version_update(actor="test", version=draft, rates=rates("0.0400"))
    v2 = product_publish(draft)
    new_quote = quote_create(
        actor=None, version=product_version_current(product=product), deal=a_deal()
    )

    assert Quote.objects.filter(pk=old_quote.pk).values().get() == old_row
    assert old_quote.product_version == v1
    assert old_quote.customer_rate == D("0.0600")
    assert new_quote.product_version == v2
    assert new_quote.customer_rate == D("0.0400")
    assert old_quote.monthly_payment == D("6885.31")
    assert new_quote.monthly_payment == D("6811.99")


def test_publishing_rules_beyond_the_regulatory_limits_is_refused_and_nothing_changes():
    product, draft = make_product(
        ltv_rules=[{"vehicle_kind": "new", "vehicle_use": "personal", "min_down_payment_ratio": "0.10", "max_ltv": "0.90"}]
    )  # fmt: skip

    with pytest.raises(ProductRulesInvalidError) as exc:
        product_publish(draft)

    assert [v.render() for v in exc.value.violations] == [
        "贷款价值比上限 90% 超过自用车 80% 的监管上限"
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.rules, draft.published_at) == ("draft", {}, None)


def test_a_tightened_regulatory_limit_applies_to_quotes_on_published_versions():
    product, draft = make_product()
    version = product_publish(draft)
    assert quote_create(actor=None, version=version, deal=a_deal())

    # tightened the way the back office does it (the admin's form saves the row)
    RegulatoryLimits.objects.update_or_create(pk=1, defaults={"ltv_personal": D("0.7500")})

    with pytest.raises(QuoteRejectedError) as exc:
        quote_create(actor=None, version=version, deal=a_deal())
    assert exc.value.violations["ltv"][0].render() == "贷款价值比 80% 超过自用车 75% 的监管上限"
    assert Quote.objects.count() == 1


def test_seed_publishes_a_product_per_line_with_quotes(seeded):
    products = seeded["products"]
    assert set(products) == {"new-std", "nev-lease", "used-loan", "comm-slb", "oem-zero",
                             "lease-new", "lease-back", "maintenance",
                             "insurance-renewal"}  # fmt: skip
    maintenance = products["maintenance"]  # issue 21: the unsecured maintenance credit
    assert (maintenance.purpose, maintenance.secured) == ("maintenance", False)
    lines = {(p.vehicle_kind, p.contract_type) for p in products.values()}
    assert {"new", "used", "nev", "commercial"} == {kind for kind, _ in lines}
    assert {"loan", "direct_lease", "sale_leaseback"} == {ct for _, ct in lines}
    new_std = products["new-std"]
    assert list(new_std.versions.values_list("number", "status")) == [
        (2, "published"),
        (1, "published"),
    ]
    assert (
        Quote.objects.filter(product_version__product=new_std, product_version__number=1).count()
        == 2
    )
    used_quote = Quote.objects.filter(product_version__product__code="used-loan").first()
    assert used_quote.lpr_rate == D("0.030000")
    assert used_quote.customer_rate == D("0.075000")  # 1y LPR 3.00 % + 450 bp (tier B)
    oem = Quote.objects.filter(product_version__product__code="oem-zero").first()
    assert oem.customer_rate == D("0") and oem.lender_rate > 0 and oem.subsidy_amount > 0


@pytest.mark.parametrize("markup", ["0.29", "0.51"])
def test_publishing_a_penalty_markup_outside_30_to_50_percent_is_refused(markup):
    product, draft = make_product(penalty_markup=D(markup))

    with pytest.raises(ProductRulesInvalidError) as exc:
        product_publish(draft)

    assert [v.render() for v in exc.value.violations] == [
        f"罚息上浮比例 {int(D(markup) * 100)}% 不符合规定：罚息利率须在合同利率基础上上浮 30%–50%"
        "（中国人民银行银发〔2003〕251号）"
    ]
    draft.refresh_from_db()
    assert (draft.status, draft.rules, draft.published_at) == ("draft", {}, None)


@pytest.mark.parametrize("markup", ["0.30", "0.50"])
def test_publishing_a_penalty_markup_of_30_or_50_percent_is_accepted(markup):
    product, draft = make_product(penalty_markup=D(markup))

    product_publish(draft)

    draft.refresh_from_db()
    assert draft.status == "published"
    assert D(draft.rules["penalty_markup"]) == D(markup)


def test_a_zero_rate_subsidised_product_publishes_and_quotes_a_zero_penalty_rate():
    """The markup applies to the contract's rate: 0 % × 1.5 = 0 %, the figure the loan charges."""
    product, draft = make_product(
        penalty_markup=D("0.5"), subsidy_customer_rate=D("0"), subsidy_payer="星辰汽车"
    )
    version = product_publish(draft)

    quote = quote_create(version=version, deal=a_deal(), actor="test")

    assert (quote.customer_rate, quote.lender_rate) == (D("0"), D("0.060000"))
    assert quote.penalty_rate == D("0")


def test_a_per_instalment_fee_is_in_every_instalment_and_in_the_apr_never_financed():
    fee = {"fee_kind": "handling", "basis": "per_instalment", "value": "50.00", "financed": False}
    product, draft = make_product(fees=[fee])
    version = product_publish(draft)
    plain_product, plain_draft = make_product(code="p2")
    plain = product_publish(plain_draft)

    quote = quote_create(version=version, deal=a_deal(), actor="test")
    without = quote_create(version=plain, deal=a_deal(), actor="test")

    assert quote.amount_financed == without.amount_financed == D("80000.00")
    assert [row["fee"] for row in quote.schedule] == ["50.00"] * 12
    assert D(quote.schedule[0]["instalment"]) == D(without.schedule[0]["instalment"]) + 50
    assert quote.apr > without.apr  # the customer pays 600.00 more on the same 80,000.00
    assert quote.fees == [
        {"fee_kind": "handling", "amount": "50.00", "financed": False, "per_instalment": True}
    ]


def test_a_financed_per_instalment_fee_is_refused_at_publication():
    fee = {"fee_kind": "handling", "basis": "per_instalment", "value": "50.00", "financed": True}
    product, draft = make_product(fees=[fee])

    with pytest.raises(ProductRulesInvalidError) as exc:
        product_publish(draft)

    assert [v.render() for v in exc.value.violations] == [
        "按期收取的费用随每期还款支付，不能计入融资额"
    ]
