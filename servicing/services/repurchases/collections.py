"""Collecting what a dealer owes for a loan it bought back: its payment seen on the bank
statement (借 bank clearing / 贷 recourse receivable), or, when the checker so approved, the
deposit it holds with us set against it (借 dealer deposit / 贷 recourse receivable, one
`DepositMovement` of kind set_off), each on the dealer's sub-ledger, once per document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.roles import MoneyAction, can_move_money
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.deposits import DepositMovement, DepositMovementKind
from servicing.models.repurchases import (
    Repurchase,
    RepurchaseCollection,
    RepurchaseCollectionKind,
    RepurchaseStatus,
)
from servicing.services.deposits.calls import (
    dealer_deposit_lock,
    deposit_figures_push,
    deposit_held,
)
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError


def repurchase_collect(
    *, repurchase: Repurchase, kind: str, reference: str, amount: Decimal, on: dt.date,
    debit: tuple, actor: Any,
) -> RepurchaseCollection:  # fmt: skip
    """Post the collection against the dealer's recourse receivable and count it on the
    locked repurchase; `debit` is the line's (account, dealer_id)."""
    account, debit_dealer = debit
    entry = journal_post(
        business_date=on,
        source_type=SourceType.REPURCHASE,
        source_id=f"{kind}-{reference}"[:64],
        lines=[
            (account, "D", amount, None, debit_dealer),
            (A.RECOURSE_RECEIVABLE, "C", amount, None, repurchase.dealer_id),
        ],
        idempotency_key=f"repurchase-{kind}:{reference}",
        description=_("经销商回购款收回 %(ref)s") % {"ref": repurchase.contract_ref},
        actor=actor,
    )
    collection = RepurchaseCollection.objects.create(
        repurchase=repurchase,
        dealer_id=repurchase.dealer_id,
        kind=kind,
        reference=reference,
        amount=amount,
        on=on,
        journal_entry_id=entry.pk,
    )
    repurchase.collected += amount
    if repurchase.collected == repurchase.amount:
        repurchase.status = RepurchaseStatus.SETTLED
    Repurchase.objects.filter(pk=repurchase.pk).update(
        collected=F("collected") + amount, status=repurchase.status
    )
    audit_record(
        actor=actor,
        obj=repurchase,
        action=f"repurchase_collect_{kind}",
        to_state=repurchase.status,
        data={"amount": str(amount), "reference": reference},
    )
    return collection


def repurchase_deposit_set_off(
    *, repurchase: Repurchase, on: dt.date, actor: Any
) -> RepurchaseCollection | None:
    """Set the dealer's held deposit against what it owes for the repurchase (as much as it
    holds), in the approving checker's transaction; the rest stays due. None if none is held."""
    dealer_deposit_lock(repurchase.dealer_id)
    amount = min(deposit_held(dealer_id=repurchase.dealer_id), repurchase.outstanding)
    if amount <= 0:
        return None
    reference = f"repurchase-{repurchase.pk}"
    collection = repurchase_collect(
        repurchase=repurchase,
        kind=RepurchaseCollectionKind.DEPOSIT,
        reference=reference,
        amount=amount,
        on=on,
        debit=(A.DEALER_DEPOSIT, repurchase.dealer_id),
        actor=actor,
    )
    DepositMovement.objects.create(
        dealer_id=repurchase.dealer_id,
        kind=DepositMovementKind.SET_OFF,
        reference=reference,
        amount=-amount,
        on=on,
        journal_entry_id=collection.journal_entry_id,
    )
    deposit_figures_push(dealer_id=repurchase.dealer_id, on=on)
    return collection


def repurchase_receipt_record(
    *, repurchase_id: int, amount: Decimal | str, bank_ref: str, actor: Any
) -> RepurchaseCollection:
    """Finance records the dealer's payment for a repurchase from the bank statement. The
    same bank reference twice returns the first receipt (another repurchase or amount under
    it is refused); more than is still due is refused."""
    if not can_move_money(actor, MoneyAction.REPURCHASE_RECEIPT_RECORD):
        raise LoanError(_("您没有登记回购款到账的权限。"), code="forbidden")
    bank_ref = (bank_ref or "").strip()[:64]
    if not bank_ref:
        raise LoanError(_("请填写银行流水号。"), field="bank_ref")
    try:
        amount = quantize_fen(to_decimal(amount))
    except (TypeError, ValueError) as exc:
        raise LoanError(_("请输入有效金额。"), field="amount") from exc
    if amount <= ZERO:
        raise LoanError(_("到账金额应大于零。"), field="amount")
    with transaction.atomic():
        repurchase = Repurchase.objects.select_for_update().filter(pk=repurchase_id).first()
        if repurchase is None:
            raise LoanError(_("回购申请不存在。"))
        first = RepurchaseCollection.objects.filter(
            kind=RepurchaseCollectionKind.BANK, reference=bank_ref
        ).first()
        if first is not None:
            if first.repurchase_id == repurchase.pk and first.amount == amount:
                return first
            raise LoanError(_("该银行流水号已登记为另一笔回购款。"), field="bank_ref")
        if repurchase.status != RepurchaseStatus.DUE:
            raise LoanError(_("该回购不在待收回状态。"))
        if amount > repurchase.outstanding:
            raise LoanError(
                _("到账金额超过待收回金额 %(due)s 元。") % {"due": repurchase.outstanding},
                field="amount",
            )
        return repurchase_collect(
            repurchase=repurchase,
            kind=RepurchaseCollectionKind.BANK,
            reference=bank_ref,
            amount=amount,
            on=business_date_for_posting(),
            debit=(A.BANK_CLEARING, None),
            actor=actor,
        )
