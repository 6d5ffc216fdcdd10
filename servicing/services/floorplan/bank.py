"""A released advance at the bank, through the one outgoing-payment engine (services.outgoing).
On success, in one transaction: 借 floorplan receivable (the advance's and the dealer's keys) /
贷 bank clearing, the advance funded with its due date, and the line's use pushed."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR
from servicing.gateway.interface import PaymentGateway
from servicing.models import AccountCode, SourceType
from servicing.models.floorplan import AdvanceStatus, FloorplanAdvance
from servicing.services.floorplan.advances import FloorplanError, line_usage_push
from servicing.services.ledger.posting import journal_post
from servicing.services.outgoing import (
    OutgoingKind,
    outgoing_recover,
    outgoing_send,
    outgoing_to_recover,
)


def _funded(advance: FloorplanAdvance, paid_on: dt.date) -> None:
    entry = journal_post(
        business_date=paid_on,
        source_type=SourceType.FLOORPLAN,
        source_id=f"advance-{advance.pk}",
        lines=[
            (
                AccountCode.FLOORPLAN_RECEIVABLE,
                "D",
                advance.amount,
                None,
                advance.dealer_id,
                advance.pk,
            ),
            (AccountCode.BANK_CLEARING, "C", advance.amount),
        ],
        idempotency_key=f"floorplan-fund:{advance.idempotency_key}",
        description=_("库存融资放款 %(vin)s") % {"vin": advance.vin},
        actor=SYSTEM_ACTOR,
    )
    # The last curtailment stage is when the whole advance falls due.
    last_age = max(int(age) for age, _percent in advance.curtailment_plan)
    advance.status = AdvanceStatus.FUNDED
    advance.funded_on = paid_on
    advance.due_on = paid_on + dt.timedelta(days=last_age)
    advance.principal_outstanding = advance.amount
    advance.journal_entry_id = entry.pk
    advance.save()
    line_usage_push(advance.line_id)


ADVANCES = OutgoingKind(
    name="floorplan_advance",
    model=FloorplanAdvance,
    released=AdvanceStatus.RELEASED,
    failed=AdvanceStatus.FAILED,
    reference=lambda advance: _("库存融资 %(vin)s") % {"vin": advance.vin},
    paid=_funded,
    error=FloorplanError,
    failed_hook=lambda advance: line_usage_push(advance.line_id),
)


def floorplan_advance_send(*, advance_id: int, gateway: PaymentGateway | None = None) -> str:
    """Send the released advance under its key (the task's body); safe to run twice."""
    return outgoing_send(ADVANCES, advance_id, gateway=gateway).bank_status


def floorplan_advance_recover(*, advance_id: int, gateway: PaymentGateway | None = None) -> str:
    return outgoing_recover(ADVANCES, advance_id, gateway=gateway).bank_status


def floorplan_advances_to_recover(*, older_than: dt.timedelta) -> list[int]:
    return outgoing_to_recover(ADVANCES, older_than=older_than)
