"""Dealer commissions on the books, end to end: accruals and clawbacks on the dealer's
sub-ledger, frozen monthly statements with a debt carried forward, the dealer's invoice,
maker-checker release through the sandbox bank, and 已付 on the statement — the ledger's
commission payable equal to the statements to the fen at every step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from autofin.models import AuditEntry
from dealers.models.accounts import SettlementAccount
from dealers.models.commissions import Commission, CommissionStatement
from dealers.services import (
    agreement_create,
)
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalEntry, JournalLine
from servicing.models.disbursement import SandboxBankPayment
from servicing.selectors.commissions import commission_payable_by_dealer
from servicing.selectors.ledger import account_balance
from servicing.services.commissions.bank import commission_payout_recover, commission_payout_send
from servicing.services.commissions.payouts import (
    PayoutError,
    commission_payout_invoice_record,
    commission_payout_prepare,
    commission_payout_retry,
)
from servicing.services.commissions.release import commission_payout_approve
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create
from servicing.services.disbursement.fund import disbursement_fund
from servicing.services.disbursement.settle import bank_callback_receive
from servicing.services.ledger.entries import InvalidLineError
from servicing.services.ledger.posting import journal_post
from servicing.services.ledger.reversal import journal_entry_reverse
from servicing.services.reconciliation import reconciliation_run
from tests.servicing.commission_support import accrue, books_agree, claw, month_end, on, pay
from tests.servicing.disbursement_support import (
    STANDARD,
    deliver,
    make_facts,
    next_serial,
    send_all,
    set_dealer_account,
)

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal
ZERO = D("0.00")


@pytest.fixture
def used_line(dealer):
    """A used-car agreement from January: 1 %, clawed back in full within six months."""
    return agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="used",
        commission_kind="percent",
        commission_rate="0.01",
        clawback_months=6,
        clawback_share="1",
        effective_from=dt.date(2026, 1, 1),
    )


def test_a_commission_month_from_accrual_to_paid_with_a_clawback_carried_forward(
    dealer, used_line, maker, checker, policy
):
    # January: two contracts funded; the month's statement is 待付 ¥1,500.00
    on(dt.date(2026, 1, 10))
    first = accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    accrue(dealer, "50000.00", dt.date(2026, 1, 20))
    lines = JournalLine.objects.filter(dealer_id=dealer.pk).order_by("id")
    assert [(x.account.code, x.side, x.amount) for x in lines] == [
        ("commission_expense", "D", D("1000.00")),
        ("commission_payable", "C", D("1000.00")),
        ("commission_expense", "D", D("500.00")),
        ("commission_payable", "C", D("500.00")),
    ]
    books_agree(dealer, "1500.00")
    on(dt.date(2026, 2, 1))
    jan, payout = month_end(dealer, dt.date(2026, 1, 1))
    assert (jan.number, jan.accrued_total, jan.net_amount, jan.pay_status) == (
        f"CS202601-{dealer.pk:06d}",
        D("1500.00"),
        D("1500.00"),
        "pending",
    )
    assert payout.status == "held"  # no invoice yet, and policy wants one
    with pytest.raises(PayoutError) as exc:
        commission_payout_prepare(payout_id=payout.pk, actor=maker)
    assert exc.value.code == "held"
    with pytest.raises(PayoutError) as exc:  # an invoice for another amount
        commission_payout_invoice_record(
            payout_id=payout.pk,
            actor=maker,
            invoice_number="12345678901234567890",
            invoice_amount="1500.01",
            invoice_tax="84.91",
        )
    assert exc.value.field == "invoice_amount"
    payout.refresh_from_db()
    assert (payout.status, payout.invoice_number) == ("held", "")
    commission_payout_invoice_record(
        payout_id=payout.pk,
        actor=maker,
        invoice_number="12345678901234567890",
        invoice_amount="1,500.00",
        invoice_tax="84.91",
    )
    payout = pay(payout, maker, checker)
    assert (payout.status, payout.paid_on, payout.invoice_tax) == (
        "paid",
        dt.date(2026, 2, 1),
        D("84.91"),
    )
    jan.refresh_from_db()
    assert (jan.pay_status, jan.paid_on, jan.bank_ref) == (
        "paid",
        dt.date(2026, 2, 1),
        payout.bank_ref,
    )
    assert jan.bank_ref.startswith("SBX")
    assert account_balance(account_code="bank_clearing") == D("-1500.00")
    books_agree(dealer, "0.00")

    # February: ¥200 earned, the first contract settled early: ¥1,000 clawed back. The month
    # ends ¥800 owed BY the dealer: carried forward, nothing paid.
    on(dt.date(2026, 2, 15))
    accrue(dealer, "20000.00", dt.date(2026, 2, 15))
    claw(first, dt.date(2026, 2, 20))
    books_agree(dealer, "-800.00")
    on(dt.date(2026, 3, 1))
    feb, payout = month_end(dealer, dt.date(2026, 2, 1))
    assert (feb.accrued_total, feb.clawback_total, feb.net_amount, feb.pay_status) == (
        D("200.00"),
        D("-1000.00"),
        D("-800.00"),
        "carried",
    )
    assert payout is None
    books_agree(dealer, "-800.00")

    # March: ¥2,000 earned, the ¥800 set off: ¥1,200 paid — invoices no longer required.
    policy("servicing.commission_payout_requires_invoice", "false")
    accrue(dealer, "200000.00", dt.date(2026, 3, 5))
    on(dt.date(2026, 4, 1))
    mar, payout = month_end(dealer, dt.date(2026, 3, 1))
    assert (mar.brought_forward, mar.net_amount, mar.carried_from_id) == (
        D("-800.00"),
        D("1200.00"),
        feb.pk,
    )
    assert (payout.status, payout.accrued_total, payout.set_off, payout.amount) == (
        "draft",
        D("2000.00"),
        D("-800.00"),
        D("1200.00"),
    )
    books_agree(dealer, "1200.00")
    payout = pay(payout, maker, checker)
    mar.refresh_from_db()
    assert mar.pay_status == "paid"
    books_agree(dealer, "0.00")
    assert account_balance(account_code="bank_clearing") == D("-2700.00")
    assert account_balance(account_code="commission_expense") == D("2700.00")
    # a second callback for the same key changes nothing
    assert (
        bank_callback_receive(payload=SandboxBank().callback_payload(payout.idempotency_key))[
            "result"
        ]
        == "duplicate"
    )
    assert JournalEntry.objects.filter(source_id=f"payout-{payout.pk}").count() == 1


def test_an_issued_statement_is_frozen_by_the_database(dealer, used_line):
    on(dt.date(2026, 1, 10))
    accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    on(dt.date(2026, 2, 1))
    statement, _payout = month_end(dealer, dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionStatement.objects.filter(pk=statement.pk).update(net_amount=D("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        statement.lines.update(amount=D("1.00"))
    statement.refresh_from_db()
    assert statement.net_amount == D("1000.00")


def test_payout_to_an_unverified_account_is_refused_and_nothing_is_written(
    dealer, used_line, maker, checker, policy
):
    policy("servicing.commission_payout_requires_invoice", "false")
    on(dt.date(2026, 1, 10))
    accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    on(dt.date(2026, 2, 1))
    _statement, payout = month_end(dealer, dt.date(2026, 1, 1))
    SettlementAccount.objects.filter(dealer=dealer).update(verified=False)
    audits = AuditEntry.objects.count()
    with pytest.raises(PayoutError) as exc:
        commission_payout_prepare(payout_id=payout.pk, actor=maker)
    assert exc.value.code == "no_account"
    payout.refresh_from_db()
    assert (payout.status, payout.account_number_enc, payout.prepared_by_id) == ("draft", "", None)
    assert AuditEntry.objects.count() == audits

    # verified again and prepared; the account then changes before the checker releases
    SettlementAccount.objects.filter(dealer=dealer).update(verified=True)
    commission_payout_prepare(payout_id=payout.pk, actor=maker)
    set_dealer_account(dealer, "6222021009000999", maker, checker)
    with pytest.raises(PayoutError) as exc:
        commission_payout_approve(payout_id=payout.pk, actor=checker)
    assert exc.value.code == "account_changed"
    payout.refresh_from_db()
    assert (payout.status, payout.idempotency_key) == ("prepared", None)
    assert not SandboxBankPayment.objects.filter(reference__startswith=payout.statement_number)


def test_maker_cannot_release_and_a_failed_payment_is_retried_under_a_new_key(
    dealer, used_line, maker, checker, policy
):
    policy("servicing.commission_payout_requires_invoice", "false")
    set_dealer_account(dealer, "6222021009000001", maker, checker)  # the sandbox fails ...0001
    on(dt.date(2026, 1, 10))
    accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    on(dt.date(2026, 2, 1))
    statement, payout = month_end(dealer, dt.date(2026, 1, 1))
    commission_payout_prepare(payout_id=payout.pk, actor=maker)
    with pytest.raises(PayoutError) as exc:
        commission_payout_approve(payout_id=payout.pk, actor=maker)
    assert exc.value.code == "forbidden"  # an operator has no release right at all
    commission_payout_approve(payout_id=payout.pk, actor=checker)
    commission_payout_send(payout_id=payout.pk)
    payout.refresh_from_db()
    first_key = payout.idempotency_key
    SandboxBank().callbacks_deliver(keys=[first_key])
    payout.refresh_from_db()
    assert (payout.status, payout.bank_status) == ("failed", "failed")
    statement.refresh_from_db()
    assert statement.pay_status == "pending"
    books_agree(dealer, "1000.00")

    set_dealer_account(dealer, "6222021009000123", maker, checker)
    commission_payout_retry(payout_id=payout.pk, actor=maker)
    payout = pay(payout, maker, checker)
    assert payout.idempotency_key != first_key and payout.attempt_no == 2
    assert payout.status == "paid"
    books_agree(dealer, "0.00")


def test_a_timeout_is_recovered_by_key_and_paid_once(dealer, used_line, maker, checker, policy):
    policy("servicing.commission_payout_requires_invoice", "false")
    set_dealer_account(dealer, "6222021009000002", maker, checker)  # answer lost, bank paid
    on(dt.date(2026, 1, 10))
    accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    on(dt.date(2026, 2, 1))
    _statement, payout = month_end(dealer, dt.date(2026, 1, 1))
    commission_payout_prepare(payout_id=payout.pk, actor=maker)
    commission_payout_approve(payout_id=payout.pk, actor=checker)
    assert commission_payout_send(payout_id=payout.pk) == "unknown"
    assert commission_payout_recover(payout_id=payout.pk) == "succeeded"
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert SandboxBankPayment.objects.filter(idempotency_key=payout.idempotency_key).count() == 1
    SandboxBank().callbacks_deliver(keys=[payout.idempotency_key])  # late callback: no change
    assert JournalEntry.objects.filter(source_id=f"payout-{payout.pk}").count() == 1
    books_agree(dealer, "0.00")
    # the bank's statement of the day lists the payout, and the books agree with it (the
    # sandbox bank's own rows outlive each test: other tests' payments of the date are listed)
    run = reconciliation_run(statement_date=payout.business_date, actor=maker)
    assert (run.book_lines, run.matched) == (1, 1)
    assert not run.lines.filter(idempotency_key=payout.idempotency_key).exists()


def test_a_line_names_one_subledger_at_most(dealer):
    with pytest.raises(InvalidLineError):
        journal_post(
            business_date=dt.date(2026, 1, 1),
            source_type="commission",
            source_id="x",
            lines=[("commission_expense", "D", "1.00", 1, dealer.pk), ("bank_clearing", "C", "1")],
            idempotency_key=f"test-{next_serial()}",
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO servicing_journalline (entry_id, account_id, side, amount, loan_id, "
            "dealer_id, business_date) VALUES (1, 1, 'D', 1, 1, %s, '2026-01-01')",
            [dealer.pk],
        )


def test_funding_posts_the_accrual_with_its_row_once(dealer, customer, payees, maker, checker):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    d = disbursement_approve(
        disbursement_id=disbursement_create(facts=facts, actor=maker).pk, actor=checker
    )
    send_all(d)
    deliver(d)
    commission = Commission.objects.get(contract_ref=facts["contract_ref"])
    assert commission.amount == D("1372.00")  # 1 % of 137 200.00
    lines = JournalLine.objects.filter(
        entry__idempotency_key=f"commission-accrue:{commission.pk}"
    ).order_by("id")
    assert [(x.account.code, x.side, x.amount, x.dealer_id, x.loan_id) for x in lines] == [
        ("commission_expense", "D", D("1372.00"), dealer.pk, None),
        ("commission_payable", "C", D("1372.00"), dealer.pk, None),
    ]
    assert lines[0].entry.business_date == commission.funded_on
    disbursement_fund(disbursement_id=d.pk)  # funding again: nothing more
    assert JournalEntry.objects.filter(source_type="commission").count() == 1
    books_agree(dealer, "1372.00")


def test_a_reversal_mirrors_the_dealer_lines(dealer, used_line):
    on(dt.date(2026, 1, 10))
    accrue(dealer, "100000.00", dt.date(2026, 1, 10))
    entry = JournalEntry.objects.get(source_type="commission")
    reversal = journal_entry_reverse(entry_id=entry.pk, reason="测试冲正", actor="test")
    assert sorted(
        (x.account.code, x.side, x.amount, x.dealer_id) for x in reversal.lines.all()
    ) == [
        ("commission_expense", "C", D("1000.00"), dealer.pk),
        ("commission_payable", "D", D("1000.00"), dealer.pk),
    ]
    assert commission_payable_by_dealer()[dealer.pk] == ZERO
