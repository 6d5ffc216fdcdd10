"""What a ledger entry is before it is written: its spec, its lines validated (balanced, at least
two, amounts > 0 to the fen, known accounts) and prepared, and the ledger's errors."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR
from autofin.money import FEN, to_decimal
from servicing.models.ledger import LedgerAccount, Side

MAX_AMOUNT = Decimal("9999999999999999.99")  # DecimalField(max_digits=18, decimal_places=2)

_SIDES = {
    "D": Side.DEBIT.value,
    "DEBIT": Side.DEBIT.value,
    "C": Side.CREDIT.value,
    "CREDIT": Side.CREDIT.value,
}


class LedgerError(Exception):
    """A posting the ledger refuses; nothing was written."""


class UnbalancedEntryError(LedgerError):
    pass


class UnknownAccountError(LedgerError):
    pass


class InvalidLineError(LedgerError):
    pass


class IdempotencyConflictError(LedgerError):
    """The idempotency key was already used for a different posting."""


class PeriodClosedError(LedgerError):
    """The entry is dated in a closed accounting period (the database refused it)."""


# (account_code, side, amount, loan_id, dealer_id, floorplan_advance_id); side is "D"/"C" (Side)
# or "debit"/"credit"; the sub-ledger keys may be left off (a loan's or a dealer's, not both; a
# floor-plan advance's only with its dealer's).
LineInput = (
    tuple[str, str, Decimal | str | int, int | None, int | None, int | None]
    | tuple[str, str, Decimal | str | int, int | None, int | None]
    | tuple[str, str, Decimal | str | int, int | None]
    | tuple[str, str, Decimal | str | int]
)


@dataclass(frozen=True)
class EntrySpec:
    """One entry for `journal_post_many` (the same fields `journal_post` takes)."""

    business_date: dt.date
    source_type: str
    source_id: str | int
    lines: Sequence[LineInput]
    idempotency_key: str
    description: str = ""
    loan_id: int | None = None
    reverses_id: int | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Line:
    account_code: str
    side: str
    amount: Decimal
    loan_id: int | None
    dealer_id: int | None = None
    floorplan_advance_id: int | None = None


@dataclass
class Prepared:
    spec: EntrySpec
    source_id: str
    loan_id: int | None
    lines: list[Line]

    def signature(self) -> tuple[str, str, Counter]:
        return (self.spec.source_type, self.source_id, Counter(self.lines))


def actor_fields(actor: Any) -> tuple[int | None, str]:
    user_id = getattr(actor, "pk", None) if hasattr(actor, "get_username") else None
    label = actor.get_username() if user_id is not None else str(actor or SYSTEM_ACTOR)
    return user_id, label[:150]


def _prepare_line(raw: Any, position: int, key: str) -> Line:
    if not isinstance(raw, tuple | list) or len(raw) not in (3, 4, 5, 6):
        raise InvalidLineError(
            _(
                "分录 %(key)s 第 %(n)d 行格式错误：应为（科目代码, 借贷方向, 金额[, 贷款账户[, 经销商]]）"
            )
            % {"key": key, "n": position}
        )
    code, side, amount = raw[0], raw[1], raw[2]
    loan_id = raw[3] if len(raw) >= 4 else None
    dealer_id = raw[4] if len(raw) >= 5 else None
    advance_id = raw[5] if len(raw) == 6 else None
    side_value = _SIDES.get(str(side).upper())
    if side_value is None:
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行借贷方向无效：%(side)s")
            % {"key": key, "n": position, "side": side}
        )
    try:
        value = to_decimal(amount)
    except (TypeError, ValueError) as exc:
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行金额无效：%(amount)r")
            % {"key": key, "n": position, "amount": amount}
        ) from exc
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行金额必须大于零：%(amount)s")
            % {"key": key, "n": position, "amount": value}
        )
    if value != value.quantize(FEN, rounding=ROUND_HALF_UP):
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行金额最多两位小数：%(amount)s")
            % {"key": key, "n": position, "amount": value}
        )
    if loan_id is not None and (isinstance(loan_id, bool) or not isinstance(loan_id, int)):
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行贷款账户编号无效：%(loan)r")
            % {"key": key, "n": position, "loan": loan_id}
        )
    if dealer_id is not None and (isinstance(dealer_id, bool) or not isinstance(dealer_id, int)):
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行经销商编号无效：%(dealer)r")
            % {"key": key, "n": position, "dealer": dealer_id}
        )
    if advance_id is not None and (
        isinstance(advance_id, bool) or not isinstance(advance_id, int) or dealer_id is None
    ):
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行库存融资放款编号无效或未记经销商：%(advance)r")
            % {"key": key, "n": position, "advance": advance_id}
        )
    if loan_id is not None and dealer_id is not None:
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行只能记入一个明细账（贷款账户或经销商）")
            % {"key": key, "n": position}
        )
    return Line(
        str(code),
        side_value,
        value.quantize(FEN, rounding=ROUND_HALF_UP),
        loan_id,
        dealer_id,
        advance_id,
    )


def entries_prepare(spec: EntrySpec) -> Prepared:
    key = spec.idempotency_key
    if not key or not isinstance(key, str) or len(key) > 200:
        raise LedgerError(_("幂等键必须是 1 到 200 个字符"))
    if not spec.source_type or len(spec.source_type) > 32:
        raise LedgerError(_("分录 %(key)s 缺少来源单据类型") % {"key": key})
    source_id = str(spec.source_id)
    if not source_id or len(source_id) > 64:
        raise LedgerError(_("分录 %(key)s 的来源单据号必须是 1 到 64 个字符") % {"key": key})
    if not isinstance(spec.business_date, dt.date) or isinstance(spec.business_date, dt.datetime):
        raise LedgerError(_("分录 %(key)s 的营业日必须是日期") % {"key": key})
    if len(spec.description) > 255:
        raise LedgerError(_("分录 %(key)s 的摘要超过 255 个字符") % {"key": key})
    lines = [_prepare_line(raw, n, key) for n, raw in enumerate(spec.lines, start=1)]
    if len(lines) < 2:
        raise UnbalancedEntryError(_("分录 %(key)s 至少需要两行") % {"key": key})
    debit = sum((line.amount for line in lines if line.side == Side.DEBIT), Decimal(0))
    credit = sum((line.amount for line in lines if line.side == Side.CREDIT), Decimal(0))
    if debit != credit:
        raise UnbalancedEntryError(
            _("分录 %(key)s 借贷不平：借方 %(debit)s，贷方 %(credit)s")
            % {"key": key, "debit": debit, "credit": credit}
        )
    loan_id = spec.loan_id
    if loan_id is None:
        line_loans = {line.loan_id for line in lines if line.loan_id is not None}
        loan_id = line_loans.pop() if len(line_loans) == 1 else None
    return Prepared(spec=spec, source_id=source_id, loan_id=loan_id, lines=lines)


# Account codes known to exist. The chart is append-only reference data (accounts are added by
# migrations, never renamed or removed), so a code seen once stays valid for the process. Only
# the codes are cached, never the ids: lines resolve code -> id inside their INSERT (test
# databases re-seed the chart with new ids after a flush).
_known_codes: set[str] = set()


def codes_check(codes: Iterable[str]) -> None:
    """Refuse unknown account codes; reads the chart only for a code not seen before."""
    wanted = set(codes)
    if wanted <= _known_codes:
        return
    _known_codes.update(LedgerAccount.objects.values_list("code", flat=True))
    missing = sorted(wanted - _known_codes)
    if missing:
        raise UnknownAccountError(_("未知会计科目：%(codes)s") % {"codes": ", ".join(missing)})
