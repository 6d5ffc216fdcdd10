"""The product manager's rate grid for a draft version: one input per term × tier of the rate
table. Rates are typed as percentages (6.5 = 6.5 %), LPR spreads in basis points. The rest of
the editor is in ``origination.forms.product_rules``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from autofin.fields import PlainDecimalField
from autofin.pricing import quantize_rate
from origination.quoting.vocabulary import TIERS

HUNDRED = Decimal(100)


def rate_field_name(term: int, tier: str) -> str:
    return f"rate_{term}_{tier}"


class ProductGridForm(forms.Form):
    """Built from a draft's rules (``current_rules()`` dict) and the terms to show (the draft's,
    plus any just ticked); ``rates(terms=…)`` gives the service's rate rows."""

    def __init__(self, *args, rules: dict, terms: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms
        self.lpr = rules["rate_basis"] == "lpr"
        key = "spread_bps" if self.lpr else "annual_rate"
        table = {(r["term_months"], r["tier"]): r[key] for r in rules["rates"]}
        for term in terms:
            for tier in TIERS:
                value = table.get((term, tier))
                self.fields[rate_field_name(term, tier)] = PlainDecimalField(
                    required=False,
                    decimal_places=0 if self.lpr else 4,
                    label=gettext_lazy("%(term)s 期 %(tier)s 类") % {"term": term, "tier": tier},
                    initial=None if value is None else _shown(value, percent=not self.lpr),
                )

    def rate_rows(self) -> list[tuple[int, list]]:
        """(term, [bound field per tier]) for the template's grid."""
        return [
            (term, [self[rate_field_name(term, tier)] for tier in TIERS]) for term in self.terms
        ]

    def rates(self, *, terms: list[int]) -> list:
        """The filled cells of the chosen ``terms`` as (term, tier, annual rate, spread) rows:
        a term left unticked takes its rates away with it."""
        rates = []
        for term in terms:
            for tier in TIERS:
                value = self.cleaned_data.get(rate_field_name(term, tier))
                if value is None:
                    continue
                if self.lpr:
                    rates.append((term, tier, None, int(value)))
                else:
                    rates.append((term, tier, quantize_rate(value / HUNDRED), None))
        return rates

    def cell_error(self, params, text: str) -> bool:
        """Put a rate violation beside its cell; False when the grid has no such cell."""
        name = rate_field_name(params.get("term"), params.get("tier"))
        if name not in self.fields:
            return False
        self.add_error(name, text)
        return True


def percent_shown(value) -> Decimal | None:
    """A stored ratio as the percentage typed on the page (0.065 -> 6.5)."""
    return None if value is None else _shown(value, percent=True)


def plain(value) -> Decimal:
    """Without trailing zeros and never in exponent form (normalize() turns 20000 into 2E+4)."""
    return Decimal(format(Decimal(str(value)).normalize(), "f"))


def _shown(value, *, percent: bool) -> Decimal:
    number = Decimal(str(value))
    return plain(number * HUNDRED) if percent else plain(number)
