"""What refuses a repayment request before anything moves: the error every repayment use case
raises, the money-permission check, and the amount check (positive, at most two decimals)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from autofin.money import quantize_fen, to_decimal
from autofin.roles import MoneyAction, can_move_money
from servicing.services.loans.account import LoanError


class RepaymentError(LoanError):
    pass


def money_action_authorize(actor: Any, action: MoneyAction) -> None:
    """Refuse a person who may not take `action` (autofin.roles.can_move_money, the check the
    pages and the API make too). System actors (a string: "bank", "eod", "payment:...") are the
    platform itself and pass."""
    if isinstance(actor, str):
        return
    if not can_move_money(actor, action):
        raise RepaymentError(_("您没有执行该资金操作的权限。"), code="forbidden")


def amount_checked(value: Any) -> Decimal:
    try:
        amount = quantize_fen(value)
    except (TypeError, ValueError):
        raise RepaymentError(_("请输入有效金额。"), field="amount") from None
    if amount != to_decimal(value) or amount <= 0:
        raise RepaymentError(_("金额必须大于零且最多两位小数。"), field="amount")
    return amount
