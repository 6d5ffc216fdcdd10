"""Quotes: price a deal on a product's current version (``quote_preview``) and save it
(``quote_create``). The rules themselves are in the Django-free ``origination.quoting``."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext

from autofin.pricing import ReadOutRow
from origination.models import ProductVersion, Quote
from origination.quoting.deal import Deal, QuoteEvaluation
from origination.quoting.evaluation import quote_evaluate
from origination.quoting.violations import Violations
from origination.selectors.products import (
    lpr_rate_current,
    product_rules,
    quoting_business_date,
    regulatory_caps,
)


class QuoteRejectedError(Exception):
    """The deal breaks the product's rules or the regulatory limits."""

    def __init__(self, violations: Violations) -> None:
        super().__init__(
            "; ".join(f"{k}: {v.render()}" for k, items in violations.items() for v in items)
        )
        self.violations = violations


@dataclasses.dataclass(frozen=True)
class PricedDeal:
    version: ProductVersion
    deal: Deal  # with the value date and LPR filled in
    evaluation: QuoteEvaluation
    lpr_effective_date: Any = None


def quote_preview(*, version: ProductVersion, deal: Deal) -> PricedDeal:
    """Price ``deal`` on ``version`` as of the business date, saving nothing."""
    rules = product_rules(version=version)
    value_date = deal.value_date or quoting_business_date()
    lpr = None
    if rules.rate_basis == "lpr" and rules.lpr_tenor:
        lpr = lpr_rate_current(tenor=rules.lpr_tenor, as_of=value_date)
    deal = dataclasses.replace(
        deal, value_date=value_date, lpr_rate=lpr.rate if lpr is not None else None
    )
    evaluation = quote_evaluate(rules, deal, caps=regulatory_caps())
    return PricedDeal(
        version=version,
        deal=deal,
        evaluation=evaluation,
        lpr_effective_date=lpr.effective_date if lpr is not None else None,
    )


def quote_create(*, actor: Any, version: ProductVersion, deal: Deal) -> Quote:
    """Price and save a quote on ``version``; raise ``QuoteRejectedError`` naming every rule the
    deal breaks (nothing is saved then)."""
    if not version.is_published:
        raise ValueError("quotes are made on published versions only")
    priced = quote_preview(version=version, deal=deal)
    evaluation, deal = priced.evaluation, priced.deal
    if not evaluation.ok:
        raise QuoteRejectedError(evaluation.violations)
    schedule = evaluation.schedule
    totals = schedule.totals
    with transaction.atomic():
        # A quote moves no money and can be priced again: it need not wait for the WAL flush
        # (asynchronous commit can lose the last few hundred ms of quotes on a database crash,
        # never corrupt anything). This transaction only; applications and money keep the
        # server's synchronous commit.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        return Quote.objects.create(
            product_version=version,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            vehicle_kind=deal.vehicle_kind,
            vehicle_use=deal.vehicle_use,
            vehicle_price=deal.vehicle_price,
            first_registration_date=deal.first_registration_date,
            down_payment=evaluation.down_payment,
            down_payment_ratio=evaluation.down_payment_ratio,
            term_months=deal.term_months,
            method=deal.method,
            balloon_ratio=deal.balloon_ratio if deal.method == "balloon" else None,
            balloon_amount=evaluation.balloon_amount,
            tier=deal.tier,
            add_ons=[{"item_kind": a.item_kind, "amount": str(a.amount)} for a in deal.add_ons],
            value_date=deal.value_date,
            vehicle_amount_financed=evaluation.vehicle_amount_financed,
            ltv=evaluation.ltv,
            add_ons_total=evaluation.add_ons_total,
            fees=[
                {
                    "fee_kind": f.fee_kind,
                    "amount": str(f.amount),
                    "financed": f.financed,
                    "per_instalment": f.per_instalment,
                }
                for f in evaluation.fees
            ],
            financed_fees=evaluation.financed_fees,
            upfront_fees=evaluation.upfront_fees,
            amount_financed=evaluation.amount_financed,
            customer_rate=evaluation.customer_rate,
            lender_rate=evaluation.lender_rate,
            subsidy_amount=evaluation.subsidy_amount,
            lpr_rate=deal.lpr_rate,
            lpr_effective_date=priced.lpr_effective_date,
            apr=evaluation.apr,
            apr_method=evaluation.apr_method,
            penalty_rate=evaluation.penalty_rate,
            day_count=schedule.day_count.value,
            monthly_payment=evaluation.monthly_payment,
            total_interest=totals.interest,
            total_payable=totals.instalments,
            schedule=[schedule_row_json(row) for row in schedule.rows_read_out()],
        )


def schedule_row_json(row: ReadOutRow) -> dict:
    """A read-out row (`Schedule.rows_read_out`) as JSON: dates ISO, money as strings."""
    return {
        "instalment_no": row.instalment_no,
        "due_date": row.due_date.isoformat(),
        "opening_balance": str(row.opening_balance),
        "principal": str(row.principal),
        "interest": str(row.interest),
        "fee": str(row.fee),
        "instalment": str(row.instalment),
        "closing_balance": str(row.closing_balance),
    }


def violations_messages(violations: Violations) -> dict[str, list[str]]:
    """The violations as translated messages per field (the API's and the forms' errors)."""
    return {name: [v.render(gettext) for v in items] for name, items in violations.items()}
