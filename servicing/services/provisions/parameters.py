"""The ECL parameters in force on a date, read from audited business policy (autofin.policy):
the fallback 12-month PDs, the LGD inputs, the scenario weights and PD scalars, the general
reserve rate and the alert floors. The forward-looking overlay is the weighted scalar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from autofin.policy import policy_value

SIX = Decimal("0.000001")
SCENARIOS = ("base", "upside", "downside")
# the customer tiers of origination's rate table; '-' is a loan funded without one
TIERS = ("A", "B", "C", "D")
UNKNOWN = "-"


class ProvisionError(Exception):
    """A provision run that cannot be done; the message is fit to show the user."""


@dataclass(frozen=True)
class EclParameters:
    pd12_fallback: dict[str, Decimal]  # stage 1 by tier ('-' uses tier D's)
    pd12_fallback_stage2: Decimal
    pd12_floor: Decimal  # an observed PD is never below it (a cohort without defaults is not 0)
    pd_min_cohort: int
    lgd_floor: Decimal
    collateral_haircut: Decimal
    lgd_no_ltv: Decimal
    lgd_unsecured: Decimal
    weights: dict[str, Decimal]
    scalars: dict[str, Decimal]
    general_reserve_rate: Decimal
    coverage_floor: Decimal
    provision_ratio_floor: Decimal

    @property
    def overlay(self) -> Decimal:
        """The forward-looking PD scalar: Σ weight × scenario scalar."""
        total = sum((self.weights[s] * self.scalars[s] for s in SCENARIOS), Decimal(0))
        return total.quantize(SIX, rounding=ROUND_HALF_UP)

    def as_json(self) -> dict:
        return {
            "pd12_fallback": {k: str(v) for k, v in self.pd12_fallback.items()},
            "pd12_fallback_stage2": str(self.pd12_fallback_stage2),
            "pd12_floor": str(self.pd12_floor),
            "pd_min_cohort": self.pd_min_cohort,
            "lgd_floor": str(self.lgd_floor),
            "collateral_haircut": str(self.collateral_haircut),
            "lgd_no_ltv": str(self.lgd_no_ltv),
            "lgd_unsecured": str(self.lgd_unsecured),
            "weights": {k: str(v) for k, v in self.weights.items()},
            "scalars": {k: str(v) for k, v in self.scalars.items()},
            "general_reserve_rate": str(self.general_reserve_rate),
            "coverage_floor": str(self.coverage_floor),
            "provision_ratio_floor": str(self.provision_ratio_floor),
        }


def ecl_parameters(*, on: dt.date) -> EclParameters:
    """The parameters in force on `on`; refuses weights that do not add up to 1."""
    fallback = {t: policy_value(f"ecl.pd12_fallback_{t.lower()}", on=on) for t in TIERS}
    fallback[UNKNOWN] = fallback["D"]
    weights = {s: policy_value(f"ecl.scenario_weight_{s}", on=on) for s in SCENARIOS}
    if sum(weights.values()) != 1:
        raise ProvisionError(
            _("情景权重之和必须为 1（当前为 %(sum)s），请先调整业务参数。")
            % {"sum": sum(weights.values())}
        )
    return EclParameters(
        pd12_fallback=fallback,
        pd12_fallback_stage2=policy_value("ecl.pd12_fallback_stage2", on=on),
        pd12_floor=policy_value("ecl.pd12_floor", on=on),
        pd_min_cohort=policy_value("ecl.pd_min_cohort", on=on),
        lgd_floor=policy_value("ecl.lgd_floor", on=on),
        collateral_haircut=policy_value("ecl.collateral_haircut", on=on),
        lgd_no_ltv=policy_value("ecl.lgd_no_ltv", on=on),
        lgd_unsecured=policy_value("ecl.lgd_unsecured", on=on),
        weights=weights,
        scalars={s: policy_value(f"ecl.scenario_scalar_{s}", on=on) for s in SCENARIOS},
        general_reserve_rate=policy_value("ecl.general_reserve_rate", on=on),
        coverage_floor=policy_value("ecl.coverage_floor", on=on),
        provision_ratio_floor=policy_value("ecl.provision_ratio_floor", on=on),
    )
