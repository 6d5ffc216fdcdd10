"""Replaying a repayment: the row that already holds an idempotency key (or a provider's
reference), the unique key whose conflict makes an insert a replay, and the refusal of a key
reused for another loan or amount."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from servicing.models.repayments import Repayment
from servicing.services.repayments.guards import RepaymentError


def repayment_replay(
    *, idempotency_key: str | None, source: str, external_ref: str | None
) -> Repayment | None:
    if idempotency_key:
        found = Repayment.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    if external_ref:
        return Repayment.objects.filter(source=source, external_ref=external_ref).first()
    return None


def replay_unique_key(idempotency_key: str | None, external_ref: str | None) -> dict[str, Any]:
    """The unique key whose conflict makes an insert a replay: the idempotency key, else the
    provider's reference (partial unique index repayment_external_ref_unique). A clash on the
    other one raises; `repayment_post` then replays by it, as it does for a concurrent twin."""
    if idempotency_key or not external_ref:
        return {"unique_fields": ["idempotency_key"]}
    return {"unique_fields": ["source", "external_ref"], "where": '"external_ref" IS NOT NULL'}


def replay_check(existing: Repayment, *, loan_id: int, amount: Decimal) -> Repayment:
    if existing.loan_id != loan_id or existing.amount != amount:
        raise RepaymentError(
            _("幂等键已用于另一笔还款（贷款 %(loan)s，金额 %(amount)s）。")
            % {"loan": existing.loan_id, "amount": existing.amount},
            code="idempotency_conflict",
        )
    return existing
