"""A correction to a closed month (期后调整): the database refuses any entry dated in a closed
period, so the correction is posted on today's posting date, in the next open period, and names
the closed period it corrects — its source id is the period ("2026-10") and its memo says so —
so the closed month's figures stay as they were reported and the correction is found by it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from autofin.roles import MoneyAction, can_move_money
from servicing.memos import memo
from servicing.models.ledger import JournalEntry, SourceType
from servicing.selectors.periods import period_status
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import posting_date
from servicing.services.periods.close import PeriodError


def period_adjustment_post(
    *,
    month: dt.date,
    debit_account: str,
    credit_account: str,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    actor: Any,
) -> JournalEntry:
    """Post Dr `debit_account` / Cr `credit_account` for the closed `month`, in the open period
    of today's posting date. Raises PeriodError or LedgerError with nothing written."""
    if not can_move_money(actor, MoneyAction.PERIOD_ADJUST):
        raise PeriodError(_("您没有办理该操作的权限。"))
    if period_status(month) != "closed":
        raise PeriodError(_("只有已结账的期间才需要期后调整；未结账期间请直接记账。"))
    reason = (reason or "").strip()
    if not reason:
        raise PeriodError(_("请填写调整原因。"))
    if debit_account == credit_account:
        raise PeriodError(_("借方科目和贷方科目不能相同。"))
    period = f"{month:%Y-%m}"
    return journal_post(
        business_date=posting_date(None),
        source_type=SourceType.ADJUSTMENT,
        source_id=period,
        lines=[(debit_account, "D", amount), (credit_account, "C", amount)],
        idempotency_key=f"period-adjustment:{idempotency_key}",
        description=memo("period_adjustment", period=period, reason=reason[:200]),
        actor=actor,
    )
