"""Risk's pre-approval policy (risk.services.preapproval): the thresholds a customer's own
history must meet and the terms of each licensed purpose, declared as business policy (dated,
audited values the risk analyst owns, decision 0005). Added to ``autofin.policy.POLICIES`` from
the app's ready(), before the post-migrate seed writes their initial rows."""

from __future__ import annotations

from decimal import Decimal

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from autofin.policy import POLICIES, Policy
from autofin.roles import Role


def _preapproval_policies() -> list[Policy]:
    zero = Decimal("0")
    general = [
        Policy("risk.preapproval.max_current_dpd", int, _("预审批：当前逾期天数上限"),
               Role.RISK_ANALYST, "0", minimum=zero),
        Policy("risk.preapproval.max_dpd_ever", int, _("预审批：历史最长逾期天数上限"),
               Role.RISK_ANALYST, "7", minimum=zero),
        Policy("risk.preapproval.min_instalments_paid", int, _("预审批：最少已还期数"),
               Role.RISK_ANALYST, "12", minimum=zero),
        Policy("risk.preapproval.next_car_within_months", int,
               _("预审批：现有贷款剩余月数不超过此值时邀约下一辆车"), Role.RISK_ANALYST, "12",
               minimum=zero),
        Policy("risk.preapproval.vehicle_limit_ratio", Decimal,
               _("预审批：购车额度为客户既往最大融资额的倍数"), Role.RISK_ANALYST, "1.00",
               minimum=zero, maximum=Decimal("3")),
    ]  # fmt: skip
    # a rate only for the car offers (indicative until the car's application is priced); the
    # maintenance and insurance offers are priced by their product's rate table at the tier
    terms = {
        "next_car": (_("下一辆车"), "0.0550", "60", "500000.00"),
        "upgrade": (_("置换升级"), "0.0580", "60", "500000.00"),
        "maintenance": (_("保养分期"), None, "12", "30000.00"),
        "insurance_renewal": (_("续保分期"), None, "12", "20000.00"),
    }
    per_kind = []
    for kind, (name, rate, term, cap) in terms.items():
        if rate is not None:
            per_kind.append(
                Policy(f"risk.preapproval.{kind}.rate", Decimal,
                       format_lazy("{}{}", _("预审批年利率："), name), Role.RISK_ANALYST, rate,
                       minimum=zero, maximum=Decimal("0.24"))
            )  # fmt: skip
        per_kind += [
            Policy(f"risk.preapproval.{kind}.max_term", int, format_lazy("{}{}", _("预审批最长期限（月）："), name),
                   Role.RISK_ANALYST, term, minimum=Decimal("1"), maximum=Decimal("60")),
            Policy(f"risk.preapproval.{kind}.limit_cap", Decimal, format_lazy("{}{}", _("预审批额度上限："), name),
                   Role.RISK_ANALYST, cap, minimum=zero),
        ]  # fmt: skip
    return general + per_kind


def preapproval_policies_register() -> None:
    POLICIES.update({p.key: p for p in _preapproval_policies()})
