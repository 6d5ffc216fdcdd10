"""Segment rules: the facts a rule may name and the compiler to ONE parameterised WHERE.

A rule is {"fact": column, "op": operator, "value": …, "value2": … (between only)}; a segment's
rules all hold (AND). Only the columns in FACTS and the operators in OPS reach SQL, and every
value is converted to its fact's type and bound as a parameter — nothing a user typed is
interpolated. Date operators count from the business day the segment is computed for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from origination.models.products import VehicleKind

INT, MONEY, DATE, BOOL, CHOICE = "int", "money", "date", "bool", "choice"


@dataclass(frozen=True)
class Fact:
    column: str
    label: object
    kind: str
    choices: tuple = ()


# The CustomerFact columns a rule may name (servicing/services/customer_facts.py defines them).
FACTS: dict[str, Fact] = {
    f.column: f
    for f in (
        Fact("instalments_paid", _("已还期数"), INT),
        Fact("current_dpd", _("当前逾期天数"), INT),
        Fact("max_dpd_ever", _("历史最高逾期天数"), INT),
        Fact("months_to_maturity", _("距到期月数"), INT),
        Fact("loans_active", _("在贷合同数"), INT),
        Fact("loans_closed", _("已结清合同数"), INT),
        Fact("principal_outstanding", _("剩余本金（元）"), MONEY),
        Fact("first_funded_on", _("首次放款日"), DATE),
        Fact("settled_early_on", _("最近提前结清日"), DATE),
        Fact("paid_off_on", _("最近正常结清日"), DATE),
        Fact("insurance_ends_on", _("保险到期日"), DATE),
        Fact("has_nev", _("新能源车主"), BOOL),
        Fact("marketing_consent", _("营销授权"), BOOL),
        Fact("vehicle_kind", _("最近车辆类型"), CHOICE, tuple(VehicleKind.choices)),
    )
}


@dataclass(frozen=True)
class Op:
    code: str
    label: object
    sql: str  # {col} is the whitelisted column; %s are the bound values
    values: int  # how many values the operator takes (0, 1 or 2)
    days: bool = False  # the value is a number of days, not a value of the fact


OPS: dict[str, Op] = {
    o.code: o
    for o in (
        Op("eq", _("等于"), "{col} = %s", 1),
        Op("ne", _("不等于"), "{col} IS DISTINCT FROM %s", 1),
        Op("gte", _("大于等于"), "{col} >= %s", 1),
        Op("lte", _("小于等于"), "{col} <= %s", 1),
        Op("gt", _("大于"), "{col} > %s", 1),
        Op("lt", _("小于"), "{col} < %s", 1),
        Op("between", _("介于（含两端）"), "{col} BETWEEN %s AND %s", 2),
        Op("last_days", _("最近 N 天内"), "{col} BETWEEN %s AND %s", 1, days=True),
        Op("next_days", _("未来 N 天内"), "{col} BETWEEN %s AND %s", 1, days=True),
        Op("next_month", _("下个自然月内"), "{col} BETWEEN %s AND %s", 0),
        Op("is_set", _("有记录"), "{col} IS NOT NULL", 0),
        Op("not_set", _("无记录"), "{col} IS NULL", 0),
        Op("is_true", _("是"), "{col}", 0),
        Op("is_false", _("否"), "NOT {col}", 0),
    )
}

OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    INT: ("gte", "lte", "eq", "ne", "gt", "lt", "between"),
    MONEY: ("gte", "lte", "gt", "lt", "between"),
    DATE: ("last_days", "next_days", "next_month", "between", "is_set", "not_set"),
    BOOL: ("is_true", "is_false"),
    CHOICE: ("eq", "ne"),
}


class RuleError(Exception):
    def __init__(self, message, *, index: int | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.index = index


def _typed(fact: Fact, raw, index: int):
    text = str(raw if raw is not None else "").strip()
    if text == "":
        raise RuleError(_("请填写条件的值。"), index=index)
    try:
        if fact.kind == INT:
            return int(text)
        if fact.kind == MONEY:
            value = Decimal(text)
            if not value.is_finite():
                raise InvalidOperation
            return value
        if fact.kind == DATE:
            return dt.date.fromisoformat(text)
    except (ValueError, InvalidOperation) as exc:
        raise RuleError(_("条件的值格式不正确。"), index=index) from exc
    if fact.kind == CHOICE and text not in {c[0] for c in fact.choices}:
        raise RuleError(_("请选择有效的选项。"), index=index)
    return text


def _days(raw, index: int) -> int:
    try:
        days = int(str(raw).strip())
    except ValueError as exc:
        raise RuleError(_("天数须为整数。"), index=index) from exc
    if not 0 < days <= 3660:
        raise RuleError(_("天数须在 1 至 3660 之间。"), index=index)
    return days


def _next_month(today: dt.date) -> tuple[dt.date, dt.date]:
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first, last


def rule_params(rule: dict, *, today: dt.date, index: int = 0) -> tuple[str, list]:
    """One rule's SQL condition over the alias `f` and its bound values."""
    fact = FACTS.get(rule.get("fact", ""))
    if fact is None:
        raise RuleError(_("未知的客户特征。"), index=index)
    op = OPS.get(rule.get("op", ""))
    if op is None or op.code not in OPS_BY_KIND[fact.kind]:
        raise RuleError(_("该特征不支持此条件。"), index=index)
    col = f'f."{fact.column}"'
    if op.code == "last_days":
        params = [today - dt.timedelta(days=_days(rule.get("value"), index)), today]
    elif op.code == "next_days":
        params = [today, today + dt.timedelta(days=_days(rule.get("value"), index))]
    elif op.code == "next_month":
        params = list(_next_month(today))
    elif op.values == 2:
        params = [_typed(fact, rule.get("value"), index), _typed(fact, rule.get("value2"), index)]
        if params[0] > params[1]:
            raise RuleError(_("区间的下限不能大于上限。"), index=index)
    elif op.values == 1:
        params = [_typed(fact, rule.get("value"), index)]
    else:
        params = []
    return op.sql.format(col=col), params


def rules_where(rules: list[dict], *, today: dt.date) -> tuple[str, list]:
    """All rules ANDed into one WHERE clause (no rules: every customer with facts)."""
    if not isinstance(rules, list):
        raise RuleError(_("规则格式不正确。"))
    parts, params = [], []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise RuleError(_("规则格式不正确。"), index=index)
        sql, values = rule_params(rule, today=today, index=index)
        parts.append(f"({sql})")
        params.extend(values)
    return (" AND ".join(parts) or "TRUE"), params


def rule_describe(rule: dict) -> str:
    """A rule as a marketing user reads it, e.g. "已还期数 大于等于 24"."""
    fact, op = FACTS.get(rule.get("fact", "")), OPS.get(rule.get("op", ""))
    if fact is None or op is None:
        return "—"
    value = rule.get("value", "")
    if fact.kind == CHOICE:
        value = dict(fact.choices).get(value, value)
    if op.days:
        return f"{fact.label} {str(op.label).replace('N', str(value))}"
    if op.values == 2:
        return f"{fact.label} {op.label} {value} ~ {rule.get('value2', '')}"
    if op.values == 1:
        return f"{fact.label} {op.label} {value}"
    return f"{fact.label} {op.label}"
