"""Helpers of the floor-plan tests: a dealer's approved line, its dealer admin, an OEM payee of
the register, VINs with a valid check digit, the floor-plan books read from the ledger; the
nightly steps run for one business date and the figures they must agree with."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from autofin.roles import Role
from dealers.models.dealers import Dealer, DealerStatus
from dealers.models.staff import DealerStaff, StaffRole
from dealers.seed import uscc_make
from origination.models.floorplan import FloorplanLine
from origination.seed.applications import vin_make
from servicing.eod.registry import StepContext
from servicing.eod.steps.floorplan import floorplan_accrual_step, floorplan_curtailments_step
from servicing.models import JournalLine
from servicing.models.floorplan import FloorplanAdvance
from servicing.selectors.ledger import trial_balance
from tests.factories import UserFactory
from tests.servicing.disbursement_support import next_serial, register_payee

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
    """A funded advance written as the release leaves it — TEMPORARY until F1's advance services
    are merged (then: advance_request → approve → release → the bank's answer)."""
    from autofin.crypto import encrypt

    user = UserFactory(roles=[Role.FINANCE_APPROVER])
    return FloorplanAdvance.objects.create(
        line=line,
        dealer_id=line.dealer_id,
        dealer_name=line.dealer.legal_name,
        vin=vin,
        model_name="帕萨特 330TSI",
        invoice_price=D(amount) + D("5000.00"),
        oem_invoice_number=f"INV-{vin[-6:]}",
        amount=D(amount),
        annual_rate=line.annual_rate,
        curtailment_plan=line.curtailment_plan,
        status="funded",
        payee_kind="dealer",
        payee_id=line.dealer_id,
        payee_name=line.dealer.legal_name,
        account_name=line.dealer.legal_name,
        bank_name="招商银行",
        account_number_enc=encrypt("6222021001000777"),
        account_number_masked="****0777",
        requested_by=user,
        approved_by=user,
        released_by=user,
        business_date=funded_on,
        idempotency_key=f"fp-test-{vin}",
        bank_status="succeeded",
        journal_entry_id=1,
        funded_on=funded_on,
        due_on=funded_on + dt.timedelta(days=180),
        principal_outstanding=D(amount),
        certificate_status="held",
        certificate_no=f"HGZ{vin[-8:]}",
    )
