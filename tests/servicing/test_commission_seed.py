"""The demo seed's commissions: the dealers' accruals and clawbacks on the ledger, last month's
statements paid through the real payout, this month's 待付 — and the ledger's commission payable
equal to the statements, dealer by dealer, to the fen."""

from __future__ import annotations

import io

import pytest

from autofin.seed import users as autofin_seed
from dealers import seed as dealers_seed
from dealers.models.commissions import CommissionStatement
from servicing.gateway.sandbox_bank import sandbox_bank_close_connections
from servicing.models.commission_payouts import CommissionPayout
from servicing.seed.commissions import commissions_seed
from servicing.selectors.commissions import (
    commission_owed_by_statements,
    commission_payable_by_dealer,
    commission_subledger_differences,
)
from servicing.selectors.ledger import account_balance, trial_balance

pytestmark = pytest.mark.django_db


def test_seed_pays_earlier_statements_and_leaves_the_latest_to_pay(settings, tmp_path):
    settings.SANDBOX_BANK_DIR = str(tmp_path / "bank")
    settings.DISBURSEMENT_DISPATCH = "manual"
    settings.SANDBOX_BANK_CALLBACKS = "manual"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # many users
    context: dict = {}
    out = io.StringIO()
    try:
        for module in (autofin_seed, dealers_seed):
            module.seed(stdout=out, context=context)
        commissions_seed(stdout=out, context=context)
        statements = CommissionStatement.objects.all()
        latest = max(s.month for s in statements)
        earlier = statements.exclude(month=latest).exclude(pay_status="nil")
        assert earlier.exists()
        assert set(earlier.values_list("pay_status", flat=True)) == {"paid"}
        assert all(s.bank_ref and s.paid_on for s in earlier)
        assert set(statements.filter(month=latest).values_list("pay_status", flat=True)) == {
            "pending"
        }
        waiting = CommissionPayout.objects.filter(month=latest)
        assert set(waiting.values_list("status", flat=True)) == {"held", "prepared"}
        assert commission_subledger_differences() == []
        # the account as a whole: the sum of what the statements and unstated items say
        assert account_balance(account_code="commission_payable") == sum(
            commission_owed_by_statements().values()
        )
        payable = commission_payable_by_dealer()
        assert all(
            payable[s.dealer_id] >= s.net_amount for s in statements.filter(month=latest)
        )  # the latest net and this month's accruals, not yet on a statement
        assert trial_balance().total == 0

        paid = CommissionPayout.objects.filter(status="paid").count()
        commissions_seed(stdout=out, context=context)  # a second run adds nothing
        assert CommissionPayout.objects.filter(status="paid").count() == paid
        assert commission_subledger_differences() == []
    finally:
        sandbox_bank_close_connections()
