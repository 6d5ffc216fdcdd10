"""Servicing agents' notes on a loan."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from servicing.models.loans import LoanNote
from servicing.services.loans.account import LoanError

# --- notes, collateral, charge-off ---------------------------------------------------------------


def loan_note_add(*, loan_id: int, body: str, actor: Any) -> LoanNote:
    body = (body or "").strip()
    if not body:
        raise LoanError(_("请填写备注内容。"), field="body")
    with transaction.atomic():
        note = LoanNote.objects.create(loan_id=loan_id, author=actor, body=body)
        audit_record(actor=actor, obj=note.loan, action="loan_note_add", data={"note": note.pk})
    return note
