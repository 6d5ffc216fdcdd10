"""Loan accounts: creation at funding, row locks, status changes, schedule versions, notes,
charge-off.

Lock order (every money-moving path in servicing takes its locks in this order, so concurrent
online payments, auto-debit results, manual postings, accrual and settlement for one loan
serialise instead of deadlocking):

1. the `Loan` row (SELECT ... FOR UPDATE);
2. its schedule rows, by primary key (SELECT ... ORDER BY id FOR UPDATE);
3. then the document being processed (repayment, payment order, auto-debit item, quote).

Nothing takes a schedule row or a document lock without holding the loan lock first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.notifications import notification_send
from autofin.pricing import (
    DayCount,
    Method,
    PricingError,
    Schedule,
    ScheduleRow,
    build_schedule,
)
from servicing import loan_rules
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import (
    CLOSED_STATUSES,
    Loan,
    LoanNote,
    LoanScheduleRow,
    LoanStatus,
    LoanStatusChange,
    MortgageRelease,
    RowStatus,
)
from servicing.services.hotpath import select_compiled
from servicing.services.ledger import journal_post

DEFAULT_PENALTY_MARKUP = Decimal("0.5")


class LoanError(Exception):
    """A loan operation refused; `field` names the form field it concerns (or None)."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def actor_label(actor: Any) -> str:
    if getattr(actor, "pk", None) and hasattr(actor, "get_username"):
        return actor.get_username()
    return str(actor or "system")


def posting_date(business_date: dt.date | None) -> dt.date:
    return business_date or business_date_for_posting()


# --- locks ---------------------------------------------------------------------------------


def loan_lock(
    *, loan_id: int, open_rows_only: bool = False, eligible_on: dt.date | None = None
) -> tuple[Loan, list[LoanScheduleRow]]:
    """Lock the loan, then its schedule rows in force by pk; rows returned by instalment number.

    Must run inside a transaction. `open_rows_only` leaves paid rows unlocked and unread;
    `eligible_on` reads only the unpaid rows a payment on that day can reach (overdue rows and the
    current one: period started before that day). Rows not read are not changed by the caller.
    """
    # Both queries are compiled once per shape (`select_compiled`): same SQL, same instances.
    found = select_compiled("loan_lock", _loan_locking, loan_id=loan_id)
    if not found:
        raise Loan.DoesNotExist("Loan matching query does not exist.")
    open_only = open_rows_only or eligible_on is not None
    if eligible_on is not None:
        rows = select_compiled(
            ("loan_lock_rows", open_only, True),
            _rows_locking,
            loan_id=loan_id,
            eligible_on=eligible_on,
        )
    else:
        rows = select_compiled(
            ("loan_lock_rows", open_only, False),
            lambda loan_id: _rows_locking(loan_id=loan_id, open_only=open_only),
            loan_id=loan_id,
        )
    rows.sort(key=lambda r: r.instalment_no)
    return found[0], rows


def _loan_locking(loan_id: int) -> QuerySet[Loan]:
    return Loan.objects.select_for_update().filter(pk=loan_id)


def _rows_locking(
    *, loan_id: int, open_only: bool = True, eligible_on: dt.date | None = None
) -> QuerySet[LoanScheduleRow]:
    qs = LoanScheduleRow.objects.filter(loan_id=loan_id, superseded_by_version__isnull=True)
    if open_only:
        qs = qs.exclude(status=RowStatus.PAID)
    if eligible_on is not None:
        qs = qs.filter(accrual_start__lt=eligible_on)
    return qs.order_by("pk").select_for_update()


# --- status ----------------------------------------------------------------------------------


def loan_status_set(
    *, loan: Loan, to: str, business_date: dt.date, actor: Any, reason: str = ""
) -> bool:
    """Move a locked loan to status `to` (no-op if already there); history row + audit row."""
    if loan.status == to:
        return False
    old = loan.status
    loan.status = to
    loan.status_date = business_date
    if to in CLOSED_STATUSES:
        loan.closed_on = business_date
    elif old in CLOSED_STATUSES:
        loan.closed_on = None
    loan.save(update_fields=["status", "status_date", "closed_on", "updated_at"])
    LoanStatusChange.objects.create(
        loan=loan,
        from_status=old,
        to_status=to,
        business_date=business_date,
        reason=reason[:255],
        actor_label=actor_label(actor)[:150],
    )
    audit_record(
        actor=actor,
        obj=loan,
        action="loan_status",
        from_state=old,
        to_state=to,
        reason=reason,
        data={"business_date": business_date.isoformat()},
    )
    return True


def row_status(row: LoanScheduleRow, business_date: dt.date) -> str:
    if row.amount_unpaid == 0:
        return RowStatus.PAID
    if row.due_date < business_date:
        return RowStatus.OVERDUE
    if row.due_date == business_date:
        return RowStatus.DUE
    if row.amount_paid > 0:
        return RowStatus.PARTIALLY_PAID
    return RowStatus.PENDING


def loan_past_due(*, rows: list[LoanScheduleRow], as_of: dt.date) -> bool:
    """Past due as of `as_of` under the one DPD rule (servicing.loan_rules), tolerance included.
    The policy is read only when something is owing: an on-time posting costs no query."""
    if not any(r.due_date < as_of and r.amount_unpaid > 0 for r in rows):
        return False
    tolerance = loan_rules.past_due_tolerance(on=as_of)
    return loan_rules.dpd_of_rows(rows, as_of=as_of, tolerance=tolerance) > 0


def loan_status_refresh(
    *, loan: Loan, rows: list[LoanScheduleRow], business_date: dt.date, actor: Any, reason: str = ""
) -> None:
    """Derive active / overdue / restructured / paid_off from the locked rows in force."""
    if loan.status in (LoanStatus.SETTLED_EARLY, LoanStatus.CHARGED_OFF):
        return
    open_rows = [r for r in rows if r.status != RowStatus.PAID]
    # Paid off: nothing open among the rows given and no principal left (rows not given to a
    # repayment are future rows, which always carry principal while any is outstanding).
    if not open_rows and loan.principal_outstanding == 0:
        if loan_status_set(
            loan=loan,
            to=LoanStatus.PAID_OFF,
            business_date=business_date,
            actor=actor,
            reason=reason or _("全部期供已还清"),
        ):
            mortgage_release_request(loan=loan, business_date=business_date, actor=actor)
        return
    if loan_past_due(rows=open_rows, as_of=business_date):
        loan_status_set(
            loan=loan,
            to=LoanStatus.OVERDUE,
            business_date=business_date,
            actor=actor,
            reason=reason,
        )
        return
    normal = LoanStatus.RESTRUCTURED if loan.restructure_count else LoanStatus.ACTIVE
    loan_status_set(loan=loan, to=normal, business_date=business_date, actor=actor, reason=reason)


def mortgage_release_request(*, loan: Loan, business_date: dt.date, actor: Any) -> None:
    """The loan closed: open the mortgage-release task (解押) and tell the customer."""
    release, created = MortgageRelease.objects.get_or_create(
        loan=loan, defaults={"requested_on": business_date}
    )
    if not created:
        return
    audit_record(
        actor=actor, obj=release, action="mortgage_release_request", to_state=release.status
    )
    phone = getattr(loan.customer, "phone", "")
    if phone:
        notification_send(
            channel="sms",
            to=phone,
            body=_("【AutoFin】您的贷款合同 %(ref)s 已结清，我们将在 5 个工作日内办理车辆解押。")
            % {"ref": loan.contract_ref},
            purpose="mortgage_release",
            dedupe_key=f"mortgage_release:{loan.pk}",
        )


# --- schedule --------------------------------------------------------------------------------


def schedule_rows_build(*, loan: Loan, schedule: Schedule, version: int) -> list[LoanScheduleRow]:
    """Unsaved model rows for a pricing Schedule (its first row accrues from its value date)."""
    result = []
    start = schedule.value_date
    for row in schedule.rows:
        data = row.as_dict()
        result.append(
            LoanScheduleRow(
                loan=loan,
                schedule_version=version,
                accrual_start=start,
                **data,
            )
        )
        start = row.due_date
    return result


def pricing_schedule(*, loan: Loan, rows: list[LoanScheduleRow]) -> Schedule:
    """The pricing engine's view of the schedule in force (rows by instalment number)."""
    ordered = sorted(rows, key=lambda r: r.instalment_no)
    return Schedule(
        rows=tuple(
            ScheduleRow.from_amounts(
                instalment_no=r.instalment_no,
                due_date=r.due_date,
                opening_balance=r.opening_balance,
                principal=r.principal,
                interest=r.interest,
                fee=r.fee,
            )
            for r in ordered
        ),
        method=Method.parse(loan.method),
        annual_rate=loan.schedule_rate,
        day_count=DayCount.parse(loan.day_count),
        value_date=ordered[0].accrual_start,
        broken_first_period=_first_period_broken(ordered[0]),
        fee_per_instalment=loan.fee_per_instalment,
        balloon_amount=loan.balloon_amount,
    )


def _first_period_broken(row: LoanScheduleRow) -> bool:
    from autofin.pricing import add_months

    return add_months(row.accrual_start, 1) != row.due_date


def paid_instalments(rows: list[LoanScheduleRow]) -> int:
    """The instalment_no of the last row paid in an unbroken run from the start (0 if none)."""
    count = 0
    for r in sorted(rows, key=lambda r: r.instalment_no):
        if r.status != RowStatus.PAID:
            break
        count = r.instalment_no
    return count


def schedule_supersede(
    *, loan: Loan, rows: list[LoanScheduleRow], new_rows: list[LoanScheduleRow]
) -> int:
    """Retire the given rows in favour of `new_rows` as the loan's next schedule version."""
    version = loan.schedule_version + 1
    for r in rows:
        r.superseded_by_version = version
    if rows:
        LoanScheduleRow.objects.bulk_update(rows, ["superseded_by_version"])
    for r in new_rows:
        r.schedule_version = version
    LoanScheduleRow.objects.bulk_create(new_rows)
    loan.schedule_version = version
    return version


# --- creation ----------------------------------------------------------------------------------


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
    gps_status, gps_deadline. Raises LoanError on invalid terms (nothing written).
    """
    existing = Loan.objects.filter(contract_ref=contract_ref).first()
    if existing is not None:
        return existing
    amount = quantize_fen(amount_financed)
    rate = to_decimal(annual_rate)
    cust_rate = None if customer_rate in (None, "") else to_decimal(customer_rate)
    schedule_rate = cust_rate if cust_rate is not None else rate
    try:
        schedule = build_schedule(
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
    penalty = to_decimal(penalty_rate)
    if not penalty.is_finite() or penalty < 0:
        raise LoanError(_("罚息利率无效。"), field="penalty_rate", code="penalty_rate")
    if contract_schedule is not None and not schedule_matches(schedule, contract_schedule):
        raise LoanError(
            _("放款时的还款计划与已签署合同的还款计划不一致，不能放款。"), code="schedule_mismatch"
        )
    collateral = collateral or {}
    link = _rate_link(rate_link, value_date=value_date, term_months=term_months)
    date = posting_date(business_date)
    try:
        with transaction.atomic():
            loan = Loan.objects.create(
                contract_ref=contract_ref,
                application_id=application_id,
                customer_id=customer_user_id,
                product_version_id=product_version_id,
                product_rules=product_rules,
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
                vehicle=collateral.get("vehicle", "")[:200],
                vin=collateral.get("vin", ""),
                plate=collateral.get("plate", ""),
                mortgage_status=collateral.get("mortgage_status") or "pending",
                mortgage_deadline=collateral.get("mortgage_deadline"),
                gps_status=collateral.get("gps_status") or "pending",
                gps_deadline=collateral.get("gps_deadline"),
                status=LoanStatus.ACTIVE,
                status_date=date,
                principal_outstanding=amount,
                accrued_through=value_date,
                **link,
            )
            LoanScheduleRow.objects.bulk_create(
                schedule_rows_build(loan=loan, schedule=schedule, version=1)
            )
            LoanStatusChange.objects.create(
                loan=loan,
                from_status="",
                to_status=LoanStatus.ACTIVE,
                business_date=date,
                reason=_("放款开户"),
                actor_label=actor_label(actor)[:150],
            )
            audit_record(
                actor=actor,
                obj=loan,
                action="loan_create",
                to_state=LoanStatus.ACTIVE,
                data={"amount_financed": str(amount), "term_months": term_months},
            )
    except IntegrityError:
        existing = Loan.objects.filter(contract_ref=contract_ref).first()
        if existing is None:
            raise
        return existing
    return loan


def penalty_markup_of(product_rules: dict) -> Decimal:
    """The product's penalty markup (罚息上浮比例) the contract was priced with; 50 % when the
    rules predate the field. Repricing carries it forward onto the new contract rate."""
    return to_decimal(product_rules.get("penalty_markup") or DEFAULT_PENALTY_MARKUP)


def schedule_matches(schedule: Schedule, contract_rows: list[dict]) -> bool:
    """Whether the engine's schedule is the contract's, row for row (dates and amounts)."""
    if len(schedule.rows) != len(contract_rows):
        return False
    for row, signed in zip(schedule.rows, contract_rows, strict=True):
        for key, value in row.as_dict().items():
            theirs = signed.get(key)
            if isinstance(value, dt.date):
                same = str(theirs) == value.isoformat()
            elif isinstance(value, Decimal):
                same = theirs is not None and to_decimal(theirs) == value
            else:
                same = theirs == value
            if not same:
                return False
    return True


def _rate_link(link: dict | None, *, value_date: dt.date, term_months: int) -> dict:
    if not link or link.get("basis", "fixed") == "fixed":
        return {}
    tenor = str(link.get("tenor") or "")
    spread = link.get("spread_bps")
    if link.get("basis") != "lpr" or tenor not in ("1y", "5y") or spread is None:
        raise LoanError(_("浮动利率贷款须有 LPR 期限和加点。"), code="rate_link")
    from autofin.pricing import add_months

    first = add_months(value_date, 12)
    return {
        "rate_basis": "lpr",
        "lpr_tenor": tenor,
        "lpr_spread_bps": int(spread),
        # a loan of a year or less never reaches a repricing date with instalments after it
        "next_repricing_date": first if term_months > 12 else None,
    }


# --- notes, collateral, charge-off ---------------------------------------------------------------


def loan_note_add(*, loan_id: int, body: str, actor: Any) -> LoanNote:
    body = (body or "").strip()
    if not body:
        raise LoanError(_("请填写备注内容。"), field="body")
    with transaction.atomic():
        note = LoanNote.objects.create(loan_id=loan_id, author=actor, body=body)
        audit_record(actor=actor, obj=note.loan, action="loan_note_add", data={"note": note.pk})
    return note


def loan_collateral_update(*, loan_id: int, actor: Any, reason: str = "", **changes) -> Loan:
    """Record mortgage registration / GPS installation progress (status, plate)."""
    allowed = {"mortgage_status", "gps_status", "plate", "mortgage_deadline", "gps_deadline"}
    unknown = set(changes) - allowed
    if unknown:
        raise LoanError(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        before = {k: str(getattr(loan, k)) for k in changes}
        for k, v in changes.items():
            setattr(loan, k, v)
        loan.save(update_fields=[*changes, "updated_at"])
        audit_record(
            actor=actor,
            obj=loan,
            action="loan_collateral_update",
            reason=reason,
            data={"before": before, "after": {k: str(v) for k, v in changes.items()}},
        )
    return loan


def loan_charge_off(
    *, loan_id: int, actor: Any, reason: str, business_date: dt.date | None = None
) -> Loan:
    """Write the loan's receivables off to charge-off expense (核销) and close it."""
    from servicing.selectors.ledger import loan_balances

    if not (reason or "").strip():
        raise LoanError(_("核销必须填写原因。"), field="reason")
    date = posting_date(business_date)
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        if loan.status in CLOSED_STATUSES:
            raise LoanError(_("贷款已结清或已核销，不能核销。"))
        balances = loan_balances(loan_id=loan.pk)
        lines = []
        total = ZERO
        for code in (A.PRINCIPAL_RECEIVABLE, A.INTEREST_RECEIVABLE, A.FEE_RECEIVABLE,
                     A.PENALTY_RECEIVABLE):  # fmt: skip
            amount = balances.get(code, ZERO)
            if amount > 0:
                lines.append((code, "C", amount, loan.pk))
                total += amount
            elif amount < 0:
                lines.append((code, "D", -amount, loan.pk))
                total += amount
        if total > 0:
            lines.append((A.CHARGE_OFF_EXPENSE, "D", total, loan.pk))
            journal_post(
                business_date=date,
                source_type=SourceType.CHARGE_OFF,
                source_id=loan.pk,
                lines=lines,
                idempotency_key=f"charge-off:{loan.pk}",
                description=_("贷款核销"),
                actor=actor,
                loan_id=loan.pk,
            )
        loan_status_set(
            loan=loan, to=LoanStatus.CHARGED_OFF, business_date=date, actor=actor, reason=reason
        )
    return loan


# --- customer contact details ---------------------------------------------------------------------


def customer_phone_change_start(*, user: Any, phone: str) -> str:
    """Send an SMS code to the new number (re-verification); returns the normalised number."""
    from origination.services.applications.errors import ApplicationValidationError
    from origination.services.signup import sms_code_send

    try:
        sms_code_send(phone=phone, purpose="contact_change", client=f"user:{user.pk}")
    except ApplicationValidationError as exc:
        errors = getattr(exc, "errors", None) or {"phone": [str(exc)]}
        raise LoanError(
            "；".join(str(m) for m in errors.get("phone", [str(exc)])), field="phone"
        ) from None
    from origination.validators import validate_mobile

    return validate_mobile(phone)


def customer_phone_change_confirm(*, user: Any, phone: str, code: str) -> Any:
    """Change the customer's mobile number once the code sent to it checks out; audited."""
    from origination.services.signup import sms_code_verify

    if not sms_code_verify(phone=phone, code=code, purpose="contact_change"):
        raise LoanError(_("验证码错误或已过期。"), field="code")
    with transaction.atomic():
        old = user.phone
        user.phone = phone
        user.save(update_fields=["phone"])
        audit_record(
            actor=user,
            obj=user,
            action="contact_phone_change",
            from_state=old[-4:] if old else "",
            to_state=phone[-4:],
            reason=_("客户自助修改手机号（短信验证）"),
        )
    return user
