"""Correcting an entry by reversing it: the mirror entry, linked to the original, never twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from servicing.memos import memo
from servicing.models.ledger import JournalEntry, Side
from servicing.services.ledger.entries import EntrySpec, LedgerError
from servicing.services.ledger.posting import entries_post, entry_from_result


def journal_entry_reverse(
    *,
    entry_id: int,
    reason: str,
    actor: Any,
    business_date: dt.date | None = None,
) -> JournalEntry:
    """Post the mirror of an entry (every line on the other side), linked to it.

    Idempotent: reversing an entry again returns its reversal. A reversal itself cannot be
    reversed (post the original again instead). `business_date` defaults to the posting date.

    The original is not locked (a row lock needs UPDATE rights the application's role has not
    on the ledger): two concurrent reversals meet on the reversal's idempotency key, and the
    second gets the first one's reversal, audited once.
    """
    if not reason or not reason.strip():
        raise LedgerError(_("冲正必须填写原因"))
    with transaction.atomic():
        original = JournalEntry.objects.filter(pk=entry_id).first()
        if original is None:
            raise LedgerError(_("分录 #%(id)s 不存在") % {"id": entry_id})
        existing = JournalEntry.objects.filter(reverses_id=original.pk).first()
        if existing is not None:
            return existing
        if original.reverses_id is not None:
            raise LedgerError(_("分录 #%(id)s 本身是冲正分录，不能再冲正") % {"id": entry_id})
        flip = {Side.DEBIT.value: Side.CREDIT.value, Side.CREDIT.value: Side.DEBIT.value}
        lines = [
            (code, flip[side], amount, *keys)
            for code, side, amount, *keys in original.lines.order_by("id").values_list(
                "account__code", "side", "amount", "loan_id", "dealer_id", "floorplan_advance_id"
            )
        ]
        spec = EntrySpec(
            business_date=business_date or business_date_for_posting(),
            source_type=original.source_type,
            source_id=original.source_id,
            lines=lines,
            idempotency_key=f"reversal:{original.pk}",
            description=memo("reversal", id=original.pk, reason=reason)[:255],
            loan_id=original.loan_id,
            reverses_id=original.pk,
        )
        result = entries_post([spec], actor=actor)[0]
        reversal = entry_from_result(result, actor=actor)
        if result[1] is None:  # a concurrent reversal posted it first, and audited it
            return reversal
        audit_record(
            actor=actor,
            obj=original,
            action="journal_entry_reverse",
            from_state="posted",
            to_state="reversed",
            reason=reason,
            data={"reversal_entry_id": reversal.pk},
        )
        return reversal
