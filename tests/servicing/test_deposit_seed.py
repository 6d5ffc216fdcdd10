"""The demo seed's dealer deposits: every agreement's `deposit_held` posted once as an opening
balance on `dealer_deposit`, the account equal to the deposit sub-ledger dealer by dealer to
the fen, and the portal's figures pushed for each dealer holding one."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db.models import Sum

from autofin.seed import users as autofin_seed
from dealers import seed as dealers_seed
from dealers.models.commissions import Agreement
from dealers.models.deposits import DealerDeposit
from servicing.seed.deposits import deposits_seed
from servicing.selectors.deposits import deposit_ledger_by_dealer, deposit_subledger_differences
from servicing.selectors.ledger import account_balance, trial_balance

pytestmark = pytest.mark.django_db


def test_seed_posts_each_held_deposit_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # many users
    context: dict = {}
    out = io.StringIO()
    for module in (autofin_seed, dealers_seed):
        module.seed(stdout=out, context=context)
    deposits_seed(stdout=out, context=context)
    held = Agreement.objects.filter(deposit_held__gt=0)
    total = held.aggregate(s=Sum("deposit_held"))["s"]
    assert total > 0
    assert account_balance(account_code="dealer_deposit") == total
    assert deposit_subledger_differences() == []
    assert None not in deposit_ledger_by_dealer()  # every line carries its dealer
    assert trial_balance().total == 0
    by_dealer = {
        r["dealer_id"]: r["s"] for r in held.values("dealer_id").annotate(s=Sum("deposit_held"))
    }
    assert dict(DealerDeposit.objects.values_list("dealer_id", "held")) == by_dealer

    deposits_seed(stdout=out, context=context)  # a second run adds nothing
    assert account_balance(account_code="dealer_deposit") == total
    assert Decimal(total) == sum(deposit_ledger_by_dealer().values())
