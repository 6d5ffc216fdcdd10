"""The floor-plan nightly steps: interest accrued day by day on each funded advance, set-based
and exact (rounded down to the fen, the remainder carried), the floor-plan interest receivable
equal to the advances' unpaid interest to the fen; curtailments billed by stock age, monthly,
once; overdue marks and the line frozen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.models import AuditEntry
from origination.models.floorplan import FloorplanLine
from origination.seed.applications import vin_make
from servicing.eod.steps.floorplan import floorplan_curtailments_step
from servicing.models.floorplan import FloorplanCurtailment
from servicing.models.stock_audits import StockAudit
from servicing.selectors.ledger import account_balance, trial_balance
from servicing.selectors.partner_ledgers import partner_ledgers_reconcile
from servicing.services.floorplan.payoffs import advance_payoff
from tests.servicing.floorplan_support import (
    advance_funded_row,
    dealer_make,
    ledger_by_advance,
    line_make,
    night,
    unpaid_interest_by_advance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("disbursement_settings")]

D = Decimal
JAN15 = dt.date(2026, 1, 15)
VIN_A = vin_make("LSVAU218", "N2", "990101")
VIN_B = vin_make("LSVAU218", "N2", "990102")


def test_interest_accrues_exactly_and_the_receivable_equals_the_advances_to_the_fen():
    line = line_make(dealer_make())
    a = advance_funded_row(line, vin=VIN_A, amount="100000.00", funded_on=JAN15)
    b = advance_funded_row(line, vin=VIN_B, amount="73333.33", funded_on=JAN15 + dt.timedelta(1))
    for i in range(3):
        night(JAN15 + dt.timedelta(days=i))
    a.refresh_from_db()
    b.refresh_from_db()
    # a: 100,000 x 6 % / 365 = 16.4383561644 a day; posted 16.43, 16.44, 16.44 (remainder carried)
    assert a.interest_accrued_unpaid == D("49.31")
    assert a.accrued_through == JAN15 + dt.timedelta(days=2)
    assert a.accrual_remainder == D("0.0050684932")
    # b from its funding day (Jan 16): 73,333.33 x 6 % / 365 = 12.0547939726 a day, two days
    assert b.interest_accrued_unpaid == D("24.10")
    assert ledger_by_advance("floorplan_interest_receivable") == unpaid_interest_by_advance()
    assert account_balance(account_code="floorplan_interest_receivable") == D("73.41")
    assert account_balance(account_code="floorplan_interest_income") == D("73.41")
    # a re-run of the same night posts nothing twice
    night(JAN15 + dt.timedelta(days=2))
    assert account_balance(account_code="floorplan_interest_receivable") == D("73.41")
    # a night skipped is caught up (days since the watermark), still exact
    night(JAN15 + dt.timedelta(days=4))
    a.refresh_from_db()
    assert a.interest_accrued_unpaid == D("49.31") + D("32.88")
    assert ledger_by_advance("floorplan_interest_receivable") == unpaid_interest_by_advance()
    # the partner registry finds both floor-plan accounts equal to the advances, dealer by dealer
    rows = {r.account: r for r in partner_ledgers_reconcile()}
    for code in ("floorplan_receivable", "floorplan_interest_receivable"):
        assert (rows[code].difference, rows[code].partners_differing) == (D("0.00"), ())
    assert rows["floorplan_receivable"].ledger == D("173333.33")
    assert trial_balance().total == D("0.00")


def test_curtailments_are_billed_monthly_by_stock_age_then_overdue_freezes_the_line():
    line = line_make(dealer_make())
    a = advance_funded_row(line, vin=VIN_A, amount="100000.01", funded_on=JAN15)
    night(dt.date(2026, 3, 30))  # stage 1 falls due on 15 April: not on March's bill
    assert not FloorplanCurtailment.objects.exists()
    night(dt.date(2026, 3, 31))  # month-end: April's bill
    (c1,) = FloorplanCurtailment.objects.filter(advance=a)
    assert (c1.stage, c1.due_on, c1.percent, c1.amount, c1.status) == (
        1, dt.date(2026, 4, 15), D("10.00"), D("10000.00"), "billed",
    )  # fmt: skip
    night(dt.date(2026, 4, 14))
    assert FloorplanCurtailment.objects.count() == 1  # billed once
    a.refresh_from_db()
    assert not a.overdue
    assert FloorplanLine.objects.get(pk=line.pk).status == "active"
    night(dt.date(2026, 4, 15))  # unpaid at the close of its due date
    c1.refresh_from_db()
    a.refresh_from_db()
    assert c1.status == "overdue"
    assert (a.overdue, a.overdue_since) == (True, dt.date(2026, 4, 15))
    line.refresh_from_db()
    assert line.status == "frozen"
    assert VIN_A in line.frozen_reason
    assert (
        AuditEntry.objects.filter(action="floorplan_line_freeze", object_id=str(line.pk)).count()
        == 1
    )
    night(dt.date(2026, 4, 30))  # May's bill: stage 2, 30 % cumulative (30,000.00) less 10,000.00
    c2 = FloorplanCurtailment.objects.get(advance=a, stage=2)
    assert (c2.due_on, c2.amount) == (dt.date(2026, 5, 15), D("20000.00"))
    night(dt.date(2026, 6, 30))  # July's bill: the rest, the stages summing to the advance
    c3 = FloorplanCurtailment.objects.get(advance=a, stage=3)
    assert (c3.due_on, c3.amount) == (dt.date(2026, 7, 14), D("70000.01"))
    assert sum(c.amount for c in FloorplanCurtailment.objects.filter(advance=a)) == a.amount


def test_a_repaid_share_shrinks_the_next_stage(maker):
    finance = maker
    line = line_make(dealer_make())
    a = advance_funded_row(line, vin=VIN_A, amount="100000.00", funded_on=JAN15)
    # 15,000.00 of principal repaid before any stage was billed (the dealer paid ahead)
    advance_payoff(a.pk, "15000.00", "bank_receipt", "CMB20260115-01", finance)
    night(dt.date(2026, 3, 31))
    assert not FloorplanCurtailment.objects.filter(advance=a, stage=1).exists()  # covered
    night(dt.date(2026, 4, 30))
    assert FloorplanCurtailment.objects.get(advance=a, stage=2).amount == D("15000.00")


def test_the_night_schedules_the_audits_due_once():
    line = line_make(dealer_make())
    idle = line_make(dealer_make("上海无库存汽车销售有限公司", 7002))  # nothing financed: no audit
    a = advance_funded_row(line, vin=VIN_A, amount="100000.00", funded_on=JAN15)
    (result,) = night(JAN15, floorplan_curtailments_step)
    assert result["audits_scheduled"] == 1
    audit = StockAudit.objects.get()
    assert (audit.line_id, audit.kind, audit.status, audit.scheduled_on) == (
        line.pk, "scheduled", "scheduled", JAN15 + dt.timedelta(days=1),
    )  # fmt: skip
    assert list(audit.items.values_list("advance_id", "vin")) == [(a.pk, VIN_A)]
    assert not StockAudit.objects.filter(line=idle).exists()
    (again,) = night(JAN15 + dt.timedelta(days=1), floorplan_curtailments_step)
    assert again["audits_scheduled"] == 0  # one open audit per line
