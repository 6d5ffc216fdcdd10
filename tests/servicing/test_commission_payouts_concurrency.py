"""Concurrency on real PostgreSQL with threads: two checkers releasing one commission payout at
once → one release; two workers sending it and two callbacks at once → one bank payment, one
ledger entry, the statement paid once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dealers.models.commissions import CommissionStatement
from dealers.services import agreement_create
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalEntry
from servicing.models.commission_payouts import CommissionPayout
from servicing.models.disbursement import SandboxBankPayment
from servicing.selectors.commissions import commission_subledger_differences
from servicing.selectors.ledger import trial_balance
from servicing.services.commissions.bank import commission_payout_send
from servicing.services.commissions.payouts import PayoutError, commission_payout_prepare
from servicing.services.commissions.release import commission_payout_approve
from servicing.services.disbursement.settle import bank_callback_receive
from tests.servicing.commission_support import accrue, month_end, on
from tests.servicing.test_disbursement_concurrency import _race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("disbursement_settings"),
]


def test_concurrent_releases_sends_and_callbacks_pay_a_statement_once(
    transactional_db, dealer, maker, checker, checker2, policy
):
    policy("servicing.commission_payout_requires_invoice", "false")
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="used",
        commission_kind="percent",
        commission_rate="0.01",
        effective_from=dt.date(2026, 1, 1),
    )
    on(dt.date(2026, 1, 10))
    accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    on(dt.date(2026, 2, 1))
    statement, payout = month_end(dealer, dt.date(2026, 1, 1))
    commission_payout_prepare(payout_id=payout.pk, actor=maker)

    results = _race(
        lambda user: commission_payout_approve(payout_id=payout.pk, actor=user).status,
        [(checker,), (checker2,)],
    )
    assert sorted(r[0] for r in results) == ["error", "ok"]
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, PayoutError) and error.code == "not_prepared"
    payout.refresh_from_db()
    key = payout.idempotency_key

    results = _race(lambda pk: commission_payout_send(payout_id=pk), [(payout.pk,), (payout.pk,)])
    assert all(r[0] == "ok" for r in results), results
    assert SandboxBankPayment.objects.filter(reference__startswith=statement.number).count() == 1

    payload = SandboxBank().callback_payload(key)
    results = _race(lambda p: bank_callback_receive(payload=p), [(payload,), (payload,)])
    assert sorted(r[1]["result"] for r in results) == ["duplicate", "recorded"]
    assert CommissionPayout.objects.get(pk=payout.pk).status == "paid"
    assert JournalEntry.objects.filter(source_id=f"payout-{payout.pk}").count() == 1
    assert CommissionStatement.objects.get(pk=statement.pk).pay_status == "paid"
    assert commission_subledger_differences() == []
    assert trial_balance().total == Decimal("0.00")
