"""Payoff at the retail sale: a retail loan funds a car that still carries the selling dealer's
floor-plan advance (same VIN), so the disbursement's split settles the advance first and pays
the dealer only the rest — in the same release, exactly to the fen.

* Prepare (`retail_payoff_split`): the dealer's car part is split in two — what the advance owes
  now (principal outstanding + interest accrued unpaid) as an internal part (item
  `floorplan`, the dealer's money that never leaves the lender), and the rest to the dealer's
  account. A car part smaller than the payoff is refused (the dealer pays the difference off
  directly first); nothing is written.
* Release (`retail_payoff_settle`, under the disbursement's locks, then the advance's): the
  payoff is taken again — interest accrued by the nights between prepare and release moves
  from the dealer's part to the internal one (a refusal if the dealer's part would not cover
  it) — and the internal part is settled at once: an internal ledger transfer, dealer payable
  Dr / floor-plan receivable and interest receivable Cr (the advance's payoff, recorded as a
  `retail_disbursement` payment), the 合格证 released and the advance settled. Funding later
  credits dealer payable with the whole car price, as for any dealer part: dealer payable nets
  to zero once the dealer's bank payment succeeds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO
from servicing.models import AccountCode
from servicing.models.disbursement import Disbursement, PayeeKind, PaymentInstruction
from servicing.models.floorplan import AdvanceStatus, FloorplanAdvance, FloorplanPaymentSource
from servicing.services.disbursement.states import DisbursementError, S
from servicing.services.floorplan.payoffs import advance_payoff

# the internal part's item kind (a dealer part that is not paid to the dealer's bank account)
FLOORPLAN_ITEM = "floorplan"
CAR_ITEM = "car"


def _vin(facts: dict) -> str:
    return str((facts.get("collateral") or {}).get("vin") or "").strip().upper()


def _advance_for(*, vin: str, dealer_id: int | None, lock: bool = False):
    if not vin or not dealer_id:
        return None
    qs = FloorplanAdvance.objects.filter(vin=vin, dealer_id=dealer_id, status=AdvanceStatus.FUNDED)
    return (qs.select_for_update() if lock else qs).first()


def payoff_amount(advance: FloorplanAdvance) -> Any:
    """What settles the advance today: its principal and the interest accrued on it."""
    return advance.principal_outstanding + advance.interest_accrued_unpaid


def retail_payoff_split(*, facts: dict, parts: list[dict]) -> list[dict]:
    """The payment split with the dealer's car part split for the advance's payoff (the parts
    as `split_build` gives them; unchanged when the car carries no advance of that dealer)."""
    car = next(
        (p for p in parts if p["payee_kind"] == PayeeKind.DEALER and p["item_kind"] == CAR_ITEM),
        None,
    )
    if car is None:
        return parts
    advance = _advance_for(vin=_vin(facts), dealer_id=car["payee_dealer_id"])
    if advance is None:
        return parts
    payoff = payoff_amount(advance)
    if payoff >= car["amount"]:
        raise DisbursementError(
            _(
                "车辆 %(vin)s 的库存融资待结清 %(payoff)s 元，不低于应付经销商车款 %(car)s 元："
                "请经销商先直接还款结清库存融资，再放款。"
            )
            % {"vin": advance.vin, "payoff": payoff, "car": car["amount"]},
            field="payees",
            code="floorplan_payoff",
        )
    car["amount"] -= payoff
    internal = {
        **car,
        "seq": max(p["seq"] for p in parts) + 1,
        "item_kind": FLOORPLAN_ITEM,
        "amount": payoff,
    }
    return [*parts, internal]


def retail_payoff_settle(
    d: Disbursement, instructions: list[PaymentInstruction], *, actor: Any
) -> list[PaymentInstruction]:
    """Settle the disbursement's floor-plan part at release (the caller holds the disbursement
    and its instructions locked). Returns the instructions still to pay or fund with."""
    internal = next((i for i in instructions if i.item_kind == FLOORPLAN_ITEM), None)
    if internal is None:
        return instructions
    car = next(
        i
        for i in instructions
        if i.payee_kind == PayeeKind.DEALER
        and i.item_kind == CAR_ITEM
        and i.payee_dealer_id == internal.payee_dealer_id
    )
    advance = _advance_for(
        vin=_vin(d.contract_facts), dealer_id=internal.payee_dealer_id, lock=True
    )
    if advance is None:
        # paid off directly since the split was made: the whole car price goes to the dealer
        PaymentInstruction.objects.filter(pk=car.pk).update(amount=F("amount") + internal.amount)
        car.amount += internal.amount
        internal.delete()
        audit_record(actor=actor, obj=d, action="floorplan_payoff_dropped")
        return [i for i in instructions if i.pk != internal.pk]
    payoff = payoff_amount(advance)
    moved = payoff - internal.amount
    if moved:
        if car.amount - moved <= ZERO:
            raise DisbursementError(
                _("库存融资待结清金额已增至 %(payoff)s 元，超过应付经销商车款，不能放行。")
                % {"payoff": payoff},
                code="floorplan_payoff",
            )
        car.amount -= moved
        internal.amount = payoff
        car.save(update_fields=["amount", "updated_at"])
    # the disbursement's release, not a person, pays the advance (an internal transfer); a
    # refusal (a FloorplanError) is a DisbursementError: the release rolls back
    advance_payoff(
        advance,
        payoff,
        FloorplanPaymentSource.RETAIL_DISBURSEMENT,
        d.contract_ref,
        f"disbursement#{d.pk}",
        debit_account=AccountCode.DEALER_PAYABLE,
    )
    internal.status = S.SUCCEEDED
    internal.succeeded_at = timezone.now()
    internal.account_name = _("库存融资结清")
    internal.save(update_fields=["amount", "status", "succeeded_at", "account_name", "updated_at"])
    audit_record(
        actor=actor,
        obj=internal,
        action="floorplan_retail_payoff",
        to_state=S.SUCCEEDED,
        data={"advance_id": advance.pk, "vin": advance.vin, "payoff": str(payoff),
              "moved_from_dealer": str(moved)},
    )  # fmt: skip
    return instructions
