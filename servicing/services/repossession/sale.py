"""The sale (auction or dealer buy-back) or the redemption that closes a repossession case.

The money received is allocated, on the loan's ledger balances that day (interest and penalty
brought up to date first), in the order 民法典 第561条 sets unless the contract says otherwise:
the recoverable costs, then interest (penalty, fees, interest), then principal — the product's
rule `repossession_allocation` or the case's own `allocation_order` may name another order of
the same five parts. The schedule rows and the loan's principal move with the ledger, so the
loan's stored figures stay equal to its ledger. What is left owed after a sale (差额) is
charged off by the one charge-off service (unrecovered costs first, to charge-off expense); a
surplus is owed back to the customer (借 bank / 贷 surplus payable) and paid by the bank after
a checker's release. A redemption pays exactly what is owed with the costs: the loan is paid
off and the customer gets the car back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ROUND_HALF_UP, ZERO, quantize_fen
from autofin.policy import policy_value
from autofin.roles import MoneyAction
from origination.selectors.applications import applicant_repayment_account
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import CLOSED_STATUSES, Loan, LoanScheduleRow, LoanStatus
from servicing.models.repossession import (
    RepossessionCase,
    RepossessionPayment,
    RepossessionStatus,
    SaleMethod,
)
from servicing.selectors.ledger import loan_balances
from servicing.services.accrual import penalty_accrue_in_memory, penalty_post
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import loan_lock
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.loans.status import loan_status_set, row_status
from servicing.services.repossession.cases import (
    RepossessionError,
    amount_parse,
    case_lock,
    require,
)
from servicing.services.repossession.payments import surplus_payment_prepare
from servicing.services.settlement.shared import accrual_catch_up

S = RepossessionStatus
NOTICE_POLICY = "servicing.repossession_notice_days"
# 民法典 第561条: 实现债权的有关费用 → 利息 → 主债务 (penalty and fees count with interest)
STATUTORY_ORDER = ("costs", "penalty", "fee", "interest", "principal")
ACCOUNTS = {
    "costs": A.RECOVERABLE_COST_RECEIVABLE,
    "penalty": A.PENALTY_RECEIVABLE,
    "fee": A.FEE_RECEIVABLE,
    "interest": A.INTEREST_RECEIVABLE,
    "principal": A.PRINCIPAL_RECEIVABLE,
}
ROW_FIELDS = [
    "principal_paid", "interest_paid", "fee_paid", "penalty", "penalty_paid", "penalty_through",
    "status", "paid_on",
]  # fmt: skip


def allocation_order(case: RepossessionCase, loan: Loan) -> tuple[str, ...]:
    order = case.allocation_order or (loan.product_rules or {}).get("repossession_allocation")
    if not order:
        return STATUTORY_ORDER
    if sorted(order) != sorted(STATUTORY_ORDER):
        raise RepossessionError(_("合同约定的处置款清偿顺序配置有误。"), code="bad_order")
    return tuple(order)


def allocate(
    amount: Decimal, owed: dict[str, Decimal], order: tuple[str, ...]
) -> tuple[dict[str, Decimal], Decimal]:
    """Split `amount` over what is owed, in order (pure). Returns (parts, surplus)."""
    parts, left = {}, amount
    for part in order:
        parts[part] = min(max(owed.get(part, ZERO), ZERO), left)
        left -= parts[part]
    return parts, left


def owed_now(loan: Loan, rows: list[LoanScheduleRow], on: dt.date, actor: Any) -> dict:
    """The loan's interest and penalty brought to `on`, then its ledger balances by part."""
    accrual_catch_up(loan=loan, rows=rows, through=on, business_date=on, actor=actor)
    total, segments = penalty_accrue_in_memory(loan, rows, on)
    penalty_post(loan=loan, total=total, segments=segments, business_date=on, actor=actor)
    balances = loan_balances(loan_id=loan.pk)
    return {part: balances.get(code, ZERO) for part, code in ACCOUNTS.items()}


def _pay_rows(loan: Loan, rows: list[LoanScheduleRow], parts: dict, on: dt.date) -> None:
    """Move the schedule with the ledger: penalty and fees of the rows due, interest of the
    rows due then the current period's accrued part, principal of every row, oldest first."""
    in_force = sorted(
        (r for r in rows if r.superseded_by_version is None), key=lambda r: r.instalment_no
    )
    due = [r for r in in_force if r.due_date <= loan.accrued_through]
    targets = {
        "penalty": [(r, "penalty") for r in in_force],
        "fee": [(r, "fee") for r in due],
        "interest": [(r, "interest") for r in in_force],
        "principal": [(r, "principal") for r in in_force],
    }
    for part, pairs in targets.items():
        left = parts[part]
        for row, component in pairs:
            open_amount = getattr(row, component) - getattr(row, f"{component}_paid")
            take = min(open_amount, left)
            if take > 0:
                setattr(row, f"{component}_paid", getattr(row, f"{component}_paid") + take)
                left -= take
        if left:  # pragma: no cover - the ledger and the rows agree (nightly reconciliation)
            raise RepossessionError(_("贷款台账与分户账不一致，请先对账。"), code="break")
    for row in in_force:
        row.status = row_status(row, on)
        if row.amount_unpaid == 0 and row.paid_on is None:
            row.paid_on = on
        row.save(update_fields=ROW_FIELDS)
    loan.principal_outstanding -= parts["principal"]
    loan.save(update_fields=["principal_outstanding", "updated_at"])


def _apply(case, loan, rows, *, amount: Decimal, on: dt.date, actor, what: str) -> dict:
    """Post the money received over what is owed; fill the case's allocation."""
    owed = owed_now(loan, rows, on, actor)
    parts, surplus = allocate(amount, owed, allocation_order(case, loan))
    lines = [(A.BANK_CLEARING, "D", amount, loan.pk)]
    lines += [(ACCOUNTS[p], "C", v, loan.pk) for p, v in parts.items() if v > 0]
    if surplus > 0:
        lines.append((A.CUSTOMER_PAYABLE, "C", surplus, loan.pk))
    entry = journal_post(
        business_date=on,
        source_type=SourceType.REPOSSESSION,
        source_id=f"case-{case.pk}",
        lines=lines,
        idempotency_key=f"repossession-{what}:{case.pk}",
        description=_("收车处置款 %(ref)s") % {"ref": loan.contract_ref},
        actor=actor,
        loan_id=loan.pk,
    )
    _pay_rows(loan, rows, parts, on)
    case.proceeds, case.surplus, case.journal_entry_id = amount, surplus, entry.pk
    for part, value in parts.items():
        setattr(case, f"to_{part}", value)
    case.closed_on, case.closed_by, case.bank_ref = on, actor, case.bank_ref
    return {p: owed[p] - parts[p] for p in owed}


def _case_and_loan(case_id: int, *statuses: str):
    loan_id = RepossessionCase.objects.filter(pk=case_id).values_list("loan_id", flat=True).first()
    if loan_id is None:
        raise RepossessionError(_("收车案件不存在。"), code="missing")
    loan, rows = loan_lock(loan_id=loan_id)  # the loan first, as every money path
    case = case_lock(case_id, *statuses)
    if loan.status in CLOSED_STATUSES:
        raise RepossessionError(_("贷款已结清或核销。"))
    if RepossessionPayment.objects.filter(case=case, status="prepared").exists():
        raise RepossessionError(_("该案件有待复核的费用，请先复核或驳回。"), code="costs_pending")
    return case, loan, rows


def _money(amount: Any, bank_ref: str) -> Decimal:
    value = amount_parse(amount, "amount")
    if value is None or value <= 0:
        raise RepossessionError(_("请填写到账金额。"), field="amount")
    if not (bank_ref or "").strip():
        raise RepossessionError(_("请填写银行流水号。"), field="bank_ref")
    return quantize_fen(value, ROUND_HALF_UP)


def repossession_sale_record(
    *,
    case_id: int,
    method: str,
    buyer_name: str,
    amount: Any,
    bank_ref: str,
    actor: Any,
    surplus_account: dict | None = None,
) -> RepossessionCase:
    """The car sold and its price received: costs → interest → principal; a deficiency is
    charged off, a surplus prepared for the customer (released by a checker)."""
    require(actor, MoneyAction.REPOSSESSION_SALE_RECORD)
    if method not in SaleMethod.values:
        raise RepossessionError(_("请选择处置方式。"), field="method")
    if not (buyer_name or "").strip():
        raise RepossessionError(_("请填写买受人。"), field="buyer_name")
    value = _money(amount, bank_ref)
    on = business_date_for_posting()
    with transaction.atomic():
        case, loan, rows = _case_and_loan(case_id, S.IN_STORAGE)
        if case.valuation is None:
            raise RepossessionError(_("车辆尚未评估，不能处置。"), code="not_valued")
        days = int(policy_value(NOTICE_POLICY, on=on))
        if case.notice_sent_on is None or case.notice_sent_on + dt.timedelta(days=days) > on:
            raise RepossessionError(
                _("须在处置通知送达 %(n)s 天后方可处置（客户可在此期间赎车）。") % {"n": days},
                code="notice",
            )
        case.bank_ref = bank_ref.strip()
        left = _apply(case, loan, rows, amount=value, on=on, actor=actor, what="sale")
        case.sale_method, case.buyer_name, case.status = method, buyer_name.strip(), S.SOLD
        case.deficiency = sum(left.values(), ZERO)
        case.save()
        if case.surplus > 0:
            if not (surplus_account or {}).get("account_number"):
                # the customer's repayment account, unless finance names another
                surplus_account = applicant_repayment_account(loan.application_id)
            surplus_payment_prepare(
                case=case, amount=case.surplus, account=surplus_account or {}, actor=actor
            )
        if case.deficiency > 0:
            _deficiency_charge_off(case, loan, left["costs"], on, actor)
        else:
            loan_status_set(
                loan=loan, to=LoanStatus.PAID_OFF, business_date=on, actor=actor,
                reason=_("收车处置款结清 #%(id)s") % {"id": case.pk},
            )  # fmt: skip
        audit_record(
            actor=actor, obj=case, action="repossession_sale", from_state=S.IN_STORAGE,
            to_state=case.status,
            data={"proceeds": str(value), "surplus": str(case.surplus),
                  "deficiency": str(case.deficiency)},
        )  # fmt: skip
    return case


def _deficiency_charge_off(case, loan, costs_left: Decimal, on, actor) -> None:
    """The 差额 written off: unrecovered costs to charge-off expense, then the loan's
    receivables by the one charge-off service (its allowance first)."""
    if costs_left > 0:
        journal_post(
            business_date=on,
            source_type=SourceType.REPOSSESSION,
            source_id=f"case-{case.pk}",
            lines=[
                (A.CHARGE_OFF_EXPENSE, "D", costs_left, loan.pk),
                (A.RECOVERABLE_COST_RECEIVABLE, "C", costs_left, loan.pk),
            ],
            idempotency_key=f"repossession-costs-off:{case.pk}",
            description=_("收车费用差额核销 %(ref)s") % {"ref": loan.contract_ref},
            actor=actor,
            loan_id=loan.pk,
        )
    loan_charge_off(
        loan_id=loan.pk, actor=actor, business_date=on,
        reason=_("收车处置后差额核销 #%(id)s") % {"id": case.pk},
    )  # fmt: skip


def repossession_redeem(
    *, case_id: int, amount: Any, bank_ref: str, actor: Any
) -> RepossessionCase:
    """The customer pays everything owed with the costs before the sale: paid off, car back."""
    require(actor, MoneyAction.REPOSSESSION_SALE_RECORD)
    value = _money(amount, bank_ref)
    on = business_date_for_posting()
    with transaction.atomic():
        case, loan, rows = _case_and_loan(case_id, S.APPROVED, S.IN_STORAGE)
        owed = owed_now(loan, rows, on, actor)
        total = sum(owed.values(), ZERO)
        if value != total:
            raise RepossessionError(
                _("赎车须一次付清全部欠款及收车费用 %(t)s 元。") % {"t": total}, field="amount"
            )
        before = case.status
        case.bank_ref = bank_ref.strip()
        _apply(case, loan, rows, amount=value, on=on, actor=actor, what="redeem")
        case.status = S.REDEEMED
        case.save()
        loan_status_set(
            loan=loan, to=LoanStatus.PAID_OFF, business_date=on, actor=actor,
            reason=_("客户赎车结清 #%(id)s") % {"id": case.pk},
        )  # fmt: skip
        audit_record(
            actor=actor, obj=case, action="repossession_redeem", from_state=before,
            to_state=case.status, data={"amount": str(value)},
        )  # fmt: skip
    return case


def redemption_figure(*, case_id: int) -> Decimal:
    """What the customer must pay to redeem today, on the ledger (without today's accrual)."""
    loan_id = RepossessionCase.objects.values_list("loan_id", flat=True).get(pk=case_id)
    balances = loan_balances(loan_id=loan_id)
    return sum((balances.get(code, ZERO) for code in ACCOUNTS.values()), ZERO)
