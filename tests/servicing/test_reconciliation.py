"""Daily reconciliation of the sandbox bank's statement against our payment attempts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.business_date import business_date_set
from servicing.gateway.sandbox_bank import SandboxBank, _bank_connection
from servicing.models.disbursement import PaymentAttempt
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create
from servicing.services.reconciliation import reconciliation_run
from tests.servicing.disbursement_support import STANDARD, deliver, make_facts, send_all

# Every test here runs the sandbox bank's sends and callbacks by hand (servicing/conftest.py).
pytestmark = pytest.mark.usefixtures("disbursement_settings")


def test_reconciliation_lists_each_kind_of_mismatch(dealer, customer, payees, maker, checker):
    day = dt.date(2026, 5, 6)
    business_date_set(actor="test", date=day, reason="tests")
    d = disbursement_create(facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD),
                            actor=maker)  # fmt: skip
    disbursement_approve(disbursement_id=d.pk, actor=checker)
    send_all(d)
    attempts = list(PaymentAttempt.objects.filter(instruction__disbursement=d).order_by("pk"))
    deliver_keys = [a.idempotency_key for a in attempts[:3]]
    SandboxBank().callbacks_deliver(keys=deliver_keys)  # the 4th stays "sent": status differs
    # the bank's amount for the 2nd differs (a bank-side error)
    with _bank_connection().cursor() as cursor:
        cursor.execute(
            "UPDATE servicing_sandboxbankpayment SET amount = amount + 1 WHERE idempotency_key = %s",
            [attempts[1].idempotency_key],
        )
    # a payment at the bank we have no record of
    SandboxBank().send(idempotency_key=f"STRAY-{d.pk}", amount=Decimal("99.00"),
                       account_number="6222020000005555", account_name="x", bank_name="x",
                       reference="stray", requested_date=day)  # fmt: skip
    # and one we recorded as paid that the bank does not know
    ghost = attempts[2]
    PaymentAttempt.objects.filter(pk=ghost.pk).update(idempotency_key=f"GHOST-{d.pk}")

    run = reconciliation_run(statement_date=day, actor=maker)

    lines = {(x.kind, x.idempotency_key) for x in run.lines.all()}
    assert lines == {
        ("amount_differs", attempts[1].idempotency_key),
        ("missing_at_bank", f"GHOST-{d.pk}"),
        ("missing_in_books", ghost.idempotency_key),
        ("missing_in_books", f"STRAY-{d.pk}"),
        ("status_differs", attempts[3].idempotency_key),
    }
    assert (run.bank_lines, run.book_lines, run.matched, run.mismatches) == (5, 4, 1, 5)
    amount_line = run.lines.get(kind="amount_differs")
    assert (amount_line.book_amount, amount_line.bank_amount) == (
        Decimal("10619.47"),
        Decimal("10620.47"),
    )
    status_line = run.lines.get(kind="status_differs")
    assert (status_line.book_status, status_line.bank_status) == ("sent", "succeeded")


def test_clean_day_reconciles_without_mismatch(dealer, customer, payees, maker, checker):
    day = dt.date(2026, 5, 7)
    business_date_set(actor="test", date=day, reason="tests")
    d = disbursement_create(facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD),
                            actor=maker)  # fmt: skip
    disbursement_approve(disbursement_id=d.pk, actor=checker)
    send_all(d)
    deliver(d)
    run = reconciliation_run(statement_date=day, actor=maker)
    assert (run.bank_lines, run.book_lines, run.matched, run.mismatches) == (4, 4, 4, 0)
