"""Balances read from the ledger's lines (no stored balance to drift from them).

Signs: `account_balance` and `loan_balances` give each account's balance on its normal side
(a receivable's debit balance, an income's credit balance are positive). `trial_balance` gives
debit and credit totals per account; over all accounts they are equal (its `total` is zero).
`as_of` is a business date, inclusive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from servicing.models.ledger import JournalLine, LedgerAccount, Side

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=20, decimal_places=2)


def _sums():
    return {
        "debit": Coalesce(
            Sum("amount", filter=Q(side=Side.DEBIT)), Value(ZERO), output_field=_MONEY
        ),
        "credit": Coalesce(
            Sum("amount", filter=Q(side=Side.CREDIT)), Value(ZERO), output_field=_MONEY
        ),
    }


def _lines(as_of: dt.date | None):
    qs = JournalLine.objects.all()
    if as_of is not None:
        qs = qs.filter(entry__business_date__lte=as_of)
    return qs


def _normal(normal_side: str, debit: Decimal, credit: Decimal) -> Decimal:
    return debit - credit if normal_side == Side.DEBIT else credit - debit


def account_balance(*, account_code: str, as_of: dt.date | None = None) -> Decimal:
    """The account's balance on its normal side; LedgerAccount.DoesNotExist for an unknown code."""
    account = LedgerAccount.objects.get(code=account_code)
    sums = _lines(as_of).filter(account=account).aggregate(**_sums())
    return _normal(account.normal_side, sums["debit"], sums["credit"])


def loan_balances(*, loan_id: int, as_of: dt.date | None = None) -> dict[str, Decimal]:
    """{account_code: balance on its normal side} over the lines carrying this loan id.

    Only accounts the loan has lines in appear (a settled account shows 0.00).
    """
    rows = (
        _lines(as_of)
        .filter(loan_id=loan_id)
        .values("account__code", "account__normal_side")
        .annotate(**_sums())
        .order_by("account__sort_order", "account__code")
    )
    return {
        row["account__code"]: _normal(row["account__normal_side"], row["debit"], row["credit"])
        for row in rows
    }


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    account_type: str
    normal_side: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  # on the normal side


@dataclass(frozen=True)
class TrialBalance:
    as_of: dt.date | None
    rows: list[TrialBalanceRow]
    debit: Decimal
    credit: Decimal

    @property
    def total(self) -> Decimal:
        """Debits less credits over every account: zero in a sound ledger."""
        return self.debit - self.credit


def trial_balance(*, as_of: dt.date | None = None) -> TrialBalance:
    """Every account (also those without lines) with its debit and credit totals."""
    sums = {
        row["account_id"]: (row["debit"], row["credit"])
        for row in _lines(as_of).values("account_id").annotate(**_sums()).order_by()
    }
    rows = []
    for account in LedgerAccount.objects.order_by("sort_order", "code"):
        debit, credit = sums.get(account.pk, (ZERO, ZERO))
        rows.append(
            TrialBalanceRow(
                code=account.code,
                name=account.name,
                account_type=account.account_type,
                normal_side=account.normal_side,
                debit=debit,
                credit=credit,
                balance=_normal(account.normal_side, debit, credit),
            )
        )
    return TrialBalance(
        as_of=as_of,
        rows=rows,
        debit=sum((r.debit for r in rows), ZERO),
        credit=sum((r.credit for r in rows), ZERO),
    )
