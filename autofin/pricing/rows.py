"""A schedule's row (one instalment), held in integer fen and shown as Decimals; the engine's
fast way to build one; and the read-out row (every column a Decimal) whole schedules are read as.

Both row types are tuples named by field, like named tuples, but built with one C call
(``ScheduleRow((...))``): a ``namedtuple``'s generated ``__new__`` is a Python function, and
``tuple.__new__(cls, values)`` goes through a slot wrapper that copies its arguments; a tuple
subclass without its own ``__new__`` is made by ``tuple``'s constructor directly: in a timeit
what a row costs beyond a plain tuple about halves (the engine and the read-out make one per row,
bench/schedules.py). The constructor takes the one tuple of fields, not the fields one by one.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from autofin.pricing.money import fen_to_decimal, to_fen

# Only the field accessors are taken from these (C descriptors reading one tuple slot, what a
# named tuple's fields are); the rows themselves are the tuple subclasses below.
_RowFields = namedtuple(
    "_RowFields", "instalment_no due_date opening_fen principal_fen interest_fen fee_fen"
)
_ReadOutFields = namedtuple(
    "_ReadOutFields",
    "instalment_no due_date opening_balance principal interest fee instalment closing_balance",
)


class ScheduleRow(tuple):
    """One instalment. Amounts are held in integer fen (exact, cheap) and exposed as Decimals.

    ``instalment = principal + interest + fee`` and ``closing = opening - principal`` hold by
    construction, so they are derived rather than stored.

    Immutable, compared and hashed by its fields; made from one tuple of the six fields:
    ``ScheduleRow((no, due, opening_fen, principal_fen, interest_fen, fee_fen))`` — the engine's
    values are already validated; ``from_amounts`` validates stored Decimals.
    """

    __slots__ = ()
    _fields = _RowFields._fields
    instalment_no = _RowFields.instalment_no
    due_date = _RowFields.due_date
    opening_fen = _RowFields.opening_fen
    principal_fen = _RowFields.principal_fen
    interest_fen = _RowFields.interest_fen
    fee_fen = _RowFields.fee_fen

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
        return cls((
            instalment_no,
            due_date,
            to_fen(opening_balance, field="opening_balance"),
            to_fen(principal, field="principal"),
            to_fen(interest, field="interest"),
            to_fen(fee, field="fee"),
        ))  # fmt: skip

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


class ReadOutRow(tuple):
    """A row of ``Schedule.rows_read_out()``: the public columns, every amount a Decimal with two
    places (what a model save, a serializer, a contract or a page reads), by attribute
    (``row.principal``).

    A tuple rather than a dict of the eight columns: a dict per row was the read-out's largest
    single cost. ``items()`` gives the (column, value) pairs in order for code that walks the
    columns, and a row compares equal to the dict of its columns (``ScheduleRow.as_dict()``, the
    read-out's earlier form), so the two forms can be checked against each other.
    """

    __slots__ = ()
    _fields = _ReadOutFields._fields
    instalment_no = _ReadOutFields.instalment_no
    due_date = _ReadOutFields.due_date
    opening_balance = _ReadOutFields.opening_balance
    principal = _ReadOutFields.principal
    interest = _ReadOutFields.interest
    fee = _ReadOutFields.fee
    instalment = _ReadOutFields.instalment
    closing_balance = _ReadOutFields.closing_balance

    def items(self) -> Iterator[tuple[str, int | date | Decimal]]:
        return zip(self._fields, self, strict=True)

    def as_dict(self) -> dict[str, int | date | Decimal]:
        return dict(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return self.as_dict() == other
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    # Defining __eq__ would otherwise make the row unhashable; equal tuples still hash equal.
    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        return "ReadOutRow(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"
