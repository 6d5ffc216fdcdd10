"""A schedule's row (one instalment), held in integer fen and shown as Decimals, and the engine's
fast way to build one."""

from __future__ import annotations

from collections import namedtuple
from datetime import date
from decimal import Decimal

from autofin.pricing.money import fen_to_decimal, to_fen

_Fields = namedtuple(
    "_Fields", "instalment_no due_date opening_fen principal_fen interest_fen fee_fen"
)


class ScheduleRow(_Fields):
    """One instalment. Amounts are held in integer fen (exact, cheap) and exposed as Decimals.

    ``instalment = principal + interest + fee`` and ``closing = opening - principal`` hold by
    construction, so they are derived rather than stored.

    A named tuple (immutable, compared and hashed by its fields) rather than a frozen
    dataclass: building the rows was the engine's largest cost, and a tuple is made in one step
    (``row_new``) where a frozen dataclass sets each field through ``object.__setattr__``.
    """

    __slots__ = ()

    @classmethod
    def from_amounts(
        cls,
        *,
        instalment_no: int,
        due_date: date,
        opening_balance: Decimal,
        principal: Decimal,
        interest: Decimal,
        fee: Decimal,
    ) -> ScheduleRow:
        """Rebuild a row from stored Decimal amounts (e.g. a loan's schedule in the database)."""
        return cls(
            instalment_no,
            due_date,
            to_fen(opening_balance, field="opening_balance"),
            to_fen(principal, field="principal"),
            to_fen(interest, field="interest"),
            to_fen(fee, field="fee"),
        )

    @property
    def instalment_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.fee_fen

    @property
    def closing_fen(self) -> int:
        return self.opening_fen - self.principal_fen

    @property
    def opening_balance(self) -> Decimal:
        return fen_to_decimal(self.opening_fen)

    @property
    def principal(self) -> Decimal:
        return fen_to_decimal(self.principal_fen)

    @property
    def interest(self) -> Decimal:
        return fen_to_decimal(self.interest_fen)

    @property
    def fee(self) -> Decimal:
        return fen_to_decimal(self.fee_fen)

    @property
    def instalment(self) -> Decimal:
        return fen_to_decimal(self.instalment_fen)

    @property
    def closing_balance(self) -> Decimal:
        return fen_to_decimal(self.closing_fen)

    def as_dict(self) -> dict[str, int | date | Decimal]:
        """The row's public columns, Decimals for money (what a model or serializer stores)."""
        no, due, opening, principal, interest, fee = self
        return {
            "instalment_no": no,
            "due_date": due,
            "opening_balance": fen_to_decimal(opening),
            "principal": fen_to_decimal(principal),
            "interest": fen_to_decimal(interest),
            "fee": fen_to_decimal(fee),
            "instalment": fen_to_decimal(principal + interest + fee),
            "closing_balance": fen_to_decimal(opening - principal),
        }

    def __repr__(self) -> str:
        return (
            f"ScheduleRow(instalment_no={self.instalment_no}, due_date={self.due_date}, "
            f"opening_balance={self.opening_balance}, principal={self.principal}, "
            f"interest={self.interest}, fee={self.fee}, instalment={self.instalment}, "
            f"closing_balance={self.closing_balance})"
        )


_tuple_new = tuple.__new__


def row_new(
    no: int, due: date, opening: int, principal: int, interest: int, fee: int
) -> ScheduleRow:
    """The engine's rows: the values are already validated, so the named tuple's generated
    ``__new__`` (a Python function with keyword handling) is skipped. The hot loops in
    ``autofin.pricing.amortisation`` inline this call."""
    return _tuple_new(ScheduleRow, (no, due, opening, principal, interest, fee))
