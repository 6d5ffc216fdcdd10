"""The nightly steps on a small book, with exact figures: accrual, due, auto-debit, aging and
penalty, reminders in contact hours, checks, dealer month-end, GL summary and snapshots."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from autofin.business_date import business_date_current
from autofin.models import OutboundMessage
from servicing.eod.registry import STEPS, register, steps_ordered
from servicing.eod.sync_driver import batch_run_sync
from servicing.models import JournalLine
from servicing.models.collections import GlSummary, LoanDelinquency, LoanSnapshot, LoanTask
from servicing.models.commission_payouts import CommissionPayout
from servicing.models.deposits import DepositCall
from servicing.models.eod import BatchRun, StepRun
from servicing.models.loans import Loan, PenaltyAccrual
from servicing.models.repayments import AutoDebitBatch, AutoDebitItem
from servicing.selectors.ledger import loan_balances, trial_balance
from tests.servicing.loan_helpers import D, make_loan, rows, set_day

pytestmark = pytest.mark.django_db
_phones = itertools.count(13900001000)


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: any test here may run the nightly batch, whose auto-debit step must not send to
    # the bank; chunks of two loans make a small book span several chunks.
    settings.EOD_AUTO_DEBIT_SEND = False
    settings.EOD_CHUNK_SIZE = 2


def loan(**kw):
    from autofin.roles import Role
    from tests.factories import UserFactory

    customer = UserFactory(
        roles=[Role.CUSTOMER], phone=str(next(_phones)), email=kw.pop("email", "")
    )
    return make_loan(customer=customer, **kw)


def close(day):
    batch = batch_run_sync(business_date=day)
    assert batch.status == "succeeded", batch.error
    return batch


def step_result(day, code):
    return StepRun.objects.get(batch__business_date=day, code=code).result


def test_three_nights_accrual_due_aging_penalty_auto_debit_figures():
    # given a 120 000.00 loan at 6 % (30/360, fee 50.00) valued 2026-01-15, first due 2026-02-15,
    # that never pays, and a loan valued 2026-01-18 (due 2026-02-18) with an e-mail address
    a = loan()
    b = loan(value_date=dt.date(2026, 1, 18), email="b@example.com")
    row1 = rows(a)[0]
    assert (row1.due_date, row1.interest, row1.fee) == (
        dt.date(2026, 2, 15),
        D("600.00"),
        D("50.00"),
    )
    set_day(dt.date(2026, 2, 14))
    # when the batch closes 2026-02-14: 29 days 30E/360 since 01-15 -> 120000 x 6% x 29/360
    close(dt.date(2026, 2, 14))
    a.refresh_from_db()
    assert a.accrued_through == dt.date(2026, 2, 14)
    assert a.accrual_period_posted == D("580.00")
    assert loan_balances(loan_id=a.pk)["interest_receivable"] == D("580.00")
    assert business_date_current() == dt.date(2026, 2, 15)
    # T-3 reminder for b (due 02-18 = D+4): one SMS and one e-mail
    b_msgs = OutboundMessage.objects.filter(dedupe_key__startswith=f"reminder:{b.pk}:")
    assert sorted(b_msgs.values_list("channel", "dedupe_key")) == [
        ("email", f"reminder:{b.pk}:2026-02-14:t-3:email"),
        ("sms", f"reminder:{b.pk}:2026-02-14:t-3:sms"),
    ]

    # when 2026-02-15 closes: one more day (20.00) and the true-up to the row's 600.00 (+0.00),
    # the fee 50.00 falls due, the row is due, and unpaid at close the loan is overdue (DPD 1)
    close(dt.date(2026, 2, 15))
    a.refresh_from_db()
    assert (a.accrual_period_posted, a.accrual_remainder) == (D("0.00"), D("0"))
    bal = loan_balances(loan_id=a.pk)
    assert (bal["interest_receivable"], bal["fee_receivable"]) == (D("600.00"), D("50.00"))
    assert rows(a)[0].status == "due"
    assert (a.status, a.status_date) == ("overdue", dt.date(2026, 2, 16))
    dq = LoanDelinquency.objects.get(loan=a)
    assert (dq.dpd, dq.bucket, dq.classification, dq.non_accrual) == (
        1,
        "M1",
        "special_mention",
        False,
    )
    item = AutoDebitItem.objects.get(batch__business_date=dt.date(2026, 2, 15), loan=a)
    assert item.amount == row1.instalment == D("10377.97")
    assert item.instruction_ref == f"AD20260215{a.pk:010d}"
    assert AutoDebitBatch.objects.get(business_date=dt.date(2026, 2, 15)).content.splitlines() == [
        "instruction_ref,contract_ref,amount",
        f"AD20260215{a.pk:010d},{a.contract_ref},10377.97",
    ]
    assert OutboundMessage.objects.filter(
        dedupe_key=f"reminder:{a.pk}:2026-02-15:dpd-1:sms"
    ).exists()

    # when 2026-02-16 closes: one day of penalty on principal + interest 10327.97 at 9 % / 360
    close(dt.date(2026, 2, 16))
    seg = PenaltyAccrual.objects.get(row__loan=a)
    daily = (D("10327.97") * D("0.09") / 360).quantize(D("0.01"))
    assert (seg.start, seg.end, seg.base, seg.daily_amount, seg.amount) == (
        dt.date(2026, 2, 15),
        dt.date(2026, 2, 16),
        D("10327.97"),
        daily,
        D("2.58"),
    )
    assert rows(a)[0].status == "overdue"
    assert loan_balances(loan_id=a.pk)["penalty_receivable"] == D("2.58")
    assert LoanDelinquency.objects.get(loan=a).dpd == 2
    # T-1 reminder for b (02-18 = D+2)
    assert OutboundMessage.objects.filter(dedupe_key=f"reminder:{b.pk}:2026-02-16:t-1:sms").exists()
    # the GL summary: the day's debits equal its credits, the cumulative trial balance is zero,
    # and agrees with the ledger's own trial balance
    g = {x.account_code: x for x in GlSummary.objects.filter(business_date=dt.date(2026, 2, 16))}
    tb = {r.code: r for r in trial_balance(as_of=dt.date(2026, 2, 16)).rows}
    assert all(g[c].balance == tb[c].balance for c in tb)
    assert g["penalty_income"].day_credit == D("2.58")
    assert step_result(dt.date(2026, 2, 16), "gl_summary")["trial_balance"] == "0.00"
    # snapshots: one per open loan per date
    snap = LoanSnapshot.objects.get(business_date=dt.date(2026, 2, 16), loan_id=a.pk)
    assert (snap.dpd, snap.bucket, snap.status, snap.principal_outstanding, snap.mob) == (
        2,
        "M1",
        "overdue",
        D("120000.00"),
        1,
    )
    assert LoanSnapshot.objects.filter(business_date=dt.date(2026, 2, 16)).count() == 2


def test_reminders_queued_at_night_wait_for_contact_hours(monkeypatch):
    # given a loan due 2026-02-18 and the batch running at 00:30 Beijing time
    b = loan(value_date=dt.date(2026, 1, 18))
    set_day(dt.date(2026, 2, 14))
    night = timezone.make_aware(dt.datetime(2026, 2, 15, 0, 30))
    monkeypatch.setattr(timezone, "now", lambda: night)
    # when the batch queues the T-3 reminder
    batch_run_sync(business_date=dt.date(2026, 2, 14), only_step="reminders")
    msg = OutboundMessage.objects.get(dedupe_key=f"reminder:{b.pk}:2026-02-14:t-3:sms")
    # then it waits until 08:00 and is not due for delivery before
    assert timezone.localtime(msg.not_before) == timezone.make_aware(dt.datetime(2026, 2, 15, 8))
    assert msg.status == "queued"
    assert "2026-02-18" in msg.body and "10377.97" in msg.body
    from autofin.notifications import notifications_due

    assert msg.pk not in notifications_due()
    # and a re-run queues nothing twice
    StepRun.objects.filter(code="reminders").delete()
    batch_run_sync(business_date=dt.date(2026, 2, 14), only_step="reminders")
    assert OutboundMessage.objects.filter(dedupe_key__startswith=f"reminder:{b.pk}:").count() == 1


def test_checks_mortgage_gps_past_deadline_and_insurance_expiring():
    # given a pending mortgage registration due 02-14, GPS due 02-20, and a loan valued
    # 2025-03-17 whose insurance year ends 2026-03-17 (30 days after D+1 = 02-15)
    a = loan(
        after_funding={
            "mortgage_registration": dt.date(2026, 2, 14),
            "gps_installed": dt.date(2026, 2, 20),
        }
    )
    assert (a.mortgage_status, a.gps_status) == ("pending", "pending")
    old = loan(value_date=dt.date(2025, 3, 17))
    set_day(dt.date(2026, 2, 14))
    # when the checks run for 02-14
    batch_run_sync(business_date=dt.date(2026, 2, 14), only_step="checks")
    a.refresh_from_db()
    # then
    assert (a.mortgage_status, a.gps_status) == ("overdue", "pending")
    assert list(LoanTask.objects.order_by("kind").values_list("loan_id", "kind", "ref_date")) == [
        (old.pk, "insurance_expiring", dt.date(2026, 3, 17)),
        (a.pk, "mortgage_overdue", dt.date(2026, 2, 14)),
    ]
    assert step_result(dt.date(2026, 2, 14), "checks") == {
        "mortgage_overdue": 1, "gps_overdue": 0, "insurance_expiring": 1,
    }  # fmt: skip


def test_month_end_commission_statement_and_dealer_grades(make_dealer_for_eod):
    from dealers.models.commissions import CommissionStatement
    from dealers.models.grading import DealerGrade, DealerMonthlyKpi

    dealer = make_dealer_for_eod()
    a = loan()
    # the loan the fixture's commission (EOD-C-1, 120 000.00 on 01-15) was accrued for
    Loan.objects.filter(pk=a.pk).update(
        dealer_id=dealer.pk,
        contract_ref="EOD-C-1",
        value_date=dt.date(2026, 1, 15),
        amount_financed=D("120000.00"),
    )
    set_day(dt.date(2026, 1, 31))
    # when the batch closes the month's last day
    batch_run_sync(business_date=dt.date(2026, 1, 31), only_step="dealer_metrics")
    # then the dealer is graded and gets its January statement with the funded commission
    statement = CommissionStatement.objects.get(dealer=dealer, month=dt.date(2026, 1, 1))
    assert statement.total == D("1800.00")  # 120 000.00 x 1.5 %
    assert DealerGrade.objects.filter(dealer=dealer, as_of=dt.date(2026, 1, 31)).count() == 1
    assert step_result(dt.date(2026, 1, 31), "dealer_metrics")["statements"] == 1
    # and the month's KPIs count what the statement lists (the KPI page reconciles with it)
    kpi = DealerMonthlyKpi.objects.get(dealer=dealer, month=dt.date(2026, 1, 1))
    line = statement.lines.get()
    assert (int(kpi.figures["funded_count"]), D(kpi.figures["funded_amount"])) == (
        1,
        line.amount_financed,
    )
    assert step_result(dt.date(2026, 1, 31), "dealer_metrics")["kpis"] == 1
    # and its payout waits for finance (held for the dealer's invoice, by policy)
    payout = CommissionPayout.objects.get(statement_id=statement.pk)
    assert (payout.amount, payout.status) == (D("1800.00"), "held")
    # and the agreement in force, with no deposit held, has it called at the grade's amount
    grade = DealerGrade.objects.get(dealer=dealer, as_of=dt.date(2026, 1, 31)).grade
    call = DepositCall.objects.get(dealer_id=dealer.pk)
    assert (call.reason, call.grade) == ("agreement_start", grade)
    assert call.amount == {"A": 100000, "B": 200000, "C": 300000, "D": 500000}[grade]
    assert step_result(dt.date(2026, 1, 31), "dealer_metrics")["deposit_calls"] == 1


def test_a_nightly_clawback_is_posted_to_the_dealers_subledger_with_its_row(make_dealer_for_eod):
    from dealers.models.commissions import CommissionClawback

    dealer = make_dealer_for_eod()
    a = loan()
    Loan.objects.filter(pk=a.pk).update(
        dealer_id=dealer.pk,
        contract_ref="EOD-C-1",
        status="settled_early",
        closed_on=dt.date(2026, 2, 10),
    )
    set_day(dt.date(2026, 2, 10))
    batch_run_sync(business_date=dt.date(2026, 2, 10), only_step="dealer_metrics")
    clawback = CommissionClawback.objects.get(commission__contract_ref="EOD-C-1")
    assert clawback.amount == D("-900.00")  # half of 1 800.00 within six months
    lines = JournalLine.objects.filter(entry__idempotency_key=f"commission-clawback:{clawback.pk}")
    assert sorted((x.account.code, x.side, x.amount, x.dealer_id) for x in lines) == [
        ("commission_expense", "C", D("900.00"), dealer.pk),
        ("commission_payable", "D", D("900.00"), dealer.pk),
    ]
    assert step_result(dt.date(2026, 2, 10), "dealer_metrics")["clawbacks"] == 1


@pytest.fixture
def make_dealer_for_eod(db):
    from dealers.models.dealers import Dealer
    from dealers.seed import uscc_make
    from dealers.services import agreement_create, commission_accrue

    def _make():
        dealer = Dealer.objects.create(
            legal_name="日结测试汽车销售服务有限公司",
            uscc=uscc_make("310115", 8123),
            dealer_type="four_s",
            province="上海市",
            city="上海市",
            status="active",
        )
        agreement_create(
            actor="seed", dealer=dealer, product_line="new", commission_kind="percent",
            commission_rate="0.015", clawback_months=6, clawback_share="0.5",
            deposit_required="0", effective_from=dt.date(2026, 1, 1),
            effective_to=dt.date(2026, 12, 31),
        )  # fmt: skip
        commission_accrue(
            dealer=dealer, contract_ref="EOD-C-1", amount_financed="120000.00",
            funded_on=dt.date(2026, 1, 15), product_line="new",
        )  # fmt: skip
        return dealer

    return _make


def test_charge_off_at_configured_dpd(settings, policy):
    # given a loan 30 days past due and a charge-off threshold of 30 DPD
    policy("servicing.charge_off_dpd", "30")
    a = loan(value_date=dt.date(2025, 12, 15))  # first due 2026-01-15
    set_day(dt.date(2026, 2, 13))
    # when 02-13 closes: dpd = 02-14 - 01-15 = 30
    close(dt.date(2026, 2, 13))
    a.refresh_from_db()
    # then the loan is charged off: every receivable moved to charge-off expense
    assert a.status == "charged_off"
    bal = loan_balances(loan_id=a.pk)
    receivables = ("principal_receivable", "interest_receivable", "fee_receivable",
                   "penalty_receivable")  # fmt: skip
    assert all(bal.get(code, D("0")) == 0 for code in receivables)
    # (nothing was paid: what is written off is the principal and every income accrued)
    assert (
        bal["charge_off_expense"]
        == D("120000.00") + bal["interest_income"] + bal["fee_income"] + bal["penalty_income"]
    )
    assert bal["penalty_income"] == sum(
        PenaltyAccrual.objects.filter(row__loan=a).values_list("amount", flat=True), D("0")
    )
    assert trial_balance().total == 0


def test_non_accrual_after_90_dpd_goes_off_balance():
    # given a loan whose first instalment (due 2026-01-15) is 91+ days past due at close
    a = loan(value_date=dt.date(2025, 12, 15))
    set_day(dt.date(2026, 4, 15))
    close(dt.date(2026, 4, 15))  # dpd 91 -> non-accrual from now on
    assert LoanDelinquency.objects.get(loan=a).non_accrual is True
    before = loan_balances(loan_id=a.pk)["interest_receivable"]
    # when the next night accrues
    close(dt.date(2026, 4, 16))
    bal = loan_balances(loan_id=a.pk)
    # then the receivable did not grow; the day's interest went to the memo pair
    assert bal["interest_receivable"] == before
    assert bal["off_balance_interest"] > 0
    assert bal["off_balance_interest"] == bal["off_balance_interest_contra"]
    assert BatchRun.objects.get(business_date=dt.date(2026, 4, 16)).status == "succeeded"
    assert (
        Decimal(step_result(dt.date(2026, 4, 16), "accrual")["off_balance_interest"])
        == (bal["off_balance_interest"])
    )


def test_early_warning_hits_raise_the_risk_level_and_open_a_task_once():
    from risk.models import EarlyWarningHit
    from servicing.models.collections import LoanRiskProfile

    # given a loan whose instalments due 01-15 and 02-15 are both unpaid at the close of 02-15
    a = loan(value_date=dt.date(2025, 12, 15))
    set_day(dt.date(2026, 2, 15))
    close(dt.date(2026, 2, 15))
    # then risk stored the hit (two late payments in six months: a weak signal)
    hits = list(
        EarlyWarningHit.objects.filter(loan_ref=a.contract_ref).values_list("rule_code", "strength")
    )
    assert hits == [("LATE_REPEATED", "weak")]
    profile = LoanRiskProfile.objects.get(loan=a)
    assert (profile.level, profile.raised_on) == ("low", dt.date(2026, 2, 15))
    task = LoanTask.objects.get(loan=a, kind="early_warning")
    assert task.detail == {"rules": ["LATE_REPEATED"], "level": "low"}
    # when the step runs again with the same facts: nothing is recorded twice
    StepRun.objects.filter(code="early_warning").delete()
    set_day(dt.date(2026, 2, 15))
    batch_run_sync(business_date=dt.date(2026, 2, 15), only_step="early_warning")
    assert EarlyWarningHit.objects.filter(loan_ref=a.contract_ref).count() == 1
    assert LoanTask.objects.filter(loan=a, kind="early_warning").count() == 1


def test_auto_debit_results_wait_for_the_close_then_post_once():
    from servicing.eod.steps.auto_debit import auto_debit_exchange

    a = loan()
    day = dt.date(2026, 2, 15)
    set_day(day)
    close(day)
    batch = AutoDebitBatch.objects.get(business_date=day)
    # while the night's batch is (again) running, the bank's answer waits
    BatchRun.objects.filter(business_date=day).update(status="running")
    assert auto_debit_exchange(batch_id=batch.pk) == {"waiting": True}
    assert not a.repayments.exists()
    BatchRun.objects.filter(business_date=day).update(status="succeeded")
    result = auto_debit_exchange(batch_id=batch.pk)
    assert (result["succeeded"], result["failed"]) == (1, 0)
    assert a.repayments.get().amount == rows(a)[0].instalment
    assert auto_debit_exchange(batch_id=batch.pk) == {"replayed": True}
    assert a.repayments.count() == 1


def test_a_step_at_a_taken_position_is_refused_and_nothing_registered():
    before = [s.code for s in steps_ordered()]
    taken = steps_ordered()[0]
    with pytest.raises(ImproperlyConfigured, match=taken.code):
        register(code="late_comer", label="x", position=taken.position)(lambda ctx, lo, hi: None)
    assert "late_comer" not in STEPS
    assert [s.code for s in steps_ordered()] == before
