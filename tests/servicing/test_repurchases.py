"""Recourse (回购): a loan the dealer sold bought back at its outstanding balance — set against
the deposit or paid by the dealer — the loan closed as repurchased with exact entries, the
partner sub-ledgers equal to the ledger to the fen, and the refusals writing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from autofin.models import AuditEntry
from dealers.models.deposits import DealerDeposit
from dealers.services import agreement_create
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalLine
from servicing.models.credit_reporting import CreditReportRecord
from servicing.models.deposits import DepositMovement
from servicing.models.disbursement import SandboxBankPayment
from servicing.models.loans import Loan, LoanStatusChange
from servicing.models.repurchases import Repurchase, RepurchaseCollection
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.selectors.partner_ledgers import partner_ledgers_reconcile
from servicing.selectors.periods import month_start
from servicing.selectors.repurchases import recourse_subledger_by_dealer, repurchase_events
from servicing.services.commissions.bank import commission_payout_send
from servicing.services.commissions.payouts import commission_payout_prepare
from servicing.services.commissions.release import commission_payout_approve
from servicing.services.credit_reporting.generate import event_records
from servicing.services.credit_reporting.submit import batch_for
from servicing.services.deposits.receipts import deposit_receipt_record
from servicing.services.loans.account import LoanError
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.repurchases.collections import repurchase_receipt_record
from servicing.services.repurchases.requests import (
    RepurchaseError,
    repurchase_approve,
    repurchase_request,
)
from tests.servicing.commission_support import accrue, month_end, on
from tests.servicing.commission_support import books_agree as commission_books_agree
from tests.servicing.disbursement_support import next_serial
from tests.servicing.loan_helpers import VALUE_DATE, make_loan, rows, set_day

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal
ZERO = D("0.00")
# the loan's second due date: the interest and fees accrued are exactly two instalments'
REPURCHASE_DAY = dt.date(2026, 3, 15)
RECEIVABLES = ("principal_receivable", "interest_receivable", "fee_receivable")


def sold_by(dealer, *, recourse: bool = True) -> Loan:
    """A funded loan recorded as sold by `dealer` (the loan keeps its dealer as a plain id; the
    factory's loans are direct-channel, so the id is set as the dealer channel would)."""
    if recourse:
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line="used",
            commission_kind="fixed",
            commission_fixed="1000.00",
            recourse_fpd=True,
            effective_from=VALUE_DATE - dt.timedelta(days=1),
        )
    loan = make_loan()
    Loan.objects.filter(pk=loan.pk).update(dealer_id=dealer.pk)
    loan.refresh_from_db()
    return loan


def books_agree() -> None:
    assert trial_balance().total == ZERO
    for row in partner_ledgers_reconcile():
        assert (row.account, row.difference, row.partners_differing) == (row.account, ZERO, ())


def entry_lines(entry_id: int) -> list[tuple]:
    return sorted(
        (x.account.code, x.side, x.amount, x.loan_id, x.dealer_id)
        for x in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    )


def nothing_changed():
    return (
        Repurchase.objects.count(),
        JournalLine.objects.count(),
        AuditEntry.objects.count(),
        list(Loan.objects.order_by("pk").values_list("status", flat=True)),
    )


def test_a_first_payment_default_bought_back_against_the_deposit(
    dealer, today, maker, checker, policy
):
    policy("servicing.recourse_fpd_days", "28")
    loan = sold_by(dealer)
    first, second = rows(loan)[:2]
    set_day(REPURCHASE_DAY)
    deposit_receipt_record(
        dealer_id=dealer.pk, amount="200000.00", bank_ref=f"BR{next_serial()}", actor=maker
    )
    repurchase = repurchase_request(
        loan_id=loan.pk, dealer_id=dealer.pk, ground="fpd", settlement="deposit",
        evidence="", actor=maker,
    )  # fmt: skip
    with pytest.raises(RepurchaseError) as exc:  # the maker cannot release (no approver role)
        repurchase_approve(repurchase_id=repurchase.pk, actor=maker)
    assert exc.value.code == "forbidden"
    repurchase = repurchase_approve(repurchase_id=repurchase.pk, actor=checker)

    principal = D("120000.00")
    interest = first.interest + second.interest
    fee = first.fee + second.fee
    total = principal + interest + fee
    repurchase.refresh_from_db()
    assert (repurchase.principal, repurchase.interest, repurchase.fee, repurchase.penalty) == (
        principal, interest, fee, ZERO,
    )  # fmt: skip
    assert (repurchase.amount, repurchase.collected, repurchase.status) == (
        total, total, "settled",
    )  # fmt: skip
    assert entry_lines(repurchase.journal_entry_id) == sorted(
        [
            ("principal_receivable", "C", principal, loan.pk, None),
            ("interest_receivable", "C", interest, loan.pk, None),
            ("fee_receivable", "C", fee, loan.pk, None),
            ("recourse_receivable", "D", total, None, dealer.pk),
        ]
    )
    set_off = RepurchaseCollection.objects.get(repurchase=repurchase)
    assert (set_off.kind, set_off.amount) == ("deposit", total)
    assert entry_lines(set_off.journal_entry_id) == sorted(
        [
            ("dealer_deposit", "D", total, None, dealer.pk),
            ("recourse_receivable", "C", total, None, dealer.pk),
        ]
    )
    movement = DepositMovement.objects.get(kind="set_off", reference=f"repurchase-{repurchase.pk}")
    assert movement.amount == -total
    assert DealerDeposit.objects.get(dealer=dealer).held == D("200000.00") - total

    loan.refresh_from_db()
    assert (loan.status, loan.closed_on) == ("repurchased", REPURCHASE_DAY)
    assert LoanStatusChange.objects.filter(loan=loan, to_status="repurchased").count() == 1
    assert all(loan_balances(loan_id=loan.pk).get(code, ZERO) == ZERO for code in RECEIVABLES)
    assert recourse_subledger_by_dealer() == {dealer.pk: ZERO}
    assert [(e["loan_id"], e["closed_on"], e["amount"]) for e in repurchase_events(
        start=REPURCHASE_DAY, end=REPURCHASE_DAY
    )] == [(loan.pk, REPURCHASE_DAY, total)]  # fmt: skip
    # the credit-reporting feed closes the account that day with the special event 回购
    batch = batch_for(kind="event", business_date=REPURCHASE_DAY)
    event_records(batch_id=batch.pk, business_date=REPURCHASE_DAY)
    closing = CreditReportRecord.objects.get(loan_id=loan.pk, kind="closing")
    assert closing.event == "repurchase"
    books_agree()


def test_a_fraud_bought_back_and_paid_by_the_dealer(dealer, today, maker, checker):
    loan = sold_by(dealer, recourse=False)  # a proven fraud needs no recourse clause
    with pytest.raises(RepurchaseError) as exc:
        repurchase_request(
            loan_id=loan.pk, dealer_id=dealer.pk, ground="fraud", settlement="dealer_pays",
            evidence="  ", actor=maker,
        )  # fmt: skip
    assert exc.value.field == "evidence"
    repurchase = repurchase_request(
        loan_id=loan.pk, dealer_id=dealer.pk, ground="fraud", settlement="dealer_pays",
        evidence="公安机关立案：购车人身份冒用", actor=maker,
    )  # fmt: skip
    repurchase = repurchase_approve(repurchase_id=repurchase.pk, actor=checker)
    repurchase.refresh_from_db()
    total = repurchase.amount
    assert repurchase.principal == D("120000.00")
    assert (repurchase.status, repurchase.collected) == ("due", ZERO)
    assert recourse_subledger_by_dealer() == {dealer.pk: total}
    books_agree()

    part = repurchase_receipt_record(
        repurchase_id=repurchase.pk, amount="100000.00", bank_ref="RP-1", actor=maker
    )
    assert entry_lines(part.journal_entry_id) == sorted(
        [
            ("bank_clearing", "D", D("100000.00"), None, None),
            ("recourse_receivable", "C", D("100000.00"), None, dealer.pk),
        ]
    )
    # the statement line recorded twice is the same receipt; more than is due is refused
    again = repurchase_receipt_record(
        repurchase_id=repurchase.pk, amount="100000.00", bank_ref="RP-1", actor=maker
    )
    assert again.pk == part.pk
    with pytest.raises(LoanError) as exc:
        repurchase_receipt_record(
            repurchase_id=repurchase.pk, amount=total - D("99999.99"), bank_ref="RP-2",
            actor=maker,
        )  # fmt: skip
    assert exc.value.field == "amount"
    repurchase_receipt_record(
        repurchase_id=repurchase.pk, amount=total - D("100000.00"), bank_ref="RP-2", actor=maker
    )
    repurchase.refresh_from_db()
    assert (repurchase.status, repurchase.collected) == ("settled", total)
    assert recourse_subledger_by_dealer() == {dealer.pk: ZERO}
    assert Loan.objects.get(pk=loan.pk).status == "repurchased"
    books_agree()


def test_refusals_write_nothing(dealer, today, maker, checker, checker2):
    loan = sold_by(dealer)
    direct = make_loan()  # no dealer sold it
    before = nothing_changed()
    with pytest.raises(RepurchaseError) as exc:  # not a loan this dealer sold
        repurchase_request(
            loan_id=direct.pk, dealer_id=dealer.pk, ground="fraud",
            settlement="deposit", evidence="伪造收入证明", actor=maker,
        )  # fmt: skip
    assert exc.value.field == "contract_ref"
    # first instalment due 2026-02-15: 29 days unpaid on 2026-03-16, under the policy's 30
    with pytest.raises(RepurchaseError) as exc:
        repurchase_request(
            loan_id=loan.pk, dealer_id=dealer.pk, ground="fpd", settlement="deposit",
            evidence="", actor=maker,
        )  # fmt: skip
    assert exc.value.field == "ground"
    assert nothing_changed() == before

    own = repurchase_request(
        loan_id=loan.pk, dealer_id=dealer.pk, ground="fraud", settlement="dealer_pays",
        evidence="车辆不存在", actor=checker,
    )  # fmt: skip
    with pytest.raises(RepurchaseError) as exc:  # the maker cannot be the checker
        repurchase_approve(repurchase_id=own.pk, actor=checker)
    assert exc.value.code == "same_user"
    with pytest.raises(RepurchaseError):  # one live request per loan
        repurchase_request(
            loan_id=loan.pk, dealer_id=dealer.pk, ground="fraud", settlement="deposit",
            evidence="车辆不存在", actor=maker,
        )  # fmt: skip

    # the loan closed (charged off) before the checker came to it: refused, nothing written
    loan_charge_off(loan_id=loan.pk, actor=checker, reason="测试核销")
    before = nothing_changed()
    with pytest.raises(RepurchaseError) as exc:
        repurchase_approve(repurchase_id=own.pk, actor=checker2)
    assert "不能回购" in exc.value.message
    assert nothing_changed() == before
    assert Repurchase.objects.get(pk=own.pk).status == "requested"


def test_a_repurchase_debt_is_set_against_the_next_commission_payout(
    dealer, today, maker, checker, policy
):
    """#18: the month's payout is net of what the dealer owes for a loan it bought back: the
    maker sees the set-off, the checker's release posts it (借 commission payable / 贷 recourse
    receivable), the bank pays the rest, and the statement is 已付 for its whole net."""
    policy("servicing.commission_payout_requires_invoice", "false")
    loan = sold_by(dealer, recourse=False)
    repurchase = repurchase_request(
        loan_id=loan.pk, dealer_id=dealer.pk, ground="fraud", settlement="dealer_pays",
        evidence="公安机关立案：购车人身份冒用", actor=maker,
    )  # fmt: skip
    repurchase = repurchase_approve(repurchase_id=repurchase.pk, actor=checker)
    owed = repurchase.amount
    agreement_create(
        actor="seed", dealer=dealer, product_line="used", commission_kind="percent",
        commission_rate="0.01", effective_from=today.replace(day=1),
    )  # fmt: skip
    accrue(dealer, "15000000.00", today)  # 1 %: ¥150,000.00 of commission
    on(month_start(today) + dt.timedelta(days=40))
    statement, payout = month_end(dealer, month_start(today))
    assert payout.amount == D("150000.00")

    commission_payout_prepare(payout_id=payout.pk, actor=maker)
    payout.refresh_from_db()
    assert (payout.debt_set_off, payout.amount) == (owed, D("150000.00") - owed)
    commission_payout_approve(payout_id=payout.pk, actor=checker)
    collection = RepurchaseCollection.objects.get(repurchase=repurchase, kind="commission")
    assert collection.amount == owed
    assert entry_lines(collection.journal_entry_id) == sorted(
        [
            ("commission_payable", "D", owed, None, dealer.pk),
            ("recourse_receivable", "C", owed, None, dealer.pk),
        ]
    )
    repurchase.refresh_from_db()
    assert (repurchase.status, repurchase.outstanding) == ("settled", ZERO)

    assert commission_payout_send(payout_id=payout.pk) == "sent"
    payout.refresh_from_db()
    paid = SandboxBankPayment.objects.get(idempotency_key=payout.idempotency_key)
    assert paid.amount == D("150000.00") - owed
    SandboxBank().callbacks_deliver(keys=[payout.idempotency_key])
    payout.refresh_from_db()
    statement.refresh_from_db()
    assert (payout.status, statement.pay_status) == ("paid", "paid")
    assert recourse_subledger_by_dealer() == {dealer.pk: ZERO}
    commission_books_agree(dealer, "0.00")
    books_agree()


def test_a_debt_larger_than_the_payout_takes_it_all_and_nothing_goes_to_the_bank(
    dealer, today, maker, checker, policy
):
    policy("servicing.commission_payout_requires_invoice", "false")
    loan = sold_by(dealer, recourse=False)
    repurchase = repurchase_request(
        loan_id=loan.pk, dealer_id=dealer.pk, ground="fraud", settlement="dealer_pays",
        evidence="公安机关立案：购车人身份冒用", actor=maker,
    )  # fmt: skip
    repurchase = repurchase_approve(repurchase_id=repurchase.pk, actor=checker)
    agreement_create(
        actor="seed", dealer=dealer, product_line="used", commission_kind="percent",
        commission_rate="0.01", effective_from=today.replace(day=1),
    )  # fmt: skip
    accrue(dealer, "100000.00", today)  # ¥1,000.00 of commission against a larger debt
    on(month_start(today) + dt.timedelta(days=40))
    statement, payout = month_end(dealer, month_start(today))
    commission_payout_prepare(payout_id=payout.pk, actor=maker)
    commission_payout_approve(payout_id=payout.pk, actor=checker)
    payout.refresh_from_db()
    statement.refresh_from_db()
    assert (payout.amount, payout.debt_set_off, payout.status) == (ZERO, D("1000.00"), "paid")
    assert statement.pay_status == "paid"
    assert not SandboxBankPayment.objects.filter(idempotency_key=payout.idempotency_key).exists()
    repurchase.refresh_from_db()
    assert (repurchase.status, repurchase.outstanding) == ("due", repurchase.amount - D("1000.00"))
    assert recourse_subledger_by_dealer() == {dealer.pk: repurchase.outstanding}
    commission_books_agree(dealer, "0.00")
    books_agree()
