"""The loan account's basics every money path uses: the error, who acted, the posting date,
and the lock (see the package's lock order)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from autofin.business_date import business_date_for_posting
from servicing.models.loans import Loan, LoanScheduleRow, RowStatus
from servicing.services.hotpath import select_compiled


class LoanError(Exception):
    """A loan operation refused; `field` names the form field it concerns (or None)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def actor_label(actor: Any) -> str:
    if getattr(actor, "pk", None) and hasattr(actor, "get_username"):
        return actor.get_username()
    return str(actor or "system")


def posting_date(business_date: dt.date | None) -> dt.date:
    return business_date or business_date_for_posting()


# --- locks ---------------------------------------------------------------------------------


def loan_lock(
    *, loan_id: int, open_rows_only: bool = False, eligible_on: dt.date | None = None
) -> tuple[Loan, list[LoanScheduleRow]]:
    """Lock the loan, then its schedule rows in force by pk; rows returned by instalment number.

    Must run inside a transaction. `open_rows_only` leaves paid rows unlocked and unread;
    `eligible_on` reads only the unpaid rows a payment on that day can reach (overdue rows and the
    current one: period started before that day). Rows not read are not changed by the caller.
    """
    # Both queries are compiled once per shape (`select_compiled`): same SQL, same instances.
    found = select_compiled("loan_lock", _loan_locking, loan_id=loan_id)
    if not found:
        raise Loan.DoesNotExist("Loan matching query does not exist.")
    open_only = open_rows_only or eligible_on is not None
    if eligible_on is not None:
        rows = select_compiled(
            ("loan_lock_rows", open_only, True),
            _rows_locking,
            loan_id=loan_id,
            eligible_on=eligible_on,
        )
    else:
        rows = select_compiled(
            ("loan_lock_rows", open_only, False),
            lambda loan_id: _rows_locking(loan_id=loan_id, open_only=open_only),
            loan_id=loan_id,
        )
    rows.sort(key=lambda r: r.instalment_no)
    return found[0], rows


def _loan_locking(loan_id: int) -> QuerySet[Loan]:
    return Loan.objects.select_for_update().filter(pk=loan_id)


def _rows_locking(
    *, loan_id: int, open_only: bool = True, eligible_on: dt.date | None = None
) -> QuerySet[LoanScheduleRow]:
    qs = LoanScheduleRow.objects.filter(loan_id=loan_id, superseded_by_version__isnull=True)
    if open_only:
        qs = qs.exclude(status=RowStatus.PAID)
    if eligible_on is not None:
        qs = qs.filter(accrual_start__lt=eligible_on)
    return qs.order_by("pk").select_for_update()
