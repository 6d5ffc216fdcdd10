"""Money the dealer pays against an advance: interest first, then principal, which pays the
billed curtailments in stage order; when nothing is owed the advance is settled and its 合格证
released. Direct payments are bank receipts finance records (the dealer's transfer seen on the
statement); the retail sale's payoff (servicing.services.disbursement) calls the same function
with the dealer payable as the debit, an internal transfer.

The same source (bank reference, contract) never pays twice: the payment row is unique per
source and the ledger entry's key is the source's, so the database refuses a second one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO
from autofin.roles import MoneyAction
from servicing.models import AccountCode, SourceType
from servicing.models.floorplan import (
    AdvanceStatus,
    CertificateStatus,
    CurtailmentStatus,
    FloorplanAdvance,
    FloorplanPayment,
    FloorplanPaymentSource,
)
from servicing.services.floorplan.advances import (
    FloorplanError,
    advance_lock,
    amount_parse,
    certificate_released_set,
    floorplan_permission_require,
    line_usage_push,
)
from servicing.services.ledger.posting import journal_post


def advance_payoff(
    advance: FloorplanAdvance | int,
    amount: Any,
    source_kind: str,
    source_ref: str,
    by: Any,
    *,
    debit_account: str = AccountCode.BANK_CLEARING,
    debit_loan_id: int | None = None,
) -> FloorplanPayment:
    """Apply a payment to a funded advance (in the caller's transaction if it has one; only the
    advance's row is locked). `by` is a finance user for a bank receipt, or the process's label
    for the retail sale's internal transfer."""
    if source_kind not in FloorplanPaymentSource.values:
        raise FloorplanError(_("还款来源无效。"), code="bad_source")
    if source_kind != FloorplanPaymentSource.RETAIL_DISBURSEMENT or not isinstance(by, str):
        floorplan_permission_require(by, MoneyAction.FLOORPLAN_PAYMENT_RECORD)
    source_ref = (source_ref or "").strip()[:80]
    if not source_ref:
        raise FloorplanError(_("请填写银行流水号。"), field="source_ref")
    amount = amount_parse(amount, "amount")
    debit = (debit_account, debit_loan_id)
    with transaction.atomic():
        advance = advance_lock(advance)
        if advance.status != AdvanceStatus.FUNDED:
            raise FloorplanError(_("该库存融资不在还款中，不能入账。"), code="not_funded")
        if FloorplanPayment.objects.filter(source_kind=source_kind, source_ref=source_ref).exists():
            raise FloorplanError(
                _("该笔款项（%(ref)s）已入账，不能重复入账。") % {"ref": source_ref},
                field="source_ref",
            )
        owed = advance.interest_accrued_unpaid + advance.principal_outstanding
        if amount > owed:
            raise FloorplanError(
                _("还款金额 %(amount)s 超过应还合计 %(owed)s。") % {"amount": amount, "owed": owed},
                field="amount",
            )
        interest = min(amount, advance.interest_accrued_unpaid)
        principal = amount - interest
        on = business_date_for_posting()
        payment = _payment_post(
            advance, on, interest, principal, source_kind, source_ref, by, debit=debit
        )
        _curtailments_pay(advance, principal)
        advance.interest_accrued_unpaid -= interest
        advance.principal_outstanding -= principal
        before = advance.status
        if advance.principal_outstanding == ZERO:
            advance.status = AdvanceStatus.SETTLED
            advance.settled_on = on
            advance.overdue = False
            if advance.certificate_status == CertificateStatus.HELD:
                certificate_released_set(advance)
        advance.save()
        line_usage_push(advance.line_id)
        audit_record(
            actor=by,
            obj=advance,
            action="floorplan_advance_payoff",
            from_state=before,
            to_state=advance.status,
            data={
                "source": f"{source_kind}:{source_ref}",
                "amount": str(amount),
                "interest": str(interest),
                "principal": str(principal),
            },
        )
    return payment


def _payment_post(
    advance, on, interest: Decimal, principal: Decimal, source_kind, source_ref, by, *, debit
) -> FloorplanPayment:
    """The payment's entry on the advance's keys and its row (one per source)."""
    keys = (None, advance.dealer_id, advance.pk)
    lines = [(debit[0], "D", interest + principal, debit[1])]
    if interest:
        lines.append((AccountCode.FLOORPLAN_INTEREST_RECEIVABLE, "C", interest, *keys))
    if principal:
        lines.append((AccountCode.FLOORPLAN_RECEIVABLE, "C", principal, *keys))
    entry = journal_post(
        business_date=on,
        source_type=SourceType.FLOORPLAN,
        source_id=f"advance-{advance.pk}",
        lines=lines,
        idempotency_key=f"floorplan-pay:{source_kind}:{source_ref}",
        description=_("库存融资还款 %(vin)s") % {"vin": advance.vin},
        actor=by,
    )
    return FloorplanPayment.objects.create(
        advance=advance,
        dealer_id=advance.dealer_id,
        source_kind=source_kind,
        source_ref=source_ref,
        amount=interest + principal,
        interest_part=interest,
        principal_part=principal,
        received_on=on,
        journal_entry_id=entry.pk,
        recorded_by=None if isinstance(by, str) else by,
    )


def _curtailments_pay(advance: FloorplanAdvance, principal: Decimal) -> None:
    """Principal pays the billed stages oldest first (a handful of rows of one advance)."""
    left = principal
    for stage in (
        advance.curtailments.select_for_update()
        .exclude(status=CurtailmentStatus.PAID)
        .order_by("stage")
    ):
        if left <= 0:
            return
        paying = min(left, stage.amount - stage.paid_amount)
        stage.paid_amount += paying
        if stage.paid_amount == stage.amount:
            stage.status = CurtailmentStatus.PAID
        stage.save(update_fields=["paid_amount", "status", "updated_at"])
        left -= paying
