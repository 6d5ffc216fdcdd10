"""The product manager's grid for a draft version: one input per term × tier of the rate
table, the LTV cap and minimum down payment of each LTV rule, and the value of each fee.
Rates, ratios and percent fees are typed as percentages (6.5 = 6.5 %), LPR spreads in basis
points, fixed fees in yuan."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.fields import PlainDecimalField
from autofin.pricing import quantize_rate
from origination.quoting.vocabulary import TIERS

HUNDRED = Decimal(100)


def rate_field_name(term: int, tier: str) -> str:
    return f"rate_{term}_{tier}"


class ProductGridForm(forms.Form):
    """Built from a draft's rules (``current_rules()`` dict); ``rules_changes()`` gives the
    rates, ltv_rules and fees to save."""

    def __init__(self, *args, rules: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.lpr = rules["rate_basis"] == "lpr"
        key = "spread_bps" if self.lpr else "annual_rate"
        table = {(r["term_months"], r["tier"]): r[key] for r in rules["rates"]}
        for term in rules["terms"]:
            for tier in TIERS:
                value = table.get((term, tier))
                self.fields[rate_field_name(term, tier)] = PlainDecimalField(
                    required=False,
                    decimal_places=0 if self.lpr else 4,
                    label=gettext_lazy("%(term)s 期 %(tier)s 类") % {"term": term, "tier": tier},
                    initial=None if value is None else _shown(value, percent=not self.lpr),
                )
        for i, rule in enumerate(rules["ltv_rules"]):
            self.fields[f"ltv_{i}"] = PlainDecimalField(
                min_value=0, max_value=100, decimal_places=2, label=_("贷款价值比上限（%）"),
                initial=_shown(rule["max_ltv"], percent=True),
            )  # fmt: skip
            self.fields[f"down_{i}"] = PlainDecimalField(
                min_value=0, max_value=100, decimal_places=2, label=_("最低首付比例（%）"),
                initial=_shown(rule["min_down_payment_ratio"], percent=True),
            )  # fmt: skip
        for i, fee in enumerate(rules["fees"]):
            percent = fee["basis"] == "percent"
            self.fields[f"fee_{i}"] = PlainDecimalField(
                min_value=0, decimal_places=4 if percent else 2,
                label=_("费率（%）") if percent else _("金额（元）"),
                initial=_shown(fee["value"], percent=percent),
            )  # fmt: skip

    def rate_rows(self) -> list[tuple[int, list]]:
        """(term, [bound field per tier]) for the template's grid."""
        return [
            (term, [self[rate_field_name(term, tier)] for tier in TIERS])
            for term in self.rules["terms"]
        ]

    def ltv_rows(self) -> list[tuple[dict, object, object]]:
        return [
            (rule, self[f"down_{i}"], self[f"ltv_{i}"])
            for i, rule in enumerate(self.rules["ltv_rules"])
        ]

    def fee_rows(self) -> list[tuple[dict, object]]:
        return [(fee, self[f"fee_{i}"]) for i, fee in enumerate(self.rules["fees"])]

    def rules_changes(self) -> dict:
        """The cleaned grid as the service's ``rates`` rows and ``ltv_rules`` / ``fees`` lists."""
        data = self.cleaned_data
        rates = []
        for term in self.rules["terms"]:
            for tier in TIERS:
                value = data.get(rate_field_name(term, tier))
                if value is None:
                    continue
                if self.lpr:
                    rates.append((term, tier, None, int(value)))
                else:
                    rates.append((term, tier, quantize_rate(value / HUNDRED), None))
        ltv_rules = [
            {
                **rule,
                "max_ltv": str(data[f"ltv_{i}"] / HUNDRED),
                "min_down_payment_ratio": str(data[f"down_{i}"] / HUNDRED),
            }
            for i, rule in enumerate(self.rules["ltv_rules"])
        ]
        fees = [
            {
                **fee,
                "value": str(
                    data[f"fee_{i}"] / HUNDRED if fee["basis"] == "percent" else data[f"fee_{i}"]
                ),
            }
            for i, fee in enumerate(self.rules["fees"])
        ]
        return {"rates": rates, "ltv_rules": ltv_rules, "fees": fees}

    def violations_show(self, violations) -> None:
        """Put each rules_validate violation next to its cell or field (else on the form)."""
        for v in violations:
            text = v.render(_)
            if v.field == "rates" and "term" in v.params and "tier" in v.params:
                self.add_error(rate_field_name(v.params["term"], v.params["tier"]), text)
            elif v.field == "ltv_rules" and self.rules["ltv_rules"]:
                self.add_error("ltv_0", text)
            elif v.field == "fees" and self.rules["fees"]:
                self.add_error("fee_0", text)
            else:
                self.add_error(None, text)


def _shown(value, *, percent: bool) -> Decimal:
    number = Decimal(str(value))
    return (number * HUNDRED).normalize() if percent else number.normalize()
