"""The partners' money on the books (issue #18): after the demo seed and the nightly batches to
the month's end (month-end steps included: commission statements, OEM claims, provisions), every
partner account equals the sum of its sub-ledger, dealer by dealer, to the fen, and the trial
balance is zero."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from autofin.business_date import business_date_current
from autofin.models import User
from autofin.money import ZERO
from servicing.eod.sync_driver import eod_run_until
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.floorplan import FloorplanAdvance
from servicing.selectors.ledger import account_balance, trial_balance
from servicing.selectors.oem_claims import claims_subledger_difference
from servicing.selectors.partner_ledgers import PARTNER_LEDGERS, partner_ledgers_reconcile
from servicing.selectors.periods import month_end
from servicing.services.floorplan.advances import advance_approve, advance_release
from servicing.services.floorplan.bank import floorplan_advance_recover, floorplan_advance_send
from tests.servicing import floorplan_support, oem_support


def _demo_advance_funded() -> None:
    """The demo's floor-plan request, approved and released by the demo's finance maker and
    checker and paid by the sandbox bank, so the month accrues its interest."""
    advance = FloorplanAdvance.objects.get(status="requested")
    advance_approve(advance, User.objects.get(username="fin_maker"))
    advance_release(advance, User.objects.get(username="fin_checker"))
    assert floorplan_advance_send(advance_id=advance.pk) == "sent"
    if SandboxBank().callback_deliver(advance.idempotency_key) is None:
        # no answer to deliver (the sandbox bank loses some on purpose): ask by key, as the
        # recovery task does
        floorplan_advance_recover(advance_id=advance.pk)
    advance.refresh_from_db()
    assert advance.status == "funded"


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.usefixtures("disbursement_settings")
def test_after_the_demo_and_a_month_of_batches_partner_accounts_equal_their_subledgers(
    settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    _demo_advance_funded()
    start = business_date_current()
    batches = eod_run_until(target=month_end(start))
    assert batches and {b.status for b in batches} == {"succeeded"}
    assert business_date_current() > month_end(start)

    assert trial_balance().total == ZERO
    rows = partner_ledgers_reconcile()
    assert {r.account for r in rows} == set(PARTNER_LEDGERS)
    assert [(r.account, r.difference, r.partners_differing) for r in rows] == [
        (r.account, ZERO, ()) for r in rows
    ]
    # not vacuous: the demo's dealers hold deposits, are owed commission, draw on floor-plan
    for code in (
        "dealer_deposit",
        "commission_payable",
        "floorplan_receivable",
        "floorplan_interest_receivable",
    ):
        assert account_balance(account_code=code) != ZERO, code
    assert claims_subledger_difference() == ZERO
    oem_support.books_agree()
    floorplan_support.books_agree()
