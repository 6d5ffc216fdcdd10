"""The regulatory caps (term and LTV) every quote and every published version is held to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from origination.quoting.vocabulary import gettext_noop


@dataclass(frozen=True, slots=True)
class RegulatoryCaps:
    """Regulatory defaults (editable in the RegulatoryLimits model), enforced on every quote."""

    max_term_months: int = 60
    max_term_months_used: int = 36
    ltv_personal: Decimal = Decimal("0.80")
    ltv_nev_personal: Decimal = Decimal("0.85")
    ltv_commercial: Decimal = Decimal("0.70")
    ltv_nev_commercial: Decimal = Decimal("0.75")
    ltv_used: Decimal = Decimal("0.70")

    def term_cap(self, vehicle_kind: str) -> tuple[int, str]:
        """(cap, category label) for the vehicle kind."""
        if vehicle_kind == "used":
            return self.max_term_months_used, gettext_noop("二手车")
        return self.max_term_months, gettext_noop("汽车贷款")

    def ltv_cap(self, vehicle_kind: str, vehicle_use: str) -> tuple[Decimal, str]:
        """(cap, category label): used cars 70 %; NEV 85 % self-use / 75 % commercial use;
        commercial vehicles and commercial use 70 %; other self-use 80 %."""
        if vehicle_kind == "used":
            return self.ltv_used, gettext_noop("二手车")
        if vehicle_kind == "nev":
            if vehicle_use == "commercial":
                return self.ltv_nev_commercial, gettext_noop("新能源车营运")
            return self.ltv_nev_personal, gettext_noop("新能源车自用")
        if vehicle_kind == "commercial" or vehicle_use == "commercial":
            return self.ltv_commercial, gettext_noop("商用车及营运车辆")
        return self.ltv_personal, gettext_noop("自用车")
