"""Online payments (sandbox provider), auto-debit files (sandbox bank), concurrency and locks."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from autofin.roles import Role
from servicing.adapters import CallbackRejected, SandboxBank, SandboxPaymentProvider
from servicing.eod.registry import StepContext
from servicing.eod.steps.auto_debit import auto_debit_chunk, auto_debit_finalize, auto_debit_prepare
from servicing.models import JournalEntry
from servicing.models.repayments import AutoDebitBatch, AutoDebitItem, PaymentOrder, Repayment
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.hotpath import statements_run
from servicing.services.repayments.auto_debit import auto_debit_results_apply
from servicing.services.repayments.manual import repayment_manual_submit
from servicing.services.repayments.online import payment_callback_handle, payment_order_create
from servicing.services.repayments.posting import repayment_post
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, assert_ledger_matches, make_loan, rows, set_day


def auto_debit_file(day: dt.date) -> AutoDebitBatch:
    """The day's auto-debit file, written as the nightly step writes it (not sent: the test
    hands it to the sandbox bank itself)."""
    ctx = StepContext(business_date=day, batch_id=0, step_id=0)
    with override_settings(EOD_AUTO_DEBIT_SEND=False), transaction.atomic():
        auto_debit_prepare(ctx)
        auto_debit_chunk(ctx, 0, 2**31 - 1)
        auto_debit_finalize(ctx)
    return AutoDebitBatch.objects.get(business_date=day)


def _verified(provider: SandboxPaymentProvider, payload: dict) -> dict:
    """The payload as the callback endpoint hands it on: signed by the provider, verified."""
    headers, body = provider.callback_signed(payload)
    return provider.callback_verify(
        method="POST", path="/api/v1/loans/payments/callback/", headers=headers, body=body
    )


@pytest.mark.django_db
def test_online_payment_callback_posts_once_and_replays():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    order, pay_url = payment_order_create(
        loan_id=loan.pk, actor=loan.customer, amount="10377.97", idempotency_key="web-1"
    )
    assert pay_url == f"/pay/sandbox/{order.provider_ref}/"
    again, _ = payment_order_create(
        loan_id=loan.pk, actor=loan.customer, amount="10377.97", idempotency_key="web-1"
    )
    assert again.pk == order.pk and PaymentOrder.objects.count() == 1
    provider = SandboxPaymentProvider()
    payload = provider.callback_payload(provider_ref=order.provider_ref, amount=order.amount)
    first = payment_callback_handle(payload=_verified(provider, payload))
    replay = payment_callback_handle(payload=_verified(provider, payload))
    assert first.status == replay.status == "paid"
    assert replay.repayment_id == first.repayment_id
    assert replay.callback_count == 2
    assert Repayment.objects.filter(source="online").count() == 1
    assert rows(loan)[0].status == "paid"
    assert_ledger_matches(loan)
    # a body changed after signing is refused before the handler sees it
    headers, body = provider.callback_signed(payload)
    with pytest.raises(CallbackRejected):
        provider.callback_verify(
            method="POST",
            path="/api/v1/loans/payments/callback/",
            headers=headers,
            body=body.replace(b'"amount":"10377.97"', b'"amount":"99999.00"'),
        )
    assert Repayment.objects.count() == 1


@pytest.mark.django_db
def test_failed_online_payment_posts_nothing():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    order, _ = payment_order_create(loan_id=loan.pk, actor=loan.customer, amount="100.00")
    SandboxPaymentProvider().pay(
        provider_ref=order.provider_ref, amount=order.amount, success=False
    )
    order.refresh_from_db()
    assert order.status == "failed" and order.repayment is None
    assert Repayment.objects.count() == 0
    assert loan_balances(loan_id=loan.pk)["principal_receivable"] == D("120000.00")


@pytest.mark.django_db
def test_auto_debit_file_and_results_round_trip_once():
    good = make_loan()
    bad = make_loan(amount="60000.00")
    set_day(dt.date(2026, 2, 15))
    batch = auto_debit_file(dt.date(2026, 2, 15))
    lines = batch.content.splitlines()
    assert lines[0] == "instruction_ref,contract_ref,amount"
    assert sorted(line.split(",")[2] for line in lines[1:]) == ["10377.97", "5213.99"]
    assert auto_debit_file(dt.date(2026, 2, 15)).pk == batch.pk
    results = SandboxBank(fail={bad.contract_ref}).process(batch.content)
    summary = auto_debit_results_apply(content=results)
    assert (summary.succeeded, summary.failed, summary.replayed) == (1, 1, 0)
    replay = auto_debit_results_apply(content=results)
    assert (replay.succeeded, replay.failed, replay.replayed) == (0, 0, 2)
    assert Repayment.objects.filter(source="auto_debit").count() == 1
    assert AutoDebitItem.objects.get(loan=bad).failure_reason == "余额不足"
    assert rows(good)[0].status == "paid" and rows(bad)[0].amount_paid == D("0.00")
    assert_ledger_matches(good)
    assert_ledger_matches(bad)


@pytest.mark.django_db
def test_posting_locks_the_loan_then_its_rows_in_pk_order():
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    with CaptureQueriesContext(connection) as ctx:
        repayment_post(loan_id=loan.pk, amount="100.00", source="manual", actor="t")
    run = statements_run(ctx.captured_queries)
    locks = [sql for sql in run if "FOR UPDATE" in sql]
    assert 'FROM "servicing_loan"' in locks[0]
    assert 'FROM "servicing_loanschedulerow"' in locks[1]
    assert locks[1].rstrip().endswith('ORDER BY "servicing_loanschedulerow"."id" ASC FOR UPDATE')
    first_write = next(i for i, sql in enumerate(run) if sql.lstrip().startswith("INSERT"))
    lock_positions = [i for i, sql in enumerate(run) if "FOR UPDATE" in sql]
    assert lock_positions[:2] == sorted(lock_positions[:2]) and lock_positions[1] < first_write


@pytest.mark.django_db(transaction=True)
def test_online_auto_debit_and_manual_at_the_same_moment_are_serialised():
    """Three channels post to one loan at once, each twice (retries): applied exactly once each."""
    loan = make_loan()
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    set_day(dt.date(2026, 2, 15))
    order, _ = payment_order_create(loan_id=loan.pk, actor=loan.customer, amount="4000.00")
    provider = SandboxPaymentProvider()
    payload = _verified(
        provider, provider.callback_payload(provider_ref=order.provider_ref, amount=order.amount)
    )
    batch = auto_debit_file(dt.date(2026, 2, 15))
    results = SandboxBank().process(batch.content)
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def run(fn):
        try:
            barrier.wait(timeout=10)
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    jobs = [
        lambda: payment_callback_handle(payload=payload),
        lambda: payment_callback_handle(payload=payload),
        lambda: auto_debit_results_apply(content=results),
        lambda: auto_debit_results_apply(content=results),
        lambda: repayment_manual_submit(
            loan_id=loan.pk, amount="3000.00", evidence="转账", actor=agent, idempotency_key="m-1"
        ),
        lambda: repayment_manual_submit(
            loan_id=loan.pk, amount="3000.00", evidence="转账", actor=agent, idempotency_key="m-1"
        ),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(Repayment.objects.values_list("source", "amount")) == [
        ("auto_debit", D("10377.97")),
        ("manual", D("3000.00")),
        ("online", D("4000.00")),
    ]
    assert JournalEntry.objects.filter(source_type="repayment").count() == 3
    loan.refresh_from_db()
    total_in = D("10377.97") + D("3000.00") + D("4000.00")
    assert loan.suspense_balance == total_in - D("10377.97")
    balances = loan_balances(loan_id=loan.pk)
    # the loan's own lines: what came in (the dealer was paid by the disbursement's entries,
    # before the loan existed; funding moved that payable onto the loan's principal)
    assert balances["bank_clearing"] == total_in
    assert rows(loan)[0].status == "paid"
    assert_ledger_matches(loan)
    assert trial_balance().total == 0
