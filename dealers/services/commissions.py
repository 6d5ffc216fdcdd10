"""Agreements and commissions: accrual at funding, clawback, month-end statements, KPIs."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.money import ZERO, quantize_fen, to_decimal
from dealers.models.commissions import (
    Agreement,
    Commission,
    CommissionClawback,
    CommissionStatement,
    CommissionStatementLine,
)
from dealers.models.dealers import Dealer, ProductLine
from dealers.models.grading import DealerMonthlyKpi
from dealers.rules import DealerError, require_manages

SYSTEM = "dealers.commissions"
CLAWBACK_REASONS = ("early_settlement", "default")


def _dealer_id(dealer) -> int:
    return dealer.pk if isinstance(dealer, Dealer) else int(dealer)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def agreement_create(
    *,
    actor,
    dealer,
    product_line: str,
    commission_kind: str,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    commission_rate: Decimal | str = "0",
    commission_fixed: Decimal | str = "0",
    cap_rate: Decimal | str = "0.05",
    clawback_months: int = 6,
    clawback_share: Decimal | str = "1",
    deposit_required: Decimal | str = "0",
    deposit_held: Decimal | str = "0",
    recourse_fpd: bool = False,
) -> Agreement:
    dealer_obj = dealer if isinstance(dealer, Dealer) else Dealer.objects.get(pk=dealer)
    if actor != SYSTEM and actor != "seed":
        require_manages(actor, dealer_obj)
    if product_line not in ProductLine.values:
        raise DealerError(_("产品线无效。"), field="product_line")
    if commission_kind not in Agreement.CommissionKind.values:
        raise DealerError(_("返佣方式无效。"), field="commission_kind")
    if effective_to is not None and effective_to < effective_from:
        raise DealerError(_("到期日不能早于生效日。"), field="effective_to")
    try:
        with transaction.atomic():
            agreement = Agreement.objects.create(
                dealer=dealer_obj,
                product_line=product_line,
                commission_kind=commission_kind,
                commission_rate=to_decimal(commission_rate),
                commission_fixed=quantize_fen(commission_fixed),
                cap_rate=to_decimal(cap_rate),
                clawback_months=clawback_months,
                clawback_share=to_decimal(clawback_share),
                deposit_required=quantize_fen(deposit_required),
                deposit_held=quantize_fen(deposit_held),
                recourse_fpd=recourse_fpd,
                effective_from=effective_from,
                effective_to=effective_to,
            )
            audit_record(
                actor=actor,
                obj=agreement,
                action="agreement_create",
                to_state="effective",
                data={"dealer_id": dealer_obj.pk, "product_line": product_line},
            )
    except IntegrityError as exc:
        if "agreement_no_overlap" in str(exc):
            raise DealerError(
                _("该经销商在此产品线上已有生效期重叠的协议。"),
                code="overlap",
                field="effective_from",
            ) from exc
        raise
    return agreement


def agreement_in_force(*, dealer, product_line: str, on: dt.date) -> Agreement | None:
    return (
        Agreement.objects.filter(
            dealer_id=_dealer_id(dealer), product_line=product_line, effective_from__lte=on
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .first()
    )


def commission_compute(*, agreement: Agreement, amount_financed: Decimal) -> dict:
    """Pure figures: the agreement's commission for one contract, and the cap applied to it."""
    amount_financed = quantize_fen(amount_financed)
    if agreement.commission_kind == Agreement.CommissionKind.PERCENT:
        uncapped = quantize_fen(amount_financed * agreement.commission_rate)
    else:
        uncapped = quantize_fen(agreement.commission_fixed)
    cap = quantize_fen(amount_financed * agreement.cap_rate)
    return {"uncapped": uncapped, "cap": cap, "amount": min(uncapped, cap)}


def commission_accrue(
    *,
    dealer,
    contract_ref: str,
    amount_financed: Decimal | str,
    funded_on: dt.date,
    product_line: str,
    salesperson_name: str = "",
) -> Commission:
    """Accrue the commission of one funded contract (called by servicing at funding, which names
    the application's salesperson: the statement shows it per line).

    Idempotent per contract_ref: a second call returns the first row unchanged.
    """
    dealer_id = _dealer_id(dealer)
    existing = Commission.objects.filter(contract_ref=contract_ref).first()
    if existing is not None:
        return _same_contract(existing, dealer_id)
    amount_financed = quantize_fen(amount_financed)
    if amount_financed <= 0:
        raise DealerError(_("融资额必须大于零。"), field="amount_financed")
    agreement = agreement_in_force(dealer=dealer_id, product_line=product_line, on=funded_on)
    if agreement is None:
        raise DealerError(_("放款日没有生效的合作协议，无法计提返佣。"), code="no_agreement")
    figures = commission_compute(agreement=agreement, amount_financed=amount_financed)
    try:
        with transaction.atomic():
            commission = Commission.objects.create(
                dealer_id=dealer_id,
                agreement=agreement,
                contract_ref=contract_ref,
                product_line=product_line,
                amount_financed=amount_financed,
                funded_on=funded_on,
                uncapped_amount=figures["uncapped"],
                cap_amount=figures["cap"],
                amount=figures["amount"],
                salesperson_name=salesperson_name.strip()[:100],
            )
            audit_record(
                actor=SYSTEM,
                obj=commission,
                action="commission_accrue",
                to_state="accrued",
                data={
                    "agreement_id": agreement.pk,
                    "uncapped": str(figures["uncapped"]),
                    "cap": str(figures["cap"]),
                    "amount": str(figures["amount"]),
                },
            )
    except IntegrityError:
        # A concurrent call for the same contract won the race: return its row.
        return _same_contract(Commission.objects.get(contract_ref=contract_ref), dealer_id)
    return commission


def _same_contract(commission: Commission, dealer_id: int) -> Commission:
    if commission.dealer_id != dealer_id:
        raise DealerError(_("该合同号已为其他经销商计提返佣。"), code="contract_ref_taken")
    return commission


def commission_clawback(
    *, contract_ref: str, reason: str, event_date: dt.date
) -> CommissionClawback | None:
    """Early settlement or default within the agreement's N months of funding claws back its
    share of the commission as a negative line. Idempotent; None when outside the window."""
    if reason not in CLAWBACK_REASONS:
        raise DealerError(_("追回原因无效。"), field="reason")
    with transaction.atomic():
        commission = (
            Commission.objects.select_for_update()
            .select_related("agreement")
            .filter(contract_ref=contract_ref)
            .first()
        )
        if commission is None:
            raise DealerError(_("没有该合同的返佣记录。"), code="no_commission")
        existing = CommissionClawback.objects.filter(commission=commission).first()
        if existing is not None:
            return existing
        agreement = commission.agreement
        window_end = add_months(commission.funded_on, agreement.clawback_months)
        if event_date < commission.funded_on or event_date >= window_end:
            return None
        amount = -quantize_fen(commission.amount * agreement.clawback_share)
        clawback = CommissionClawback.objects.create(
            commission=commission, reason=reason, event_date=event_date, amount=amount
        )
        audit_record(
            actor=SYSTEM,
            obj=commission,
            action="commission_clawback",
            from_state="accrued",
            to_state="clawed_back",
            reason=reason,
            data={"amount": str(amount), "event_date": event_date.isoformat()},
        )
    return clawback


def commission_statement_for_month(*, dealer, month: dt.date) -> CommissionStatement:
    """Month-end batch: freeze the dealer's statement for the month (number, period, lines,
    figures) with every accrual and clawback up to the month's end that is on no statement yet,
    and what the dealer still owed from the previous statement brought forward. A second call
    returns the same statement; items arriving late roll into the next month's."""
    dealer_id = _dealer_id(dealer)
    first = month_start(month)
    last = month_end(month)
    existing = CommissionStatement.objects.filter(dealer_id=dealer_id, month=first).first()
    if existing is not None:
        return existing
    if last > business_date_current():
        raise DealerError(_("该月尚未结束，不能生成结算单。"), code="month_open")
    with transaction.atomic():
        # One statement run per dealer at a time: the dealer row is the lock.
        Dealer.objects.select_for_update().get(pk=dealer_id)
        existing = CommissionStatement.objects.filter(dealer_id=dealer_id, month=first).first()
        if existing is not None:
            return existing
        lines = _statement_lines(dealer_id, last)
        accrued = quantize_fen(sum((x.amount for x in lines if x.amount > 0), ZERO))
        clawed = quantize_fen(sum((x.amount for x in lines if x.amount < 0), ZERO))
        # The latest earlier statement the dealer ended owing on, not yet brought forward.
        owed = (
            CommissionStatement.objects.filter(
                dealer_id=dealer_id,
                month__lt=first,
                pay_status=CommissionStatement.PayStatus.CARRIED,
                carried_into__isnull=True,
            )
            .order_by("-month")
            .first()
        )
        brought_forward = owed.net_amount + owed.debt_settled if owed is not None else ZERO
        net = accrued + clawed + brought_forward
        statement = CommissionStatement.objects.create(
            dealer_id=dealer_id,
            number=f"CS{first:%Y%m}-{dealer_id:06d}",
            month=first,
            accrued_total=accrued,
            clawback_total=clawed,
            total=accrued + clawed,
            brought_forward=brought_forward,
            net_amount=net,
            carried_from=owed,
            pay_status=_pay_status_for(net),
        )
        for line in lines:
            line.statement = statement
        CommissionStatementLine.objects.bulk_create(lines)
        audit_record(
            actor=SYSTEM,
            obj=statement,
            action="commission_statement_create",
            to_state=statement.pay_status,
            data={
                "number": statement.number,
                "lines": len(lines),
                "total": str(statement.total),
                "brought_forward": str(brought_forward),
                "net_amount": str(net),
            },
        )
    return statement


def _pay_status_for(net: Decimal) -> str:
    status = CommissionStatement.PayStatus
    if net > 0:
        return status.PENDING
    return status.CARRIED if net < 0 else status.NIL


def _statement_lines(dealer_id: int, last: dt.date) -> list[CommissionStatementLine]:
    """The lines of a new statement (not saved): accruals, then clawbacks, by date."""
    commissions = Commission.objects.filter(
        dealer_id=dealer_id, funded_on__lte=last, statement_line__isnull=True
    ).order_by("funded_on", "id")
    clawbacks = (
        CommissionClawback.objects.filter(
            commission__dealer_id=dealer_id, event_date__lte=last, statement_line__isnull=True
        )
        .select_related("commission")
        .order_by("event_date", "id")
    )
    return [
        CommissionStatementLine(
            kind=CommissionStatementLine.Kind.ACCRUAL,
            commission=c,
            contract_ref=c.contract_ref,
            event_date=c.funded_on,
            amount_financed=c.amount_financed,
            amount=c.amount,
        )
        for c in commissions
    ] + [
        CommissionStatementLine(
            kind=CommissionStatementLine.Kind.CLAWBACK,
            clawback=cb,
            contract_ref=cb.commission.contract_ref,
            event_date=cb.event_date,
            amount_financed=cb.commission.amount_financed,
            amount=cb.amount,
        )
        for cb in clawbacks
    ]


def commission_statement_mark_paid(
    *, statement_id: int, amount: Decimal, paid_on: dt.date, bank_ref: str
) -> CommissionStatement:
    """待付 → 已付: servicing calls this when the bank confirmed the statement's payout.
    Idempotent for the same bank reference; refuses another amount or a second payment."""
    amount = quantize_fen(amount)
    bank_ref = (bank_ref or "").strip()[:64]
    if not bank_ref:
        raise DealerError(_("缺少银行流水号。"), code="no_bank_ref")
    with transaction.atomic():
        statement = CommissionStatement.objects.select_for_update().get(pk=statement_id)
        if statement.pay_status == CommissionStatement.PayStatus.PAID:
            if statement.bank_ref == bank_ref:
                return statement
            raise DealerError(_("该结算单已付款。"), code="already_paid")
        if statement.pay_status != CommissionStatement.PayStatus.PENDING:
            raise DealerError(_("该结算单无应付金额。"), code="nothing_due")
        if amount != statement.net_amount:
            raise DealerError(
                _("付款金额 %(paid)s 与结算单应付净额 %(net)s 不符。")
                % {"paid": amount, "net": statement.net_amount},
                code="amount_mismatch",
            )
        statement.pay_status = CommissionStatement.PayStatus.PAID
        statement.paid_on = paid_on
        statement.bank_ref = bank_ref
        statement.save(update_fields=["pay_status", "paid_on", "bank_ref"])
        audit_record(
            actor=SYSTEM,
            obj=statement,
            action="commission_statement_mark_paid",
            from_state="pending",
            to_state="paid",
            data={"amount": str(amount), "bank_ref": bank_ref, "paid_on": paid_on.isoformat()},
        )
    return statement


KPI_FIELDS = (
    "applications",
    "approved",
    "approval_rate",
    "funded_count",
    "funded_amount",
    "avg_decision_hours",
)


def dealer_kpis_record(*, dealer_id: int, month: dt.date, figures: dict) -> DealerMonthlyKpi:
    """Store the month's figures origination and servicing hand in (replaces earlier figures).

    Values are kept as strings of numbers so amounts stay exact in JSON.
    """
    clean = {}
    for key, value in figures.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = Decimal(str(value))
        clean[str(key)] = str(value) if isinstance(value, Decimal) else value
    with transaction.atomic():
        row, _created = DealerMonthlyKpi.objects.update_or_create(
            dealer_id=dealer_id, month=month_start(month), defaults={"figures": clean}
        )
    return row


def commission_debt_open(*, dealer_id: int) -> CommissionStatement | None:
    """The dealer's last statement ending in debt not yet brought into another (locked by
    the caller's transaction), or None."""
    return (
        CommissionStatement.objects.select_for_update(of=("self",))
        .filter(
            dealer_id=dealer_id,
            pay_status=CommissionStatement.PayStatus.CARRIED,
            carried_into__isnull=True,
        )
        .order_by("-month")
        .first()
    )


def commission_debt_settle(*, statement_id: int, amount: Decimal, reference: str) -> Decimal:
    """Servicing settled `amount` of a carried commission debt outside commission (a departing
    dealer's deposit set against it); returns what the dealer still owes on it."""
    with transaction.atomic():
        statement = CommissionStatement.objects.select_for_update().get(pk=statement_id)
        owed = -(statement.net_amount + statement.debt_settled)
        if amount <= 0 or amount > owed:
            raise DealerError(_("抵扣金额超过结转欠款。"), field="amount")
        statement.debt_settled += amount
        statement.save(update_fields=["debt_settled"])
        audit_record(
            actor=SYSTEM,
            obj=statement,
            action="commission_debt_settle",
            data={"amount": str(amount), "reference": reference, "left": str(owed - amount)},
        )
    return owed - amount
