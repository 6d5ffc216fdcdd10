"""Disbursement: split validation, maker-checker, idempotent payments (timeouts, crashes,
duplicate callbacks), partial failure and retry, funding side effects, the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from autofin.models import AuditEntry, OutboundMessage
from dealers.models.commissions import Commission
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalEntry, JournalLine
from servicing.models.disbursement import (
    Disbursement,
    PaymentAttempt,
    PaymentInstruction,
    SandboxBankPayment,
)
from servicing.models.loans import Loan
from servicing.selectors.ledger import account_balance, loan_balances, trial_balance
from servicing.services.disbursement.approve import disbursement_approve, instruction_retry
from servicing.services.disbursement.create import disbursement_create
from servicing.services.disbursement.fund import disbursement_fund
from servicing.services.disbursement.send import attempt_recover, attempt_send
from servicing.services.disbursement.settle import bank_callback_receive
from servicing.services.disbursement.states import DisbursementError
from tests.servicing.disbursement_support import (
    STANDARD,
    deliver,
    keys_of,
    make_facts,
    register_payee,
    send_all,
    set_dealer_account,
)

# Every test here runs the sandbox bank's sends and callbacks by hand (servicing/conftest.py).
pytestmark = pytest.mark.usefixtures("disbursement_settings")

ZERO = Decimal("0.00")


def released(facts, maker, checker):
    d = disbursement_create(facts=facts, actor=maker)
    return disbursement_approve(disbursement_id=d.pk, actor=checker)


def _counts():
    return (
        Disbursement.objects.count(),
        PaymentInstruction.objects.count(),
        PaymentAttempt.objects.count(),
        JournalEntry.objects.count(),
    )


# --- split -------------------------------------------------------------------------------------


def test_split_one_fen_off_is_refused_and_nothing_is_created(dealer, customer, payees, maker):
    # given payees summing to 137,200.00 on a contract financing 137,200.01
    facts = make_facts(
        dealer=dealer, customer=customer, parts=STANDARD, amount_financed="137200.01"
    )
    before = _counts()
    # when / then
    with pytest.raises(DisbursementError) as exc:
        disbursement_create(facts=facts, actor=maker)
    assert exc.value.code == "split_mismatch"
    assert "137200.00" in exc.value.message and "137200.01" in exc.value.message
    assert _counts() == before


def test_split_creates_one_instruction_per_payee_summing_exactly(dealer, customer, payees, maker):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    d = disbursement_create(facts=facts, actor=maker)
    rows = list(d.instructions.order_by("seq").values_list("payee_kind", "amount", "payee_id"))
    assert rows == [
        ("dealer", Decimal("120000.00"), None),
        ("tax", Decimal("10619.47"), payees["tax"].pk),
        ("insurer", Decimal("5200.00"), payees["insurer"].pk),
        ("gps", Decimal("1380.53"), payees["gps"].pk),
    ]
    assert d.amount_financed == Decimal("137200.00")
    assert d.status == "prepared"
    # idempotent per contract
    assert disbursement_create(facts=facts, actor=maker).pk == d.pk


def test_database_refuses_a_split_that_does_not_sum(dealer, customer, payees, maker):
    d = disbursement_create(facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD),
                            actor=maker)  # fmt: skip
    with pytest.raises(IntegrityError, match="split"), transaction.atomic():
        PaymentInstruction.objects.filter(disbursement=d, seq=1).update(amount=Decimal("119999.99"))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert d.instructions.get(seq=1).amount == Decimal("120000.00")


def test_unregistered_payee_is_refused(dealer, customer, payees, maker):
    facts = make_facts(dealer=dealer, customer=customer, parts={"dealer": "1000.00",
                       "insurer": "100.00"}, names={"insurer": "未登记保险公司"})  # fmt: skip
    with pytest.raises(DisbursementError) as exc:
        disbursement_create(facts=facts, actor=maker)
    assert exc.value.code == "no_account"
    assert Disbursement.objects.count() == 0


# --- maker-checker -----------------------------------------------------------------------------


def test_maker_cannot_approve_and_operator_cannot_prepare_without_role(
    dealer, customer, payees, maker, checker
):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    with pytest.raises(DisbursementError) as exc:
        disbursement_create(facts=facts, actor=checker)
    assert exc.value.code == "forbidden"
    d = disbursement_create(facts=facts, actor=maker)
    maker_also_checker = maker
    from autofin.roles import Role, user_role_grant

    user_role_grant(user=maker_also_checker, role=Role.FINANCE_APPROVER)
    with pytest.raises(DisbursementError) as exc:
        disbursement_approve(disbursement_id=d.pk, actor=maker_also_checker)
    assert exc.value.code == "same_user"
    d.refresh_from_db()
    assert (d.status, d.approved_by_id, PaymentAttempt.objects.count()) == ("prepared", None, 0)
    # and the database holds it too
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.filter(pk=d.pk).update(approved_by=maker)


def test_above_threshold_needs_two_different_approvers(
    dealer, customer, payees, maker, checker, checker2, policy
):
    policy("servicing.disbursement_dual_approval_threshold", "100000.00")
    d = disbursement_create(facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD),
                            actor=maker)  # fmt: skip
    assert d.needs_two_approvers is True
    d = disbursement_approve(disbursement_id=d.pk, actor=checker)
    assert d.status == "awaiting_second"
    assert PaymentAttempt.objects.count() == 0
    with pytest.raises(DisbursementError) as exc:
        disbursement_approve(disbursement_id=d.pk, actor=checker)
    assert exc.value.code == "same_approver"
    d = disbursement_approve(disbursement_id=d.pk, actor=checker2)
    assert (d.status, d.approved_by_id, d.second_approved_by_id) == (
        "released",
        checker.pk,
        checker2.pk,
    )
    assert PaymentAttempt.objects.filter(instruction__disbursement=d).count() == 4
    with pytest.raises(DisbursementError) as exc:
        disbursement_approve(disbursement_id=d.pk, actor=checker2)
    assert exc.value.code == "not_pending"


def test_below_threshold_one_approver_releases(dealer, customer, payees, maker, checker):
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    assert d.status == "released" and d.needs_two_approvers is False
    assert set(d.instructions.values_list("status", flat=True)) == {"pending"}


# --- the happy path, funding side effects, the ledger ----------------------------------------


def test_all_paid_funds_the_loan_once_with_side_effects(dealer, customer, payees, maker, checker):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    d = released(facts, maker, checker)
    assert send_all(d) == ["sent"] * 4
    assert deliver(d) == 4
    d.refresh_from_db()
    assert d.status == "funded"
    loan = Loan.objects.get(contract_ref=facts["contract_ref"])
    assert d.loan_id == loan.pk
    assert loan.amount_financed == Decimal("137200.00")
    assert loan.schedule_rows().count() == 12
    assert sum(r.principal for r in loan.schedule_rows()) == Decimal("137200.00")
    # commission accrued once (1% of the amount financed)
    commission = Commission.objects.get(contract_ref=facts["contract_ref"])
    assert commission.amount == Decimal("1372.00")
    disbursement_fund(disbursement_id=d.pk)  # idempotent
    assert Commission.objects.filter(contract_ref=facts["contract_ref"]).count() == 1
    assert Loan.objects.filter(contract_ref=facts["contract_ref"]).count() == 1
    # notifications
    purposes = sorted(
        OutboundMessage.objects.filter(purpose__startswith="disbursement_funded").values_list(
            "purpose", "to"
        )
    )
    assert purposes == [
        ("disbursement_funded", "13900001234"),
        ("disbursement_funded_dealer", "13800138000"),
    ]
    # the ledger: balanced per loan, payables net zero, bank clearing paid out, trial balance 0
    assert loan_balances(loan_id=loan.pk) == {
        "principal_receivable": Decimal("137200.00"),
        "dealer_payable": Decimal("120000.00"),
        "tax_payable": Decimal("10619.47"),
        "insurer_payable": Decimal("5200.00"),
        "gps_payable": Decimal("1380.53"),
    }
    loan_lines = JournalLine.objects.filter(loan_id=loan.pk)
    assert sum(x.amount for x in loan_lines if x.side == "D") == sum(
        x.amount for x in loan_lines if x.side == "C"
    )
    for code in ("dealer_payable", "tax_payable", "insurer_payable", "gps_payable"):
        assert account_balance(account_code=code) == ZERO
    assert account_balance(account_code="bank_clearing") == Decimal("-137200.00")
    assert trial_balance().total == ZERO
    assert JournalEntry.objects.filter(source_type="disbursement", source_id=str(d.pk)).count() == 5
    assert AuditEntry.objects.filter(action="disbursement_fund", object_id=str(d.pk)).count() == 1


def test_funding_takes_the_contracts_penalty_rate_and_fee_not_the_products_rule(
    dealer, customer, payees, maker, checker
):
    """The contract says 7.67 % penalty and 35.00 a month; the product's 50 % markup on 5.9 %
    would say 8.85 %. The loan charges what was signed."""
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    facts.update(
        penalty_rate=Decimal("0.076700"),
        fee_per_instalment=Decimal("35.00"),
        product_rules={"penalty_markup": "0.5"},
    )
    d = released(facts, maker, checker)
    send_all(d)
    deliver(d)

    loan = Loan.objects.get(contract_ref=facts["contract_ref"])
    assert (loan.penalty_rate, loan.annual_rate, loan.customer_rate) == (
        Decimal("0.076700"), Decimal("0.059000"), Decimal("0.059000")
    )  # fmt: skip
    assert loan.fee_per_instalment == Decimal("35.00")
    assert {r.fee for r in loan.schedule_rows()} == {Decimal("35.00")}


def test_financed_fee_kept_by_the_lender_is_income_at_funding(
    dealer, customer, payees, maker, checker
):
    facts = make_facts(dealer=dealer, customer=customer,
                       parts={"dealer": "80000.00", "lender": "800.00"})  # fmt: skip
    d = released(facts, maker, checker)
    assert PaymentAttempt.objects.filter(instruction__disbursement=d).count() == 1
    send_all(d)
    deliver(d)
    d.refresh_from_db()
    assert d.status == "funded"
    assert loan_balances(loan_id=d.loan_id)["fee_income"] == Decimal("800.00")
    assert account_balance(account_code="bank_clearing") == Decimal("-80000.00")
    assert trial_balance().total == ZERO


# --- idempotent payments -----------------------------------------------------------------------


def test_duplicate_callback_changes_nothing(dealer, customer, payees, maker, checker):
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    send_all(d)
    deliver(d)
    key = keys_of(d)[0]
    payload = SandboxBank().callback_payload(key)
    before = (_counts(), JournalLine.objects.count(), Commission.objects.count())
    assert bank_callback_receive(payload=payload) == {"result": "duplicate", "status": "succeeded"}
    assert (_counts(), JournalLine.objects.count(), Commission.objects.count()) == before
    # forged: a "failed" the bank never signed is refused at the callback endpoint
    from servicing.gateway.interface import CallbackRejected

    headers, body = SandboxBank().callback_signed(payload)
    with pytest.raises(CallbackRejected):
        SandboxBank().callback_verify(
            method="POST",
            path="/api/v1/loans/bank/callback/",
            headers=headers,
            body=body.replace(b'"succeeded"', b'"failed"'),
        )
    assert (_counts(), JournalLine.objects.count(), Commission.objects.count()) == before


def test_bank_that_delivers_callbacks_twice(dealer, customer, payees, maker, checker):
    # the dealer's account ends 0004: the sandbox sends every callback twice
    set_dealer_account(dealer, "6222021009990004", maker, checker)
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    send_all(d)
    assert deliver(d) == 5
    d.refresh_from_db()
    assert d.status == "funded"
    assert JournalEntry.objects.filter(source_type="disbursement", source_id=str(d.pk)).count() == 5


def test_timeout_then_recovery_asks_the_bank_and_never_pays_twice(
    dealer, customer, payees, maker, checker
):
    # the dealer's account ends 0002: the bank pays but the answer to the first send is lost
    set_dealer_account(dealer, "6222021009990002", maker, checker)
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    assert send_all(d) == ["unknown", "sent", "sent", "sent"]
    dealer_attempt = PaymentAttempt.objects.get(instruction__disbursement=d, instruction__seq=1)
    # recovery asks the bank by key first
    assert attempt_recover(attempt_id=dealer_attempt.pk) == "succeeded"
    dealer_attempt.refresh_from_db()
    assert (dealer_attempt.status_queries, dealer_attempt.sends) == (1, 1)
    bank = SandboxBankPayment.objects.get(idempotency_key=dealer_attempt.idempotency_key)
    assert bank.sends == 1
    deliver(d)
    d.refresh_from_db()
    assert d.status == "funded"
    assert PaymentAttempt.objects.filter(instruction__disbursement=d).count() == 4
    assert SandboxBankPayment.objects.filter(idempotency_key__in=keys_of(d)).count() == 4
    assert account_balance(account_code="bank_clearing") == Decimal("-137200.00")


def test_request_lost_before_the_bank_is_resent_under_the_same_key(
    dealer, customer, payees, maker, checker
):
    set_dealer_account(dealer, "6222021009990003", maker, checker)
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    assert send_all(d)[0] == "unknown"
    attempt = PaymentAttempt.objects.get(instruction__disbursement=d, instruction__seq=1)
    assert SandboxBank().status(idempotency_key=attempt.idempotency_key).status == "not_found"
    assert attempt_recover(attempt_id=attempt.pk) == "sent"
    deliver(d)
    d.refresh_from_db()
    assert d.status == "funded"
    bank = SandboxBankPayment.objects.get(idempotency_key=attempt.idempotency_key)
    assert (bank.sends, bank.status) == (2, "succeeded")
    assert PaymentAttempt.objects.filter(instruction__disbursement=d).count() == 4


def test_worker_crash_after_the_bank_call_is_recovered_by_key(
    dealer, customer, payees, maker, checker, monkeypatch
):
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    attempt = PaymentAttempt.objects.get(instruction__disbursement=d, instruction__seq=1)

    def crash(**kwargs):
        raise SystemExit("worker killed after the bank call")

    monkeypatch.setattr("servicing.services.disbursement.send.attempts_record_send", crash)
    with pytest.raises(SystemExit):
        attempt_send(attempt_id=attempt.pk)
    monkeypatch.undo()
    attempt.refresh_from_db()
    assert attempt.status == "sending"  # committed before the bank call; result never recorded
    assert SandboxBankPayment.objects.filter(idempotency_key=attempt.idempotency_key).count() == 1
    # a redelivered task resends under the same key: the bank returns its first answer
    assert attempt_send(attempt_id=attempt.pk) == "sent"
    assert attempt_recover(attempt_id=attempt.pk) == "succeeded"
    bank = SandboxBankPayment.objects.get(idempotency_key=attempt.idempotency_key)
    assert bank.sends == 2
    assert SandboxBankPayment.objects.filter(idempotency_key__in=keys_of(d)).count() == 1
    assert PaymentAttempt.objects.filter(instruction_id=attempt.instruction_id).count() == 1


def test_worker_crash_recovered_by_status_query_alone(
    dealer, customer, payees, maker, checker, monkeypatch
):
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    attempt = PaymentAttempt.objects.get(instruction__disbursement=d, instruction__seq=1)
    monkeypatch.setattr("servicing.services.disbursement.send.attempts_record_send", lambda **kw: (_ for _ in ()).throw(
        RuntimeError("crash")))  # fmt: skip
    with pytest.raises(RuntimeError):
        attempt_send(attempt_id=attempt.pk)
    monkeypatch.undo()
    assert attempt_recover(attempt_id=attempt.pk) == "succeeded"
    bank = SandboxBankPayment.objects.get(idempotency_key=attempt.idempotency_key)
    assert bank.sends == 1
    entry_count = JournalEntry.objects.filter(source_type="disbursement").count()
    deliver(d)  # the bank's callback for it arrives later: a duplicate, nothing changes
    assert JournalEntry.objects.filter(source_type="disbursement").count() == entry_count


# --- partial failure, correction, retry --------------------------------------------------------


def test_partial_failure_then_corrected_account_and_retry_with_a_new_key(
    dealer, customer, payees, maker, checker
):
    # the insurer's registered account ends 0001: the bank fails that payment
    register_payee(maker, checker, payee_type="insurer", name=payees["insurer"].name,
                   account="6222021009990001", payee_id=payees["insurer"].pk)  # fmt: skip
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    d = released(facts, maker, checker)
    send_all(d)
    deliver(d)
    d.refresh_from_db()
    statuses = dict(d.instructions.values_list("payee_kind", "status"))
    assert statuses == {"dealer": "succeeded", "tax": "succeeded", "insurer": "failed",
                        "gps": "succeeded"}  # fmt: skip
    assert d.status == "released" and d.loan_id is None
    assert not Loan.objects.filter(contract_ref=facts["contract_ref"]).exists()
    assert not JournalEntry.objects.filter(reverses__isnull=False).exists()  # nothing reversed
    assert account_balance(account_code="bank_clearing") == Decimal("-132000.00")
    assert trial_balance().total == ZERO
    insurer = d.instructions.get(payee_kind="insurer")
    assert insurer.failure_reason == "收款账户已销户"
    failed_key = insurer.attempts.get().idempotency_key
    # a pending / succeeded instruction cannot be retried
    with pytest.raises(DisbursementError):
        instruction_retry(instruction_id=d.instructions.get(payee_kind="dealer").pk, actor=maker)
    # correction: a new verified account through the register (maker-checked), then retry
    register_payee(maker, checker, payee_type="insurer", name=payees["insurer"].name,
                   account="6222021002000999", payee_id=payees["insurer"].pk)  # fmt: skip
    attempt = instruction_retry(instruction_id=insurer.pk, actor=maker)
    assert attempt.attempt_no == 2 and attempt.idempotency_key != failed_key
    assert attempt.account_number_masked.endswith("0999")
    assert insurer.attempts.get(attempt_no=1).idempotency_key == failed_key
    assert insurer.attempts.get(attempt_no=1).status == "failed"
    send_all(d)
    deliver(d)
    d.refresh_from_db()
    assert d.status == "funded"
    assert Loan.objects.filter(contract_ref=facts["contract_ref"]).count() == 1
    assert account_balance(account_code="bank_clearing") == Decimal("-137200.00")
    assert account_balance(account_code="insurer_payable") == ZERO
    assert trial_balance().total == ZERO
    # the bank shows exactly one successful payment for the instruction
    keys = list(insurer.attempts.values_list("idempotency_key", flat=True))
    assert sorted(
        SandboxBankPayment.objects.filter(idempotency_key__in=keys).values_list("status", flat=True)
    ) == ["failed", "succeeded"]


def test_database_allows_one_live_attempt_per_instruction(dealer, customer, payees, maker, checker):
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    attempt = PaymentAttempt.objects.filter(instruction__disbursement=d).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAttempt.objects.create(
            instruction=attempt.instruction,
            attempt_no=2,
            idempotency_key="second-live",
            amount=attempt.amount,
            account_name="x",
            bank_name="x",
            account_number_enc="x",
            account_number_masked="x",
            business_date=attempt.business_date,
        )


def test_release_locks_the_disbursement_then_its_instructions_by_pk(
    dealer, customer, payees, maker, checker
):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    d = disbursement_create(facts=make_facts(dealer=dealer, customer=customer, parts=STANDARD),
                            actor=maker)  # fmt: skip
    with CaptureQueriesContext(conn) as ctx:
        disbursement_approve(disbursement_id=d.pk, actor=checker)
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert 'FROM "servicing_disbursement"' in locks[0]
    assert 'FROM "servicing_paymentinstruction"' in locks[1]
    assert 'ORDER BY "servicing_paymentinstruction"."id" ASC' in locks[1]


def test_timed_out_sends_are_rechecked_by_key_and_paid_once(
    dealer, customer, payees, maker, checker, settings, django_capture_on_commit_callbacks
):
    # every first send times out (after or before the bank executed it, by the key); with Celery
    # dispatch the workers' recheck asks the bank by key without waiting for the sweep
    settings.SANDBOX_BANK_TIMEOUT_RATE = 1.0
    settings.DISBURSEMENT_DISPATCH = "celery"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    attempts = list(PaymentAttempt.objects.filter(instruction__disbursement=d).order_by("pk"))
    assert len(attempts) == 4
    for attempt in attempts:
        how = SandboxBank.timeout_for(attempt.idempotency_key)
        bank = SandboxBankPayment.objects.get(idempotency_key=attempt.idempotency_key)
        # paid by the bank: settled from the status answer; never seen: resent under its key
        expected = {"after": ("succeeded", 1, 1), "before": ("sent", 2, 2)}[how]
        assert (attempt.status, attempt.sends, bank.sends) == expected
        assert attempt.status_queries == 1
    deliver(d)
    d.refresh_from_db()
    assert d.status == "funded"
    assert SandboxBankPayment.objects.filter(idempotency_key__in=keys_of(d)).count() == 4
    assert account_balance(account_code="bank_clearing") == Decimal("-137200.00")
    assert JournalEntry.objects.filter(source_type="disbursement", source_id=str(d.pk)).count() == 5
    assert trial_balance().total == ZERO


def test_timed_out_send_waits_for_the_sweep_without_celery_dispatch(
    dealer, customer, payees, maker, checker, settings, django_capture_on_commit_callbacks
):
    settings.SANDBOX_BANK_TIMEOUT_RATE = 1.0  # dispatch "manual": the sends are run by hand
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send_all(d) == ["unknown"] * 4
    assert callbacks == []
    assert set(
        PaymentAttempt.objects.filter(instruction__disbursement=d).values_list(
            "status_queries", flat=True
        )
    ) == {0}


# --- one bank call a release (send_batch) and one settlement a callback of its results ------------


def test_a_release_is_one_batch_a_timed_out_payment_in_it_settles_by_recheck_and_is_paid_once(
    dealer, customer, payees, maker, checker, settings, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # the dealer's account ends 0002: the bank pays it but its answer in the batch is lost
    set_dealer_account(dealer, "6222021009990002", maker, checker)
    settings.DISBURSEMENT_DISPATCH = "celery"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    trips = []
    monkeypatch.setattr(SandboxBank, "_network", staticmethod(lambda: trips.append(1)))
    with django_capture_on_commit_callbacks(execute=True):
        d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    attempts = {
        a.instruction.seq: a
        for a in PaymentAttempt.objects.filter(instruction__disbursement=d).select_related(
            "instruction"
        )
    }
    # one round trip for the four payments, one status query for the one whose answer was lost
    assert len(trips) == 2
    assert {seq: (a.status, a.sends, a.status_queries) for seq, a in attempts.items()} == {
        1: ("succeeded", 1, 1), 2: ("sent", 1, 0), 3: ("sent", 1, 0), 4: ("sent", 1, 0),
    }  # fmt: skip
    # the bank's one callback for the batch settles the release in one go and funds it
    keys = keys_of(d)
    before_entries = JournalEntry.objects.filter(source_type="disbursement").count()
    reply = SandboxBank().callbacks_deliver_batch(keys)
    assert [r["result"] for r in reply["results"]] == ["duplicate"] + ["recorded"] * 3
    d.refresh_from_db()
    assert d.status == "funded"
    entries = JournalEntry.objects.filter(source_type="disbursement", source_id=str(d.pk))
    assert entries.count() == before_entries + 4 == 5  # three payments and the funding
    # delivered again (the bank retries): nothing changes, nothing is paid or posted twice
    snapshot = (_counts(), AuditEntry.objects.count(), JournalLine.objects.count())
    reply = SandboxBank().callbacks_deliver_batch(keys)
    assert [r["result"] for r in reply["results"]] == ["duplicate"] * 4
    assert (_counts(), AuditEntry.objects.count(), JournalLine.objects.count()) == snapshot
    assert list(
        SandboxBankPayment.objects.filter(idempotency_key__in=keys).values_list("sends", flat=True)
    ) == [1, 1, 1, 1]
    assert account_balance(account_code="bank_clearing") == Decimal("-137200.00")
    assert trial_balance().total == ZERO
    # every state change audited once: pending, sending, sent or unknown, succeeded
    changes = AuditEntry.objects.filter(
        action__in=["payment_attempt_create", "payment_status"],
        object_id__in=[str(a.instruction_id) for a in attempts.values()],
    ).values_list("object_id", "to_state")
    by_instruction = {}
    for object_id, to_state in changes.order_by("pk"):
        by_instruction.setdefault(int(object_id), []).append(to_state)
    assert by_instruction[attempts[1].instruction_id] == [
        "pending", "sending", "unknown", "succeeded",
    ]  # fmt: skip
    assert by_instruction[attempts[2].instruction_id] == [
        "pending", "sending", "sent", "succeeded",
    ]  # fmt: skip


def test_a_batch_callback_with_a_wrong_amount_changes_nothing_of_its_release(
    dealer, customer, payees, maker, checker
):
    d = released(make_facts(dealer=dealer, customer=customer, parts=STANDARD), maker, checker)
    send_all(d)
    keys = keys_of(d)
    results = [SandboxBank().callback_payload(k) for k in keys]
    results[2]["amount"] = "1.00"
    before = (_counts(), AuditEntry.objects.count())
    with pytest.raises(DisbursementError):
        bank_callback_receive(payload={"results": results})
    assert (_counts(), AuditEntry.objects.count()) == before
    assert set(
        PaymentAttempt.objects.filter(instruction__disbursement=d).values_list("status", flat=True)
    ) == {"sent"}
    # the bank's next delivery with the right amounts settles it
    bank_callback_receive(payload={"results": [SandboxBank().callback_payload(k) for k in keys]})
    d.refresh_from_db()
    assert d.status == "funded"
