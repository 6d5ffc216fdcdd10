"""A departing dealer's commission debt: once no agreement of the dealer is in force, the
clawbacks it still owes (carried forward on its statements, a debit balance on commission
payable) are set against the deposit it holds — 借 dealer deposit / 贷 commission payable on the
dealer's sub-ledger, one `DepositMovement` of kind set_off, the statement's debt marked settled
by that much — and what the deposit does not cover is left as the dealer's debt to demand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.roles import MoneyAction, can_move_money
from dealers.models.commissions import Agreement
from dealers.services.commissions import commission_debt_open, commission_debt_settle
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.deposits import DepositMovement, DepositMovementKind
from servicing.services.deposits.calls import (
    dealer_deposit_lock,
    deposit_figures_push,
    deposit_held,
)
from servicing.services.deposits.receipts import DepositError
from servicing.services.ledger.posting import journal_post


def departing_dealer_debt_set_off(*, dealer_id: int, actor: Any) -> tuple[Decimal, Decimal]:
    """Set the departed dealer's carried commission debt against its deposit; (set off, still
    owed). Refused (nothing written) while an agreement is in force or with no debt."""
    if not can_move_money(actor, MoneyAction.COMMISSION_DEBT_SET_OFF):
        raise DepositError(_("您没有办理保证金抵扣的权限。"), code="forbidden")
    on = business_date_for_posting()
    in_force = Agreement.objects.filter(dealer_id=dealer_id, effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    if in_force.exists():
        raise DepositError(_("该经销商仍有生效的合作协议，不能按退出办理抵扣。"), field="dealer")
    with transaction.atomic():
        dealer_deposit_lock(dealer_id)
        statement = commission_debt_open(dealer_id=dealer_id)
        owed = -(statement.net_amount + statement.debt_settled) if statement else Decimal("0")
        if owed <= 0:
            raise DepositError(_("该经销商没有结转未还的返佣欠款。"), field="dealer")
        amount = min(owed, deposit_held(dealer_id=dealer_id))
        if amount <= 0:
            raise DepositError(_("该经销商没有可抵扣的保证金，请向其催收。"), field="dealer")
        reference = f"commission-debt-{statement.pk}-{statement.debt_settled}"
        entry = journal_post(
            business_date=on,
            source_type=SourceType.DEPOSIT,
            source_id=reference,
            lines=[
                (A.DEALER_DEPOSIT, "D", amount, None, dealer_id),
                (A.COMMISSION_PAYABLE, "C", amount, None, dealer_id),
            ],
            idempotency_key=f"deposit-set-off:{reference}",
            description=_("退出经销商返佣欠款抵扣保证金 %(n)s") % {"n": statement.number},
            actor=actor,
        )
        movement = DepositMovement.objects.create(
            dealer_id=dealer_id,
            kind=DepositMovementKind.SET_OFF,
            reference=reference,
            amount=-amount,
            on=on,
            journal_entry_id=entry.pk,
        )
        left = commission_debt_settle(statement_id=statement.pk, amount=amount, reference=reference)
        audit_record(
            actor=actor,
            obj=movement,
            action="departing_dealer_debt_set_off",
            data={"statement": statement.number, "amount": str(amount), "still_owed": str(left)},
        )
        deposit_figures_push(dealer_id=dealer_id, on=on)
    return amount, left
