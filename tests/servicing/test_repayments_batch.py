"""The auto-debit results file is posted set-based, a chunk of lines per transaction: the outcome
must be exactly what posting each debit alone (`repayment_post`) gives — rows, loans, penalty,
allocations, ledger — for loans on time, overdue (penalty first), paid off by the debit, and
failed; lines replayed or repeated post nothing twice."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.test import override_settings

from autofin.roles import Role
from servicing.adapters import SandboxBank
from servicing.eod.registry import StepContext
from servicing.eod.steps.auto_debit import auto_debit_chunk, auto_debit_finalize, auto_debit_prepare
from servicing.models import JournalEntry
from servicing.models.loans import Loan, MortgageRelease, PenaltyAccrual
from servicing.models.repayments import (
    AutoDebitBatch,
    AutoDebitItem,
    Repayment,
    RepaymentAllocation,
)
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.repayments.auto_debit import auto_debit_results_apply
from servicing.services.repayments.posting import repayment_post
from tests.factories import UserFactory
from tests.servicing.loan_helpers import assert_ledger_matches, make_loan, rows, set_day

pytestmark = pytest.mark.django_db
_phones = itertools.count(13900003000)
FIRST_DUE = dt.date(2026, 2, 15)
DAY = dt.date(2026, 3, 15)
# (name, term, pay the first instalment on time, the bank fails the debit)
BOOK = [
    ("on_time", 12, True, False),
    ("overdue", 12, False, False),
    ("pays_off", 2, True, False),
    ("bounced", 12, True, True),
    ("on_time_2", 24, True, False),
]


def auto_debit_file(day: dt.date) -> AutoDebitBatch:
    """The day's auto-debit file, written as the nightly step writes it (not sent: the test
    hands it to the sandbox bank itself)."""
    ctx = StepContext(business_date=day, batch_id=0, step_id=0)
    with override_settings(EOD_AUTO_DEBIT_SEND=False), transaction.atomic():
        auto_debit_prepare(ctx)
        auto_debit_chunk(ctx, 0, 2**31 - 1)
        auto_debit_finalize(ctx)
    return AutoDebitBatch.objects.get(business_date=day)


def twin_loans() -> dict[str, tuple[Loan, Loan]]:
    twins = {}
    for name, term, _paid, _fails in BOOK:
        pair = []
        for _side in "ab":
            customer = UserFactory(roles=[Role.CUSTOMER], phone=str(next(_phones)))
            pair.append(make_loan(customer=customer, term=term, amount="98765.43"))
        twins[name] = tuple(pair)
    set_day(FIRST_DUE)
    for name, _term, paid, _fails in BOOK:
        if paid:
            for loan in twins[name]:
                repayment_post(
                    loan_id=loan.pk, amount=rows(loan)[0].instalment, source="online",
                    actor="customer", business_date=FIRST_DUE, idempotency_key=f"first-{loan.pk}",
                )  # fmt: skip
    return twins


def state(loan: Loan) -> dict:
    loan.refresh_from_db()
    return {
        "loan": (
            loan.status,
            loan.status_date,
            loan.closed_on,
            loan.principal_outstanding,
            loan.suspense_balance,
        ),
        "rows": [
            (
                r.instalment_no,
                r.status,
                r.principal_paid,
                r.interest_paid,
                r.fee_paid,
                r.penalty,
                r.penalty_paid,
                r.paid_on,
                r.penalty_through,
            )
            for r in rows(loan)
        ],
        "balances": dict(loan_balances(loan_id=loan.pk)),
        "allocations": sorted(
            RepaymentAllocation.objects.filter(repayment__loan=loan).values_list(
                "row__instalment_no", "component", "amount", "row_status_before"
            )
        ),
        "penalty": sorted(
            PenaltyAccrual.objects.filter(row__loan=loan).values_list(
                "row__instalment_no", "start", "end", "base", "daily_amount", "amount"
            )
        ),
        "released": MortgageRelease.objects.filter(loan=loan).exists(),
    }


def test_batched_results_post_exactly_what_single_postings_post():
    twins = twin_loans()
    set_day(DAY)
    batch = auto_debit_file(DAY)
    fails = {twins[name][0].contract_ref for name, *_r, fails in BOOK if fails}
    results = SandboxBank(fail=fails).process(batch.content)
    header, *lines = results.splitlines()
    a_loans = {pair[0].pk for pair in twins.values()}
    items = {i.instruction_ref: i for i in AutoDebitItem.objects.filter(batch=batch)}
    a_lines = [line for line in lines if items[line.split(",")[0]].loan_id in a_loans]
    assert len(a_lines) == len(BOOK)

    # side A: the file, in chunks of two lines (one line repeated: applied once)
    content = "\n".join([header, *a_lines, a_lines[0]]) + "\n"
    summary = auto_debit_results_apply(content=content, business_date=DAY, chunk=2)
    assert (summary.succeeded, summary.failed, summary.replayed, summary.unknown) == (4, 1, 0, 0)
    # side B: each debit posted alone, as an online channel would
    for name, pair in twins.items():
        b = pair[1]
        if name == "bounced":
            continue
        item = AutoDebitItem.objects.get(batch=batch, loan=b)
        repayment_post(
            loan_id=b.pk, amount=item.amount, source="auto_debit", actor="bank",
            business_date=DAY, idempotency_key=f"auto-debit:{item.instruction_ref}",
        )  # fmt: skip

    for name, (a, b) in twins.items():
        got, expected = state(a), state(b)
        assert got == expected, name
        if name != "bounced":
            assert_ledger_matches(a)
    assert state(twins["overdue"][0])["penalty"], "the overdue loan paid penalty first"
    assert twins["pays_off"][0].status == "paid_off" and state(twins["pays_off"][0])["released"]
    assert AutoDebitItem.objects.get(loan=twins["bounced"][0]).failure_reason == "余额不足"
    posted = AutoDebitItem.objects.filter(loan_id__in=a_loans, result="success")
    assert all(
        i.repayment.journal_entry_id and i.repayment.status == "posted"
        for i in posted.select_related("repayment")
    )

    # the same file again posts nothing
    entries = JournalEntry.objects.count()
    again = auto_debit_results_apply(content=content, business_date=DAY, chunk=3)
    assert (again.succeeded, again.failed, again.replayed) == (0, 0, 5)
    assert JournalEntry.objects.count() == entries
    assert Repayment.objects.filter(source="auto_debit").count() == 8
    assert trial_balance().total == 0
