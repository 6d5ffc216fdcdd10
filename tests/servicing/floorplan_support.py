"""Helpers of the floor-plan tests: a dealer's approved line, its dealer admin, an OEM payee of
the register, VINs with a valid check digit, the floor-plan books read from the ledger; the
nightly steps run for one business date and the figures they must agree with."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from autofin.business_date import business_date_set
from autofin.roles import Role
from dealers.models.accounts import SettlementAccount
from dealers.models.dealers import Dealer, DealerStatus
from dealers.models.staff import DealerStaff, StaffRole
from dealers.seed import uscc_make
from origination.models.floorplan import FloorplanLine
from origination.seed.applications import vin_make
from servicing.eod.registry import StepContext
from servicing.eod.steps.floorplan import floorplan_accrual_step, floorplan_curtailments_step
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalLine
from servicing.models.floorplan import FloorplanAdvance
from servicing.selectors.ledger import trial_balance
from servicing.services.floorplan.advances import (
    advance_approve,
    advance_release,
    advance_request,
)
from servicing.services.floorplan.bank import floorplan_advance_send
from tests.factories import UserFactory
from tests.servicing.disbursement_support import next_serial, register_payee, set_dealer_account

D = Decimal
ZERO = D("0.00")
OEM = "上汽大众汽车有限公司"
OEM_ACCOUNT = "6222021003000789"
PLAN = [[90, 10], [120, 30], [180, 100]]


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


def dealer_make(name: str = "上海库存融资测试汽车销售有限公司", n: int = 7001) -> Dealer:
    return Dealer.objects.create(
        legal_name=name,
        uscc=uscc_make("310115", n),
        dealer_type="four_s",
        province="上海市",
        city="上海市",
        status=DealerStatus.ACTIVE,
    )


def line_make(
    dealer: Dealer, *, limit: str = "2000000.00", rate: str = "0.060000"
) -> FloorplanLine:
    """An approved, active line (origination's line_open is the underwriter's; its own tests
    cover the authority rules)."""
    uw = UserFactory(roles=[Role.SENIOR_UNDERWRITER])
    return FloorplanLine.objects.create(
        dealer=dealer,
        limit=D(limit),
        annual_rate=D(rate),
        curtailment_plan=PLAN,
        approved_by=uw,
        approved_at=timezone.now(),
    )


def night(d: dt.date, *steps) -> list[dict]:
    """Run the floor-plan steps (both unless named) for business date `d`, as the batch does."""
    ctx = StepContext(business_date=d, batch_id=0, step_id=0)
    return [
        step(ctx, 0, 0) for step in (steps or (floorplan_accrual_step, floorplan_curtailments_step))
    ]


def ledger_by_advance(code: str) -> dict[int, Decimal]:
    """{advance id: balance on the account's normal (debit) side} of an asset account."""
    out: dict[int, Decimal] = {}
    for side, advance_id, amount in (
        JournalLine.objects.filter(account__code=code, floorplan_advance_id__isnull=False)
        .values_list("side", "floorplan_advance_id")
        .annotate(s=Sum("amount"))
    ):
        out[advance_id] = out.get(advance_id, D("0")) + (amount if side == "D" else -amount)
    return out


def unpaid_interest_by_advance() -> dict[int, Decimal]:
    return {
        a.pk: a.interest_accrued_unpaid
        for a in FloorplanAdvance.objects.filter(status="funded")
        if a.interest_accrued_unpaid
    }


def advance_funded_row(line: FloorplanLine, *, vin: str, amount: str, funded_on: dt.date):
    """An advance to the line's dealer, funded on `funded_on` the way production funds it:
    requested by the dealer admin, approved, released, paid by the sandbox bank."""
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    if not SettlementAccount.objects.filter(dealer_id=line.dealer_id).exists():
        set_dealer_account(line.dealer, f"6222021{line.dealer_id:05d}0888", maker, checker)
    business_date_set(actor="test", date=funded_on, reason="floor-plan test")
    advance = advance_request(
        line=line, vin=vin, model_name="帕萨特 330TSI", invoice_price=D(amount) + D("5000.00"),
        oem_invoice_number=f"INV-{vin[-6:]}", amount=amount, payee_kind="dealer",
        by=dealer_admin_for(line.dealer),
    )  # fmt: skip
    advance_approve(advance, maker)
    advance_release(advance, checker)
    floorplan_advance_send(advance_id=advance.pk)
    SandboxBank().callback_deliver(FloorplanAdvance.objects.get(pk=advance.pk).idempotency_key)
    advance.refresh_from_db()
    assert (advance.status, advance.funded_on) == ("funded", funded_on), (
        advance.status,
        advance.bank_status,
        advance.failure_reason,
        advance.funded_on,
    )
    return advance
