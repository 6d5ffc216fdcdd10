"""Deposit coming in: a dealer's payment seen on the bank statement (借 bank clearing / 贷 dealer
deposit on the dealer's sub-ledger), and the opening balances of the deposits agreements
recorded as held before the deposit was on the books. Each posts once per document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import quantize_fen, to_decimal
from autofin.roles import MoneyAction, can_move_money
from dealers.models.commissions import Agreement
from dealers.selectors import dealer_summary
from servicing.models import AccountCode, SourceType
from servicing.models.deposits import DepositMovement, DepositMovementKind
from servicing.services.deposits.calls import (
    dealer_deposit_lock,
    deposit_figures_push,
    open_calls_settle,
)
from servicing.services.disbursement.states import DisbursementError
from servicing.services.ledger.posting import journal_post


class DepositError(DisbursementError):
    """A deposit action refused, nothing written; `field` names a form field."""


def deposit_post_in(
    *, dealer_id: int, kind: str, reference: str, amount: Decimal, on, description,
    debit: tuple = (AccountCode.BANK_CLEARING, None),
):  # fmt: skip
    """Money into the dealer's deposit: from the bank by default, or from what we owe the dealer
    (`debit` = its commission payable, the payout netting)."""
    account, debit_dealer = debit
    entry = journal_post(
        business_date=on,
        source_type=SourceType.DEPOSIT,
        source_id=f"{kind}-{reference}"[:64],
        lines=[
            (account, "D", amount, None, debit_dealer),
            (AccountCode.DEALER_DEPOSIT, "C", amount, None, dealer_id),
        ],
        idempotency_key=f"deposit-{kind}:{reference}",
        description=description,
        actor=SYSTEM_ACTOR,
    )
    return DepositMovement.objects.create(
        dealer_id=dealer_id,
        kind=kind,
        reference=reference,
        amount=amount,
        on=on,
        journal_entry_id=entry.pk,
    )


def deposit_receipt_record(
    *, dealer_id: int, amount: Decimal | str, bank_ref: str, actor: Any
) -> DepositMovement:
    """Finance records the dealer's deposit payment from the bank statement; it pays the
    dealer's open calls oldest first. The same bank reference twice returns the first receipt
    (a different dealer or amount under it is refused)."""
    if not can_move_money(actor, MoneyAction.DEPOSIT_RECEIPT_RECORD):
        raise DepositError(_("您没有登记保证金到账的权限。"), code="forbidden")
    bank_ref = (bank_ref or "").strip()[:64]
    if not bank_ref:
        raise DepositError(_("请填写银行流水号。"), field="bank_ref")
    try:
        amount = quantize_fen(to_decimal(amount))
    except (TypeError, ValueError) as exc:
        raise DepositError(_("请输入有效金额。"), field="amount") from exc
    if amount <= 0:
        raise DepositError(_("到账金额应大于零。"), field="amount")
    try:
        name = dealer_summary(dealer_id=dealer_id)["legal_name"]
    except ObjectDoesNotExist as exc:
        raise DepositError(_("经销商不存在。"), field="dealer") from exc
    with transaction.atomic():
        dealer_deposit_lock(dealer_id)
        seen = DepositMovement.objects.filter(kind=DepositMovementKind.RECEIPT, reference=bank_ref)
        first = seen.first()
        if first is not None:
            if first.dealer_id == dealer_id and first.amount == amount:
                return first
            raise DepositError(_("该银行流水号已登记为另一笔保证金。"), field="bank_ref")
        on = business_date_for_posting()
        movement = deposit_post_in(
            dealer_id=dealer_id,
            kind=DepositMovementKind.RECEIPT,
            reference=bank_ref,
            amount=amount,
            on=on,
            description=_("经销商保证金到账 %(name)s") % {"name": name},
        )
        open_calls_settle(dealer_id=dealer_id, amount=amount)
        audit_record(
            actor=actor,
            obj=movement,
            action="deposit_receipt",
            data={"dealer_id": dealer_id, "amount": str(amount), "bank_ref": bank_ref},
        )
        deposit_figures_push(dealer_id=dealer_id, on=on)
    return movement


def deposit_openings_post(*, on: dt.date | None = None) -> int:
    """Opening balances: each agreement's `deposit_held`, recorded before deposits were on the
    books, posted once on the dealer's sub-ledger (the cash is already in the bank, hence bank
    clearing as the other side). Safe to run again; returns the entries posted."""
    on = on or business_date_for_posting()
    done = set(
        DepositMovement.objects.filter(kind=DepositMovementKind.OPENING).values_list(
            "reference", flat=True
        )
    )
    posted, dealers = 0, set()
    for agreement_id, dealer_id, held in (
        Agreement.objects.filter(deposit_held__gt=0)
        .order_by("pk")
        .values_list("pk", "dealer_id", "deposit_held")
    ):
        reference = f"agreement-{agreement_id}"
        if reference in done:
            continue
        with transaction.atomic():
            deposit_post_in(
                dealer_id=dealer_id,
                kind=DepositMovementKind.OPENING,
                reference=reference,
                amount=quantize_fen(held),
                on=on,
                description=_("经销商保证金期初余额（协议 %(id)s）") % {"id": agreement_id},
            )
        posted += 1
        dealers.add(dealer_id)
    for dealer_id in sorted(dealers):
        deposit_figures_push(dealer_id=dealer_id, on=on)
    return posted
