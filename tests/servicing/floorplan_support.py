"""Helpers of the floor-plan tests: a dealer's approved line, its dealer admin, an OEM payee of
the register, VINs with a valid check digit, and the floor-plan books read from the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from autofin.roles import Role
from dealers.models.staff import DealerStaff, StaffRole
from origination.models.floorplan import FloorplanLine
from origination.seed.applications import vin_make
from servicing.models import JournalLine
from servicing.models.floorplan import FloorplanAdvance
from servicing.selectors.ledger import trial_balance
from tests.factories import UserFactory
from tests.servicing.disbursement_support import next_serial, register_payee

D = Decimal
ZERO = D("0.00")
OEM = "上汽大众汽车有限公司"
OEM_ACCOUNT = "6222021003000789"


def vin_next() -> str:
    return vin_make("LSVAB2BZ", "RA", f"{next_serial() % 1_000_000:06d}")


def line_open(dealer, approver, *, limit: str = "1000000.00") -> FloorplanLine:
    return FloorplanLine.objects.create(
        dealer=dealer,
        limit=D(limit),
        annual_rate=D("0.0600"),
        approved_by=approver,
        approved_at=timezone.now(),
        oem_buyback_agreement="SVW-HG-2026-001",
    )


def dealer_admin_for(dealer):
    user = UserFactory(roles=[Role.DEALER_ADMIN], display_name="经销商管理员")
    DealerStaff.objects.create(user=user, dealer=dealer, role=StaffRole.DEALER_ADMIN)
    return user


def oem_payee(maker, checker):
    return register_payee(maker, checker, payee_type="oem", name=OEM, account=OEM_ACCOUNT)


def balance(code: str, **keys) -> Decimal:
    """The account's balance on its debit side (assets), from the lines alone."""
    lines = JournalLine.objects.filter(account__code=code, **keys)
    debit = lines.filter(side="D").aggregate(s=Sum("amount"))["s"] or ZERO
    credit = lines.filter(side="C").aggregate(s=Sum("amount"))["s"] or ZERO
    return debit - credit


def books_agree() -> None:
    """The advances' balances are the floor-plan accounts', to the fen; the ledger balances."""
    advances = FloorplanAdvance.objects.aggregate(
        p=Sum("principal_outstanding"), i=Sum("interest_accrued_unpaid")
    )
    assert balance("floorplan_receivable") == (advances["p"] or ZERO)
    assert balance("floorplan_interest_receivable") == (advances["i"] or ZERO)
    assert trial_balance().total == ZERO
