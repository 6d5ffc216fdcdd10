"""A demo loan's believable history, lived month by month up to yesterday: nightly accrual to
each due date, the instalment paid by the channel its plan names (auto-debit, online, a manual
bank transfer, an overpayment left in suspense, a bounced auto-debit reversed and paid again) or
missed, then the ending its status asks for (a restructure, an early settlement, a charge-off)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from autofin.approvals import four_eyes_waived
from autofin.business_date import business_date_set
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.services.accrual import loan_accrue
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.loans.notes import loan_note_add
from servicing.services.repayments.manual import repayment_manual_submit
from servicing.services.repayments.posting import repayment_post
from servicing.services.repayments.reversal import repayment_reverse
from servicing.services.repayments.suspense import suspense_apply
from servicing.services.settlement.early import payoff_quote_issue
from servicing.services.settlement.restructure import loan_restructure

# --- an instalment's payment, by the plan's word ("miss": none) ---


def _pay_auto(*, loan: Loan, row: LoanScheduleRow, day: dt.date, agent) -> None:
    repayment_post(
        loan_id=loan.pk, amount=row.amount_unpaid, source="auto_debit", actor="bank",
        business_date=day, external_ref=f"SEED-AD-{loan.pk}-{row.instalment_no}",
    )  # fmt: skip


def _pay_online(*, loan: Loan, row: LoanScheduleRow, day: dt.date, agent) -> None:
    pay_day = day - dt.timedelta(days=2)
    repayment_post(
        loan_id=loan.pk, amount=row.instalment, source="online", actor="customer",
        business_date=pay_day, external_ref=f"SEED-PAY-{loan.pk}-{row.instalment_no}",
    )  # fmt: skip


def _pay_manual(*, loan: Loan, row: LoanScheduleRow, day: dt.date, agent) -> None:
    repayment_manual_submit(
        loan_id=loan.pk, amount=row.instalment, actor=agent, business_date=day,
        evidence=f"招商银行转账，流水号 CMB{loan.pk:04d}{row.instalment_no:02d}",
    )  # fmt: skip


def _pay_over(*, loan: Loan, row: LoanScheduleRow, day: dt.date, agent) -> None:
    repayment_post(
        loan_id=loan.pk, amount=row.instalment + D("800.00"), source="online",
        actor="customer", business_date=day,
        external_ref=f"SEED-PAY-{loan.pk}-{row.instalment_no}",
    )  # fmt: skip


def _pay_bounce(*, loan: Loan, row: LoanScheduleRow, day: dt.date, agent) -> None:
    """An auto-debit the bank returns the next day, then paid online (with the bank's fee)."""
    bounced = repayment_post(
        loan_id=loan.pk, amount=row.instalment, source="auto_debit", actor="bank",
        business_date=day, external_ref=f"SEED-AD-{loan.pk}-{row.instalment_no}",
    )  # fmt: skip
    repayment_reverse(
        repayment_id=bounced.pk,
        reason="银行退票：账户余额不足",
        actor="bank",
        business_date=day + dt.timedelta(days=1),
    )
    repayment_post(
        loan_id=loan.pk, amount=row.instalment + D("20.00"), source="online",
        actor="customer", business_date=day + dt.timedelta(days=3),
        external_ref=f"SEED-PAY-{loan.pk}-{row.instalment_no}",
    )  # fmt: skip


PAYMENTS = {
    "auto": _pay_auto,
    "online": _pay_online,
    "manual": _pay_manual,
    "over": _pay_over,
    "bounce": _pay_bounce,
}


def _instalments_live(*, loan: Loan, plan: list[str], today: dt.date, agent) -> None:
    """Each due date before today: accrue to it, apply suspense, pay as the plan says."""
    rows = list(loan.schedule_rows())
    for row, action in zip(rows, plan, strict=False):
        if row.due_date >= today:
            break
        day = row.due_date
        loan_accrue(loan_id=loan.pk, through=day - dt.timedelta(days=1))
        # the nightly batch applies suspense on the due date; the channels collect the rest
        suspense_apply(loan_id=loan.pk, actor="eod", business_date=day)
        row.refresh_from_db()
        if row.amount_unpaid <= 0:
            loan_accrue(loan_id=loan.pk, through=day)
            continue
        pay = PAYMENTS.get(action)
        if pay is not None:
            pay(loan=loan, row=row, day=day, agent=agent)
        loan_accrue(loan_id=loan.pk, through=day)
        if action == "bounce":
            loan_accrue(loan_id=loan.pk, through=day + dt.timedelta(days=2))


# --- the ending a status asks for ---


def _restructure(*, loan: Loan, today: dt.date, agent) -> None:
    day = today - dt.timedelta(days=20)
    loan_accrue(loan_id=loan.pk, through=day - dt.timedelta(days=1))
    # Demo history (dated in the past): nobody exists yet to check it (autofin.approvals).
    with four_eyes_waived("demo seed"):
        loan_restructure(
            loan_id=loan.pk, term_months=36, actor=agent, business_date=day,
            reason="客户失业三个月后重新就业，申请展期，经审批同意重组为 36 期",
        )  # fmt: skip


def _settle_early(*, loan: Loan, today: dt.date, agent) -> None:
    yesterday = today - dt.timedelta(days=1)
    business_date_set(actor="seed", date=yesterday, reason="演示数据")
    loan_accrue(loan_id=loan.pk, through=yesterday - dt.timedelta(days=1))
    quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer)
    repayment_post(
        loan_id=loan.pk, amount=quote.total, source="online", actor="customer",
        purpose="payoff", payoff_quote_id=quote.pk, business_date=yesterday,
        external_ref=f"SEED-PAYOFF-{loan.pk}",
    )  # fmt: skip
    business_date_set(actor="seed", date=today, reason="演示数据")


def _charge_off(*, loan: Loan, today: dt.date, agent) -> None:
    yesterday = today - dt.timedelta(days=1)
    loan_accrue(loan_id=loan.pk, through=yesterday)
    loan_charge_off(
        loan_id=loan.pk, actor=agent, business_date=yesterday,
        reason="逾期超过 180 天，催收无果，经审批核销",
    )  # fmt: skip


ENDINGS = {
    "restructured": _restructure,
    "settled_early": _settle_early,
    "charged_off": _charge_off,
}


def loan_live(*, loan: Loan, plan: list[str], status: str, today: dt.date, agent) -> None:
    """Live the loan month by month up to yesterday, then end it as `status` says."""
    _instalments_live(loan=loan, plan=plan, today=today, agent=agent)
    ending = ENDINGS.get(status)
    if ending is not None:
        ending(loan=loan, today=today, agent=agent)
    if status != "charged_off":
        loan_accrue(loan_id=loan.pk, through=today - dt.timedelta(days=1))
    loan_note_add(loan_id=loan.pk, body=f"演示数据：{status}", actor=agent)
    if status == "active" and plan[-1] == "manual":
        # a large bank transfer waiting for the second person's approval
        repayment_manual_submit(
            loan_id=loan.pk, amount="60000.00", actor=agent,
            evidence="客户对公转账提前还款，工商银行流水 ICBC20261101",
        )  # fmt: skip
