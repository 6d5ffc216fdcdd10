"""Dealer deposits (保证金) on the books: called when an agreement starts and when the grade
drops (amount by grade from policy), received from the bank statement on the dealer's
sub-ledger, opening balances for deposits held before, and refunds maker-checked to the verified
settlement account — `dealer_deposit` equal to the deposit sub-ledger to the fen at every step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.models import AuditEntry
from dealers.models.accounts import SettlementAccount
from dealers.models.deposits import DealerDeposit
from dealers.models.grading import DealerGrade
from dealers.services import agreement_create
from dealers.services.grading import grading_policy_active
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalLine
from servicing.models.deposits import DepositCall, DepositMovement, DepositRefund
from servicing.selectors.deposits import deposit_ledger_by_dealer, deposit_subledger_differences
from servicing.selectors.ledger import trial_balance
from servicing.selectors.periods import month_start
from servicing.services.commissions.payouts import commission_payout_prepare
from servicing.services.commissions.release import commission_payout_approve
from servicing.services.deposits.calls import deposit_calls_raise
from servicing.services.deposits.receipts import (
    DepositError,
    deposit_openings_post,
    deposit_receipt_record,
)
from servicing.services.deposits.refund_bank import deposit_refund_recover, deposit_refund_send
from servicing.services.deposits.refunds import deposit_refund_approve, deposit_refund_prepare
from tests.servicing.commission_support import accrue, month_end, on
from tests.servicing.commission_support import books_agree as commission_books_agree
from tests.servicing.disbursement_support import next_serial

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal
ZERO = D("0.00")


def books_agree(dealer, held: str) -> None:
    assert deposit_ledger_by_dealer().get(dealer.pk, ZERO) == D(held)
    assert deposit_subledger_differences() == []
    assert trial_balance().total == ZERO


def figures(dealer) -> tuple:
    row = DealerDeposit.objects.get(dealer=dealer)
    return row.required, row.held, row.due


def grade(dealer, letter: str, on: dt.date) -> None:
    DealerGrade.objects.create(
        dealer=dealer,
        as_of=on,
        policy=grading_policy_active(),
        score=D("50"),
        grade=letter,
        inputs={},
        contributions={},
    )


def receive(dealer, amount: str, actor) -> DepositMovement:
    return deposit_receipt_record(
        dealer_id=dealer.pk, amount=amount, bank_ref=f"BR{next_serial()}", actor=actor
    )


def test_an_agreement_start_calls_the_grades_deposit_once(dealer, today, policy):
    policy("servicing.deposit_required.B", "200000.00")
    assert deposit_calls_raise(as_of=today) == 1
    call = DepositCall.objects.get(dealer_id=dealer.pk)
    assert (call.reason, call.grade, call.required, call.amount, call.status) == (
        "agreement_start",
        "",  # not graded yet: held to grade B's amount
        D("200000.00"),
        D("200000.00"),
        "open",
    )
    assert figures(dealer) == (D("200000.00"), ZERO, D("200000.00"))
    # the next night: nothing new, and a second agreement does not ask for the same yuan again
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="used",
        commission_kind="fixed",
        commission_fixed="1000.00",
        effective_from=today,
    )
    assert deposit_calls_raise(as_of=today) == 0
    assert DepositCall.objects.filter(dealer_id=dealer.pk).count() == 1


def test_receipts_pay_the_call_on_the_dealers_subledger(dealer, today, maker):
    deposit_calls_raise(as_of=today)
    first = receive(dealer, "150000.00", maker)
    lines = JournalLine.objects.filter(entry_id=first.journal_entry_id).order_by("side")
    assert [(x.account.code, x.side, x.amount, x.dealer_id) for x in lines] == [
        ("dealer_deposit", "C", D("150000.00"), dealer.pk),
        ("bank_clearing", "D", D("150000.00"), None),
    ]
    call = DepositCall.objects.get(dealer_id=dealer.pk)
    assert (call.received, call.status) == (D("150000.00"), "open")
    books_agree(dealer, "150000.00")
    assert figures(dealer) == (D("200000.00"), D("150000.00"), D("50000.00"))

    second = receive(dealer, "50000.00", maker)
    call.refresh_from_db()
    assert (call.received, call.status) == (D("200000.00"), "received")
    books_agree(dealer, "200000.00")
    assert figures(dealer)[2] == ZERO

    # the statement line recorded twice is the same receipt; under another amount, refused
    again = deposit_receipt_record(
        dealer_id=dealer.pk, amount="50000.00", bank_ref=second.reference, actor=maker
    )
    assert again.pk == second.pk
    with pytest.raises(DepositError):
        deposit_receipt_record(
            dealer_id=dealer.pk, amount="50000.01", bank_ref=second.reference, actor=maker
        )
    books_agree(dealer, "200000.00")


def test_held_deposits_get_opening_balances_once(dealer, today):
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="used",
        commission_kind="fixed",
        commission_fixed="1000.00",
        deposit_required="200000.00",
        deposit_held="200000.00",
        effective_from=today,
    )
    assert deposit_openings_post() == 1
    assert deposit_openings_post() == 0
    books_agree(dealer, "200000.00")
    assert figures(dealer) == (D("200000.00"), D("200000.00"), ZERO)
    assert deposit_calls_raise(as_of=today) == 0  # held covers the grade's amount


def test_a_grade_drop_calls_a_top_up(dealer, today, maker, policy):
    policy("servicing.deposit_required.C", "300000.00")
    grade(dealer, "B", today - dt.timedelta(days=1))
    deposit_calls_raise(as_of=today - dt.timedelta(days=1))
    receive(dealer, "200000.00", maker)
    grade(dealer, "C", today)
    assert deposit_calls_raise(as_of=today) == 1
    top_up = DepositCall.objects.get(dealer_id=dealer.pk, reason="grade_drop")
    assert (top_up.grade, top_up.required, top_up.amount) == ("C", D("300000.00"), D("100000.00"))
    assert figures(dealer) == (D("300000.00"), D("200000.00"), D("100000.00"))
    assert deposit_calls_raise(as_of=today) == 0  # once per drop


def test_a_refund_is_maker_checked_and_paid_through_the_bank(dealer, today, maker, checker):
    deposit_calls_raise(as_of=today)
    receive(dealer, "250000.00", maker)  # ¥50,000 more than grade B requires
    with pytest.raises(DepositError) as exc:
        deposit_refund_prepare(dealer_id=dealer.pk, amount="50000.01", reason="多缴", actor=maker)
    assert exc.value.field == "amount"
    own = deposit_refund_prepare(dealer_id=dealer.pk, amount="50000.00", reason="x", actor=checker)
    with pytest.raises(DepositError) as exc:  # the maker cannot be the checker
        deposit_refund_approve(refund_id=own.pk, actor=checker)
    assert exc.value.code == "same_user"
    DepositRefund.objects.filter(pk=own.pk).update(status="rejected")
    refund = deposit_refund_prepare(
        dealer_id=dealer.pk, amount="50000.00", reason="多缴退还", actor=maker
    )
    # nothing more is refundable while this one is on its way
    with pytest.raises(DepositError):
        deposit_refund_prepare(dealer_id=dealer.pk, amount="0.01", reason="多缴", actor=maker)
    with pytest.raises(DepositError) as exc:  # an operator cannot release (no approver role)
        deposit_refund_approve(refund_id=refund.pk, actor=maker)
    assert exc.value.code == "forbidden"

    deposit_refund_approve(refund_id=refund.pk, actor=checker)
    books_agree(dealer, "250000.00")  # nothing moves before the bank pays
    assert deposit_refund_send(refund_id=refund.pk) == "released"
    refund.refresh_from_db()
    assert SandboxBank().callbacks_deliver(keys=[refund.idempotency_key]) == 1
    refund.refresh_from_db()
    assert refund.status == "paid"
    lines = JournalLine.objects.filter(entry_id=refund.journal_entry_id).order_by("side")
    assert [(x.account.code, x.side, x.amount, x.dealer_id) for x in lines] == [
        ("bank_clearing", "C", D("50000.00"), None),
        ("dealer_deposit", "D", D("50000.00"), dealer.pk),
    ]
    books_agree(dealer, "200000.00")
    assert figures(dealer) == (D("200000.00"), D("200000.00"), ZERO)


def test_a_refund_to_an_unverified_account_is_refused_with_nothing_written(
    dealer, today, maker, checker
):
    receive(dealer, "250000.00", maker)
    SettlementAccount.objects.filter(dealer=dealer).update(verified=False)
    before = (JournalLine.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DepositError) as exc:
        deposit_refund_prepare(dealer_id=dealer.pk, amount="1000.00", reason="退还", actor=maker)
    assert exc.value.code == "no_account"
    assert not DepositRefund.objects.exists()
    assert (JournalLine.objects.count(), AuditEntry.objects.count()) == before

    # verified when prepared, no longer when the checker looks: refused, still prepared
    SettlementAccount.objects.filter(dealer=dealer).update(verified=True)
    refund = deposit_refund_prepare(
        dealer_id=dealer.pk, amount="1000.00", reason="退还", actor=maker
    )
    SettlementAccount.objects.filter(dealer=dealer).update(verified=False)
    with pytest.raises(DepositError) as exc:
        deposit_refund_approve(refund_id=refund.pk, actor=checker)
    assert exc.value.code == "no_account"
    refund.refresh_from_db()
    assert (refund.status, refund.idempotency_key) == ("prepared", None)
    books_agree(dealer, "250000.00")


def test_a_refund_whose_answer_is_overdue_is_settled_by_asking_the_bank_once(
    dealer, today, maker, checker
):
    receive(dealer, "230000.00", maker)  # no agreement call yet: grade B requires ¥200,000
    refund = deposit_refund_prepare(
        dealer_id=dealer.pk, amount="30000.00", reason="多缴退还", actor=maker
    )
    deposit_refund_approve(refund_id=refund.pk, actor=checker)
    deposit_refund_send(refund_id=refund.pk)
    refund.refresh_from_db()
    # no callback came: the recovery asks by key, and a second ask changes nothing
    assert deposit_refund_recover(refund_id=refund.pk) == "paid"
    assert deposit_refund_recover(refund_id=refund.pk) == "paid"
    assert DepositMovement.objects.filter(kind="refund", dealer_id=dealer.pk).count() == 1
    books_agree(dealer, "200000.00")


def test_a_better_grade_lowers_what_is_required_and_frees_the_excess(dealer, today, maker, checker):
    grade(dealer, "B", today - dt.timedelta(days=1))
    deposit_calls_raise(as_of=today - dt.timedelta(days=1))
    receive(dealer, "200000.00", maker)
    grade(dealer, "A", today)  # grade A requires ¥100,000 (the policy's initial value)
    assert deposit_calls_raise(as_of=today) == 0
    assert figures(dealer) == (D("100000.00"), D("200000.00"), ZERO)
    refund = deposit_refund_prepare(
        dealer_id=dealer.pk, amount="100000.00", reason="评级上调", actor=maker
    )
    assert refund.status == "prepared"


def test_a_commission_payout_pays_the_open_deposit_call_first(
    dealer, today, maker, checker, policy
):
    """#18: the payout is net of the deposit top-up the dealer was called for; a payout the
    call takes whole sends nothing to the bank, and the call is paid from the commission."""
    policy("servicing.commission_payout_requires_invoice", "false")
    deposit_calls_raise(as_of=today)  # ¥200,000.00 called at the agreement's start
    agreement_create(
        actor="seed", dealer=dealer, product_line="used", commission_kind="percent",
        commission_rate="0.01", effective_from=today.replace(day=1),
    )  # fmt: skip
    accrue(dealer, "15000000.00", today)  # ¥150,000.00 of commission
    on(month_start(today) + dt.timedelta(days=40))
    statement, payout = month_end(dealer, month_start(today))
    commission_payout_prepare(payout_id=payout.pk, actor=maker)
    commission_payout_approve(payout_id=payout.pk, actor=checker)
    payout.refresh_from_db()
    statement.refresh_from_db()
    assert (payout.amount, payout.debt_set_off, payout.status) == (
        ZERO, D("150000.00"), "paid",
    )  # fmt: skip
    assert statement.pay_status == "paid"
    movement = DepositMovement.objects.get(dealer_id=dealer.pk, kind="commission")
    lines = JournalLine.objects.filter(entry_id=movement.journal_entry_id).order_by("side")
    assert [(x.account.code, x.side, x.amount, x.dealer_id) for x in lines] == [
        ("dealer_deposit", "C", D("150000.00"), dealer.pk),
        ("commission_payable", "D", D("150000.00"), dealer.pk),
    ]
    call = DepositCall.objects.get(dealer_id=dealer.pk)
    assert (call.received, call.status) == (D("150000.00"), "open")
    assert figures(dealer) == (D("200000.00"), D("150000.00"), D("50000.00"))
    assert deposit_subledger_differences() == []
    commission_books_agree(dealer, "0.00")
    assert trial_balance().total == ZERO
