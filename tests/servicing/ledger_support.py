"""Loan rows for ledger tests that post to loan ids of their choosing (the ledger's loan key is a
foreign key): bare accounts, no schedule, no funding - the ledger tests look at postings only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from autofin.roles import Role
from servicing.models.loans import Loan
from tests.factories import UserFactory

DAY = dt.date(2026, 3, 16)


def ledger_loans(ids: Iterable[int]) -> list[int]:
    """Create the loans of these ids that do not exist yet (one INSERT); returns the ids."""
    wanted = sorted(set(ids))
    have = set(Loan.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [i for i in wanted if i not in have]
    if missing:
        customer = UserFactory(roles=[Role.CUSTOMER])
        Loan.objects.bulk_create(
            Loan(
                pk=i,
                contract_ref=f"LEDGER-{i}",
                customer=customer,
                amount_financed=Decimal("120000.00"),
                annual_rate=Decimal("0.06"),
                penalty_rate=Decimal("0.09"),
                term_months=12,
                method="equal_instalment",
                value_date=DAY,
                first_due_date=DAY + dt.timedelta(days=31),
                day_count="30/360",
                status_date=DAY,
                principal_outstanding=Decimal("120000.00"),
                accrued_through=DAY,
                schedule_rate=Decimal("0.06"),
            )
            for i in missing
        )
    return wanted
