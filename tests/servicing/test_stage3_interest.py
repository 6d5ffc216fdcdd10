"""Stage-3 interest on the net carrying amount (CAS 22): a loan 95 DPD is stage 3 and non-accrual
at the same boundary; once its allowance is posted, the next night recognises (principal −
allowance) × rate / 365 as interest income released from the allowance, to the fen, while its
contractual interest still goes off-balance; the charge-off uses only what is left."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP

import pytest
from django.db import connection

from autofin.roles import Role
from servicing import loan_rules
from servicing.eod.sync_driver import batch_run_sync
from servicing.models import JournalLine
from servicing.models.provisions import LoanProvision
from servicing.selectors.ledger import account_balance
from servicing.selectors.provisions import loan_allowance
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.post import provision_run_post
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    """The nightly batch runs in these tests; it must not send auto-debits to the bank."""
    settings.EOD_AUTO_DEBIT_SEND = False


def _close(day: dt.date) -> None:
    set_day(day)
    batch = batch_run_sync(business_date=day)
    assert batch.status == "succeeded", batch.error


def _sql(expr: str, dpd: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expr}", {"dpd": dpd})
        return cursor.fetchone()[0]


def test_stage3_and_non_accrual_start_at_the_same_dpd():
    stage = loan_rules.ecl_stage_sql(dpd="%(dpd)s::int", restructured="false", warning_level="''")
    for dpd in (0, 30, 31, 89, 90, 91, 180, 181, 400):
        assert (_sql(stage, dpd) == 3) is _sql(loan_rules.non_accrual_sql("%(dpd)s::int"), dpd)


def _lines(loan_id: int, day: dt.date) -> dict[tuple[str, str], D]:
    got: dict[tuple[str, str], D] = {}
    for code, side, amount in JournalLine.objects.filter(
        loan_id=loan_id, entry__business_date=day, entry__source_type="accrual"
    ).values_list("account__code", "side", "amount"):
        got[(code, side)] = got.get((code, side), D(0)) + amount
    return got


def test_a_stage3_loan_earns_interest_on_its_net_carrying_amount(policy):
    policy("four_eyes.provision_post", "false")
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900008001")
    loan = make_loan(customer=customer, value_date=dt.date(2025, 12, 15))  # 120,000, never paid
    _close(dt.date(2026, 4, 19))  # 95 DPD: 次级, non-accrual
    run = provision_run_compute(as_of=dt.date(2026, 4, 19), actor="test")
    provision_run_post(run_id=run.pk, actor="test")
    row = LoanProvision.objects.get(run=run, loan_id=loan.pk)
    assert row.stage == 3 and 0 < row.ecl < D("120000.00")
    allowance_before = account_balance(account_code="loan_loss_allowance")

    _close(dt.date(2026, 4, 20))
    loan.refresh_from_db()
    # by hand: (120,000.00 − ECL) × the schedule rate × 1 day / 365, half-up to the fen
    net = ((D("120000.00") - row.ecl) * loan.schedule_rate / 365).quantize(D("0.01"), ROUND_HALF_UP)
    assert net > 0
    lines = _lines(loan.pk, dt.date(2026, 4, 20))
    assert lines[("loan_loss_allowance", "D")] == net
    assert lines[("interest_income", "C")] == net
    assert ("interest_receivable", "D") not in lines  # the contractual interest: off-balance
    assert lines[("off_balance_interest", "D")] == lines[("off_balance_interest_contra", "C")] > 0
    assert account_balance(account_code="loan_loss_allowance") == allowance_before - net
    assert loan_allowance(loan_id=loan.pk) == row.ecl - net  # what a charge-off may still use
