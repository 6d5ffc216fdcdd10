"""Business policy: thresholds and limits that finance, risk and operations own, not code.

Each key is declared once here (type, label, the role that owns it, the value a new installation
starts with); the values in force live in ``PolicyValue`` rows, append-only and audited, so a
policy change is data with a date, a person and a reason. `policy_value(key, on=date)` answers
what was in force on a business date.

Apps add their keys to ``POLICIES``; a row with the initial value is written after every migrate
for any key that has none yet (as the role groups are synced), so a new key needs no migration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from autofin.audit import audit_record
from autofin.bulk import bulk_insert_new
from autofin.business_date import business_date_current
from autofin.models import PolicyValue, User
from autofin.money import to_decimal
from autofin.roles import Role, user_roles

# Initial rows are in force from this date, so any business date finds them.
POLICY_EPOCH = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Policy:
    key: str
    kind: type  # Decimal, int or bool
    label: Any
    owner: Role
    initial: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def parse(self, text: str) -> Decimal | int | bool:
        raw = str(text).strip()
        if self.kind is bool:
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValidationError(_("请输入 是/否（true/false）。"), code="invalid")
        # The one parser of amounts (autofin.money): ASCII digits, commas only as thousands
        # groups; full-width digits, "1,5", NaN and exponents are refused, not guessed.
        try:
            number = to_decimal(raw)
        except ValueError as exc:
            raise ValidationError(_("请输入数字。"), code="invalid") from exc
        if self.kind is int and number != number.to_integral_value():
            raise ValidationError(_("请输入整数。"), code="invalid")
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(_("不能小于 %(min)s。"), code="min", params={"min": self.minimum})
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(_("不能大于 %(max)s。"), code="max", params={"max": self.maximum})
        return int(number) if self.kind is int else number


def _ecl_policies() -> list[Policy]:
    """The expected-credit-loss parameters (servicing.services.provisions): fallback PDs, LGD,
    scenario weights and scalars, the general reserve rate and the alert floors."""
    zero, one = Decimal("0"), Decimal("1")

    def rate(key: str, label, initial: str, owner: Role = Role.RISK_ANALYST, top=one) -> Policy:
        return Policy(key, Decimal, label, owner, initial, minimum=zero, maximum=top)

    return [
        rate("ecl.pd12_fallback_a", _("兜底 12 个月违约概率（A 类客群，阶段一）"), "0.005"),
        rate("ecl.pd12_fallback_b", _("兜底 12 个月违约概率（B 类客群，阶段一）"), "0.010"),
        rate("ecl.pd12_fallback_c", _("兜底 12 个月违约概率（C 类客群，阶段一）"), "0.020"),
        rate("ecl.pd12_fallback_d", _("兜底 12 个月违约概率（D 类及未知客群，阶段一）"), "0.040"),
        rate("ecl.pd12_fallback_stage2", _("兜底 12 个月违约概率（阶段二）"), "0.300"),
        rate("ecl.pd12_floor", _("历史违约概率下限（样本中无违约时亦不低于此值）"), "0.0003"),
        Policy(
            "ecl.pd_min_cohort",
            int,
            _("采用历史违约率的最少观察样本数（不足时用兜底参数）"),
            Role.RISK_ANALYST,
            "200",
            minimum=one,
        ),
        rate("ecl.lgd_floor", _("违约损失率下限"), "0.10"),
        rate("ecl.collateral_haircut", _("抵押车辆处置折扣率（含处置费用）"), "0.40"),
        rate("ecl.lgd_no_ltv", _("抵押贷款无抵押率数据时的违约损失率"), "0.45"),
        rate("ecl.lgd_unsecured", _("无抵押贷款违约损失率"), "0.75"),
        rate("ecl.scenario_weight_base", _("情景权重：基准"), "0.60"),
        rate("ecl.scenario_weight_upside", _("情景权重：乐观"), "0.20"),
        rate("ecl.scenario_weight_downside", _("情景权重：悲观"), "0.20"),
        rate("ecl.scenario_scalar_base", _("违约概率调整系数：基准情景"), "1.00", top=Decimal("5")),
        rate(
            "ecl.scenario_scalar_upside", _("违约概率调整系数：乐观情景"), "0.85", top=Decimal("5")
        ),
        rate(
            "ecl.scenario_scalar_downside",
            _("违约概率调整系数：悲观情景"),
            "1.40",
            top=Decimal("5"),
        ),
        rate(
            "ecl.general_reserve_rate",
            _("一般准备计提比例（风险资产）"),
            "0.015",
            Role.FINANCE_APPROVER,
        ),  # fmt: skip
        rate(
            "ecl.coverage_floor",
            _("拨备覆盖率预警下限"),
            "1.50",
            Role.FINANCE_APPROVER,
            top=Decimal("10"),
        ),  # fmt: skip
        rate(
            "ecl.provision_ratio_floor", _("贷款拨备率预警下限"), "0.025", Role.FINANCE_APPROVER
        ),  # fmt: skip
        Policy(
            "four_eyes.provision_post",
            bool,
            _("减值准备过账需双人复核"),
            Role.SYSTEM_ADMIN,
            "true",
        ),
        Policy(
            "four_eyes.period_close",
            bool,
            _("月末结账需双人复核"),
            Role.SYSTEM_ADMIN,
            "true",
        ),
    ]


POLICIES: dict[str, Policy] = {
    p.key: p
    for p in [
        Policy(
            "servicing.manual_repayment_approval_threshold",
            Decimal,
            _("人工入账复核金额（同一贷款同一营业日累计）"),
            Role.FINANCE_APPROVER,
            "50000.00",
            minimum=Decimal("0"),
        ),
        Policy(
            "servicing.disbursement_dual_approval_threshold",
            Decimal,
            _("放款双人复核金额"),
            Role.FINANCE_APPROVER,
            "500000.00",
            minimum=Decimal("0"),
        ),
        Policy(
            "servicing.charge_off_dpd",
            int,
            _("核销逾期天数"),
            Role.RISK_ANALYST,
            "180",
            minimum=Decimal("1"),
        ),
        Policy(
            # 容差: arrears under it do not make a loan overdue (servicing.loan_rules.dpd)
            "servicing.past_due_tolerance",
            Decimal,
            _("逾期容差金额（低于此金额的欠款不计逾期）"),
            Role.RISK_ANALYST,
            "0.00",
            minimum=Decimal("0"),
        ),
        Policy(
            # 日结截止时间: today's business date may be closed from this Beijing hour on
            # (24: never the same day); earlier dates always (servicing.eod.runner)
            "servicing.eod_same_day_cutoff_hour",
            int,
            _("当日日结最早时间（北京时间，整点；24 表示当日不可日结）"),
            Role.OPERATIONS,
            "22",
            minimum=Decimal("0"),
            maximum=Decimal("24"),
        ),
        Policy(
            # 无票不付: a commission payout waits for the dealer's VAT invoice (发票)
            "servicing.commission_payout_requires_invoice",
            bool,
            _("返佣付款须先登记经销商发票"),
            Role.FINANCE_APPROVER,
            "true",
        ),
        # 保证金 by the dealer's channel grade (servicing.services.deposits.calls); an ungraded
        # dealer is held to grade B's amount
        *[
            Policy(
                f"servicing.deposit_required.{grade}",
                Decimal,
                label,
                Role.RISK_ANALYST,
                initial,
                minimum=Decimal("0"),
            )
            for grade, initial, label in (
                ("A", "100000.00", _("经销商应缴保证金（A 级）")),
                ("B", "200000.00", _("经销商应缴保证金（B 级）")),
                ("C", "300000.00", _("经销商应缴保证金（C 级）")),
                ("D", "500000.00", _("经销商应缴保证金（D 级）")),
            )
        ],
        Policy(
            "origination.underwriter_authority_limit",
            Decimal,
            _("审批员审批权限金额"),
            Role.RISK_ANALYST,
            "200000.00",
            minimum=Decimal("0"),
        ),
        # 负债收入比上限 per risk tier: the bureau's monthly debt payments plus the new instalment
        # over the applicant's monthly income (risk.services.decisions.affordability)
        *[
            Policy(
                f"risk.dti_cap.{tier}",
                Decimal,
                label,
                Role.RISK_ANALYST,
                initial,
                minimum=Decimal("0"),
                maximum=Decimal("2"),
            )
            for tier, initial, label in (
                ("A", "0.60", _("负债收入比上限（A 级客户）")),
                ("B", "0.55", _("负债收入比上限（B 级客户）")),
                ("C", "0.50", _("负债收入比上限（C 级客户）")),
                ("D", "0.45", _("负债收入比上限（D 级客户）")),
            )
        ],
        # Four eyes (maker-checker) per action, as business policy: while on, the action is a
        # request that a second authorised person approves before anything changes.
        Policy(
            "four_eyes.product_publish",
            bool,
            _("产品版本发布需双人复核"),
            Role.SYSTEM_ADMIN,
            "true",
        ),
        Policy(
            "four_eyes.loan_restructure",
            bool,
            _("贷款重组需双人复核"),
            Role.SYSTEM_ADMIN,
            "true",
        ),
        Policy(
            "four_eyes.lease_shortfall_absorb",
            bool,
            _("租赁退车残值差额由出租人承担需双人复核"),
            Role.SYSTEM_ADMIN,
            "true",
        ),
        Policy(
            "four_eyes.scorecard_promote",
            bool,
            _("评分卡上线（设为冠军模型）需双人复核"),
            Role.SYSTEM_ADMIN,
            "true",
        ),
        Policy(
            "four_eyes.strategy_change",
            bool,
            _("审批策略与规则集变更需双人复核"),
            Role.SYSTEM_ADMIN,
            "true",
        ),
        # --- r-ecl: expected credit loss (docs/decisions/0012-expected-credit-loss.md)
        *_ecl_policies(),
        # Anti-money laundering (反洗钱), owned by compliance.
        Policy(
            "risk.aml_screening_threshold",
            int,
            _("名单筛查命中阈值（匹配分 0-100）"),
            Role.COMPLIANCE_OFFICER,
            "85",
            minimum=Decimal("50"),
            maximum=Decimal("100"),
        ),
        Policy(
            "servicing.aml_early_settlement_days",
            int,
            _("放款后提前结清可疑预警天数"),
            Role.COMPLIANCE_OFFICER,
            "180",
            minimum=Decimal("1"),
        ),
        Policy(
            "servicing.aml_structuring_margin",
            Decimal,
            _("拆分交易预警区间（低于大额标准的比例）"),
            Role.COMPLIANCE_OFFICER,
            "0.10",
            minimum=Decimal("0.01"),
            maximum=Decimal("0.50"),
        ),
        Policy(
            "servicing.aml_small_repayments_count",
            int,
            _("30 日内人工入账笔数预警线"),
            Role.COMPLIANCE_OFFICER,
            "6",
            minimum=Decimal("2"),
        ),
        # --- fp3: floor-plan lines (库存融资额度, origination.services.floorplan). The largest
        # line limit each underwriting role may set (the workbench's retail authority is per
        # loan, far smaller); and the months of retail sales a dealer of each grade may hold
        # in financed stock, which with its funded volume suggests the limit.
        *[
            Policy(
                f"origination.floorplan_limit_authority.{role}",
                Decimal,
                label,
                Role.RISK_ANALYST,
                initial,
                minimum=Decimal("0"),
            )
            for role, initial, label in (
                (Role.UNDERWRITER, "3000000.00", _("库存融资额度审批权限（审批员）")),
                (Role.SENIOR_UNDERWRITER, "20000000.00", _("库存融资额度审批权限（高级审批员）")),
            )
        ],
        *[
            Policy(
                f"origination.floorplan_stock_months.{grade}",
                Decimal,
                label,
                Role.RISK_ANALYST,
                initial,
                minimum=Decimal("0"),
                maximum=Decimal("12"),
            )
            for grade, initial, label in (
                ("A", "3", _("库存融资建议额度：月均放款额的倍数（A 级经销商）")),
                ("B", "2", _("库存融资建议额度：月均放款额的倍数（B 级经销商）")),
                ("C", "1", _("库存融资建议额度：月均放款额的倍数（C 级经销商）")),
                ("D", "0", _("库存融资建议额度：月均放款额的倍数（D 级经销商）")),
            )
        ],
        Policy(
            # 首期违约回购: the dealer buys back a loan whose first instalment is still unpaid
            # this many days after its due date, when its agreement carries recourse
            "servicing.recourse_fpd_days",
            int,
            _("首期违约回购天数（首期逾期满此天数可要求经销商回购）"),
            Role.RISK_ANALYST,
            "30",
            minimum=Decimal("1"),
        ),
        Policy(
            # 处置通知: a repossessed car is sold no sooner than this many days after the
            # customer was notified of the sale (the time to redeem it)
            "servicing.repossession_notice_days",
            int,
            _("收车后处置前通知期（天）"),
            Role.RISK_ANALYST,
            "10",
            minimum=Decimal("0"),
        ),
        Policy(
            "servicing.floorplan_checker_above",
            Decimal,
            _("库存融资放款需另一人放行的金额（超过）"),
            Role.FINANCE_APPROVER,
            "200000.00",
            minimum=Decimal("0"),
        ),
        # 盘库: every floor-plan line is audited at least this often; on top of that each
        # night draws random (unannounced) audits, this many per thousand lines
        Policy(
            "servicing.floorplan_audit_interval_days",
            int,
            _("库存融资定期盘库间隔（天）"),
            Role.RISK_ANALYST,
            "90",
            minimum=Decimal("1"),
        ),
        Policy(
            "servicing.floorplan_random_audit_per_mille",
            int,
            _("库存融资每晚突击盘库抽取比例（‰）"),
            Role.RISK_ANALYST,
            "10",
            minimum=Decimal("0"),
            maximum=Decimal("1000"),
        ),
    ]
}


def _policy(key: str) -> Policy:
    try:
        return POLICIES[key]
    except KeyError:
        raise ImproperlyConfigured(f"unknown policy key {key!r}: declare it in POLICIES") from None


def policy_value(key: str, *, on: dt.date | None = None) -> Decimal | int | bool:
    """The value of `key` in force on business date `on` (default: the current business date)."""
    return policy_values([key], on=on)[key]


def policy_values(keys: list[str], *, on: dt.date | None = None) -> dict[str, Decimal | int | bool]:
    """The value of each of `keys` in force on business date `on` (default: the current
    business date), in one query: {key: value}."""
    policies = {key: _policy(key) for key in keys}
    if on is None:
        on = business_date_current()
    rows = dict(
        PolicyValue.objects.filter(key__in=policies, effective_from__lte=on)
        .order_by("key", "-effective_from")
        .distinct("key")
        .values_list("key", "value")
    )
    missing = [key for key in policies if key not in rows]
    if missing:
        raise ImproperlyConfigured(f"no value of policy {missing[0]!r} in force on {on}")
    return {key: policy.parse(rows[key]) for key, policy in policies.items()}


def policy_set(*, key: str, value: str, effective_from: dt.date, actor, reason: str):
    """Record a new value from `effective_from` on (audited). Nothing is changed on error.

    A person (`actor` a user) may set only the keys one of their roles owns; a process (the
    seed, a migration, a test naming no one) passes a label or None.
    """
    policy = _policy(key)
    if isinstance(actor, User) and key not in policy_keys_owned_by(actor):
        raise PermissionDenied(_("您无权调整该策略项。"))
    policy.parse(value)
    if not str(reason).strip():
        raise ValidationError({"reason": _("请填写调整原因。")}, code="required")
    with transaction.atomic():
        previous = (
            PolicyValue.objects.filter(key=key, effective_from__lte=effective_from)
            .order_by("-effective_from")
            .first()
        )
        if PolicyValue.objects.filter(key=key, effective_from=effective_from).exists():
            raise ValidationError(
                {"effective_from": _("该生效日已有取值，请另选日期。")}, code="duplicate"
            )
        row = PolicyValue.objects.create(
            key=key,
            value=str(value).strip(),
            effective_from=effective_from,
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            obj=row,
            action="policy_set",
            from_state=previous.value if previous else "",
            to_state=row.value,
            reason=reason,
            data={"key": key, "effective_from": effective_from.isoformat()},
        )
    return row


def policies_seed(**_kwargs) -> None:
    """Write the initial row of every declared key that has none (after every migrate)."""
    have = set(PolicyValue.objects.values_list("key", flat=True).distinct())
    bulk_insert_new(
        [
            PolicyValue(
                key=p.key, value=p.initial, effective_from=POLICY_EPOCH, reason="initial value"
            )
            for p in POLICIES.values()
            if p.key not in have
        ],
        unique_fields=["key", "effective_from"],
    )


def policy_keys_owned_by(user) -> list[str]:
    """The keys a user may set: those owned by one of their roles (the system admin: all)."""
    roles = user_roles(user)
    if user.is_superuser or Role.SYSTEM_ADMIN in roles:
        return list(POLICIES)
    return [k for k, p in POLICIES.items() if p.owner in roles]
