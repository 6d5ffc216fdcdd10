"""The demo seed: loans in every status, each with a ledger that agrees with it."""

from __future__ import annotations

import io

import pytest

from autofin import seed as autofin_seed
from servicing import seed as servicing_seed
from servicing.models import Loan, Repayment
from servicing.selectors import trial_balance
from tests.servicing.loan_helpers import assert_ledger_matches

pytestmark = pytest.mark.django_db


def test_seed_creates_loans_in_every_status_with_consistent_ledgers():
    context: dict = {}
    out = io.StringIO()
    autofin_seed.seed(stdout=out, context=context)
    servicing_seed.seed(stdout=out, context=context)
    statuses = set(Loan.objects.values_list("status", flat=True))
    assert statuses == {
        "active", "overdue", "restructured", "settled_early", "paid_off", "charged_off",
    }  # fmt: skip
    for loan in Loan.objects.exclude(status="charged_off"):
        assert_ledger_matches(loan)
    assert Repayment.objects.filter(status="reversed").exists()
    assert Repayment.objects.filter(status="pending_approval").exists()
    assert Repayment.objects.filter(source="suspense").exists()
    assert trial_balance().total == 0
    floating = Loan.objects.get(rate_basis="lpr")
    assert floating.lpr_spread_bps == 300 and floating.next_repricing_date is not None
    servicing_seed.seed(stdout=out, context=context)  # a second run adds nothing
    assert Loan.objects.count() == len(servicing_seed.LOANS)
