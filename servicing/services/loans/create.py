"""Opening the loan account at funding, from the signed contract's plain values (idempotent per
contract)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.pricing import (
    PricingError,
    Schedule,
    add_months,
    build_schedule,
)
from servicing.memos import memo
from servicing.models.loans import Loan, LoanStatus, LoanStatusChange
from servicing.services.loans.account import LoanError, actor_label, posting_date
from servicing.services.loans.schedule import schedule_matches, schedule_rows_insert

# --- creation ----------------------------------------------------------------------------------


def _schedule_priced(
    *, amount: Decimal, schedule_rate: Decimal, term_months: int, method: str,
    value_date: dt.date, day_count: str, first_due_date: dt.date | None,
    fee_per_instalment: Decimal | str, balloon_amount: Decimal | str,
) -> Schedule:  # fmt: skip
    """The pricing engine's schedule at the customer's rate; LoanError on invalid terms."""
    try:
        return build_schedule(
            amount_financed=amount,
            annual_rate=schedule_rate,
            term_months=term_months,
            method=method,
            value_date=value_date,
            day_count=day_count,
            first_due_date=first_due_date,
            fee_per_instalment=quantize_fen(fee_per_instalment),
            balloon_amount=quantize_fen(balloon_amount),
        )
    except PricingError as exc:
        raise LoanError(exc.message, code=exc.code) from exc


def _collateral_fields(collateral: dict) -> dict:
    """The loan's collateral columns from the contract's collateral (pending until registered)."""
    return {
        "vehicle": collateral.get("vehicle", "")[:200],
        "vin": collateral.get("vin", ""),
        "plate": collateral.get("plate", ""),
        "mortgage_status": collateral.get("mortgage_status") or "pending",
        "mortgage_deadline": collateral.get("mortgage_deadline"),
        "gps_status": collateral.get("gps_status") or "pending",
        "gps_deadline": collateral.get("gps_deadline"),
    }


def _loan_opened(
    *, loan: Loan, schedule: Schedule, date: dt.date, actor: Any, amount: Decimal,
    term_months: int,
) -> None:  # fmt: skip
    """A new loan's schedule rows (version 1), its first status-history row and its audit row."""
    schedule_rows_insert(loan_id=loan.pk, schedule=schedule, version=1)
    LoanStatusChange.objects.create(
        loan=loan,
        from_status="",
        to_status=LoanStatus.ACTIVE,
        business_date=date,
        reason=memo("loan_open"),
        actor_label=actor_label(actor)[:150],
    )
    audit_record(
        actor=actor,
        obj=loan,
        action="loan_create",
        to_state=LoanStatus.ACTIVE,
        data={"amount_financed": str(amount), "term_months": term_months},
    )


def _contract_schedule_check(schedule: Schedule, contract_schedule: list[dict] | None) -> None:
    if contract_schedule is not None and not schedule_matches(schedule, contract_schedule):
        raise LoanError(
            _("放款时的还款计划与已签署合同的还款计划不一致，不能放款。"), code="schedule_mismatch"
        )


def _loan_insert(
    *, fields: dict, schedule: Schedule, date: dt.date, actor: Any, amount: Decimal,
    term_months: int,
) -> Loan:  # fmt: skip
    """Insert the loan and its opening rows; a concurrent funding of the same contract that
    inserted first wins, and its loan is returned."""
    try:
        with transaction.atomic():
            loan = Loan.objects.create(**fields)
            _loan_opened(
                loan=loan, schedule=schedule, date=date, actor=actor, amount=amount,
                term_months=term_months,
            )  # fmt: skip
    except IntegrityError:
        existing = Loan.objects.filter(contract_ref=fields["contract_ref"]).first()
        if existing is None:
            raise
        return existing
    return loan


def loan_create(
    *,
    contract_ref: str,
    application_id: int | None,
    customer_user_id: int,
    product_version_id: int | None,
    product_rules: dict,
    amount_financed: Decimal | str,
    annual_rate: Decimal | str,
    penalty_rate: Decimal | str,
    term_months: int,
    method: str,
    value_date: dt.date,
    first_due_date: dt.date | None = None,
    day_count: str = "30/360",
    balloon_amount: Decimal | str = ZERO,
    customer_rate: Decimal | str | None = None,
    fee_per_instalment: Decimal | str = ZERO,
    fees: list[dict] | None = None,
    payees: list[dict] | None = None,
    collateral: dict | None = None,
    dealer_id: int | None = None,
    rate_link: dict | None = None,
    contract_schedule: list[dict] | None = None,
    business_date: dt.date | None = None,
    actor: Any = None,
) -> Loan:
    """Open the loan account at funding from plain values; idempotent per contract_ref.

    `rate_link` makes it a floating-rate loan: {"basis": "lpr", "tenor": "1y"|"5y",
    "spread_bps": int}; its first repricing date is the first anniversary of the value date.

    Every figure is the signed contract's: the lender rate (`annual_rate`), the customer's rate
    (`customer_rate`) and the penalty rate (`penalty_rate`, stored as given, never derived from
    the product here). The schedule is priced with the pricing engine at the customer's rate;
    `contract_schedule` (the contract's rows, as origination snapshots them) must then match it
    row for row, else LoanError "schedule_mismatch" (funded on another day than the contract's
    value date, the dates move and the caller passes no rows). Funding itself (principal receivable Dr / payees Cr) is posted by the
    disbursement code. `collateral`: vehicle, vin, plate, mortgage_status, mortgage_deadline,
    gps_status, gps_deadline. Raises LoanError on invalid terms (nothing written). Whether the
    contract has a loan is asked by its key alone: a new one (the usual case) builds no Loan.
    """
    existing = Loan.objects.filter(contract_ref=contract_ref).values_list("pk", flat=True).first()
    if existing is not None:
        return Loan.objects.get(pk=existing)
    amount = quantize_fen(amount_financed)
    rate = to_decimal(annual_rate)
    cust_rate = None if customer_rate in (None, "") else to_decimal(customer_rate)
    schedule_rate = cust_rate if cust_rate is not None else rate
    schedule = _schedule_priced(
        amount=amount, schedule_rate=schedule_rate, term_months=term_months, method=method,
        value_date=value_date, day_count=day_count, first_due_date=first_due_date,
        fee_per_instalment=fee_per_instalment, balloon_amount=balloon_amount,
    )  # fmt: skip
    penalty = to_decimal(penalty_rate)
    if not penalty.is_finite() or penalty < 0:
        raise LoanError(_("罚息利率无效。"), field="penalty_rate", code="penalty_rate")
    _contract_schedule_check(schedule, contract_schedule)
    collateral = collateral or {}
    link = _rate_link(rate_link, value_date=value_date, term_months=term_months)
    date = posting_date(business_date)
    fields = dict(
        contract_ref=contract_ref,
        application_id=application_id,
        customer_id=customer_user_id,
        product_version_id=product_version_id,
        product_rules=product_rules,
        contract_type=(product_rules or {}).get("contract_type") or "loan",
        dealer_id=dealer_id,
        amount_financed=amount,
        annual_rate=rate,
        customer_rate=cust_rate,
        schedule_rate=schedule_rate,
        penalty_rate=penalty,
        term_months=term_months,
        method=str(schedule.method),
        value_date=value_date,
        first_due_date=schedule.first_due_date,
        day_count=str(schedule.day_count),
        balloon_amount=schedule.balloon_amount,
        fee_per_instalment=schedule.fee_per_instalment,
        fees=fees or [],
        payees=payees or [],
        **_collateral_fields(collateral),
        status=LoanStatus.ACTIVE,
        status_date=date,
        principal_outstanding=amount,
        accrued_through=value_date,
        **link,
    )
    return _loan_insert(
        fields=fields, schedule=schedule, date=date, actor=actor, amount=amount,
        term_months=term_months,
    )  # fmt: skip


def _rate_link(link: dict | None, *, value_date: dt.date, term_months: int) -> dict:
    if not link or link.get("basis", "fixed") == "fixed":
        return {}
    tenor = str(link.get("tenor") or "")
    spread = link.get("spread_bps")
    if link.get("basis") != "lpr" or tenor not in ("1y", "5y") or spread is None:
        raise LoanError(_("浮动利率贷款须有 LPR 期限和加点。"), code="rate_link")

    first = add_months(value_date, 12)
    return {
        "rate_basis": "lpr",
        "lpr_tenor": tenor,
        "lpr_spread_bps": int(spread),
        # a loan of a year or less never reaches a repricing date with instalments after it
        "next_repricing_date": first if term_months > 12 else None,
    }
