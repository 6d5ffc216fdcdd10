"""Auto-debit (代扣) results: the bank's results file applied in chunks, each debit posted once
(the instruction file itself is written by the nightly step servicing.eod.steps.auto_debit)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from autofin.audit import audit_entry_build
from servicing.models.repayments import AutoDebitItem, RepaymentSource
from servicing.services.hotpath import (
    insert_part,
    parts_execute,
    update_part,
)
from servicing.services.loans.account import posting_date
from servicing.services.repayments.apply import PaymentIn, loans_lock, repayments_post_many_locked
from servicing.services.repayments.guards import amount_checked

# --- auto-debit ----------------------------------------------------------------------------------


@dataclass
class AutoDebitSummary:
    succeeded: int = 0
    failed: int = 0
    replayed: int = 0
    unknown: int = 0


def auto_debit_results_apply(
    *,
    content: str,
    actor: Any = "bank",
    business_date: dt.date | None = None,
    chunk: int | None = None,
) -> AutoDebitSummary:
    """Apply the bank's results file: post each successful debit once, mark failures.

    Lines go in chunks (`AUTO_DEBIT_APPLY_CHUNK`, default 200), each its own transaction: the
    chunk's loans locked in id order with their reachable rows, then its items, then the
    successful debits posted set-based (`repayments_post_many_locked`: the same waterfall and
    ledger entries as one `repayment_post` each, in a handful of statements for the chunk). A
    replayed file, or a line already applied, posts nothing twice."""
    summary = AutoDebitSummary()
    date = posting_date(business_date)
    size = chunk or settings.AUTO_DEBIT_APPLY_CHUNK
    lines = {}
    for line in csv.DictReader(io.StringIO(content)):
        ref = (line.get("instruction_ref") or "").strip()
        lines.setdefault(ref, line)  # a line twice in one file is applied once
    refs = list(lines)
    for start in range(0, len(refs), size):
        part = refs[start : start + size]
        known = dict(
            AutoDebitItem.objects.filter(instruction_ref__in=part).values_list(
                "instruction_ref", "loan_id"
            )
        )
        summary.unknown += len(part) - len(known)
        if known:
            _auto_debit_chunk(
                lines={ref: lines[ref] for ref in known},
                loan_ids=list(known.values()),
                date=date,
                actor=actor,
                summary=summary,
            )
    return summary


def _auto_debit_chunk(
    *, lines: dict, loan_ids: list[int], date: dt.date, actor: Any, summary: AutoDebitSummary
) -> None:
    with transaction.atomic():
        locked = loans_lock(loan_ids=loan_ids, eligible_on=date)
        items = list(
            AutoDebitItem.objects.select_for_update()
            .filter(instruction_ref__in=list(lines))
            .order_by("pk")
        )
        payments: list[PaymentIn] = []
        succeeded: list[AutoDebitItem] = []
        changed: list[AutoDebitItem] = []
        for item in items:
            if item.result != AutoDebitItem.Result.PENDING:
                summary.replayed += 1
                continue
            line = lines[item.instruction_ref]
            if line.get("result") == "success":
                payments.append(
                    PaymentIn(
                        loan_id=item.loan_id,
                        amount=amount_checked(line.get("amount")),
                        idempotency_key=f"auto-debit:{item.instruction_ref}",
                        external_ref=(line.get("bank_ref") or item.instruction_ref).strip(),
                    )
                )
                succeeded.append(item)
                item.result = AutoDebitItem.Result.SUCCESS
                summary.succeeded += 1
            else:
                item.result = AutoDebitItem.Result.FAILED
                item.failure_reason = (line.get("reason") or "")[:100]
                summary.failed += 1
            changed.append(item)
        if payments:
            posted = repayments_post_many_locked(
                locked=locked,
                payments=payments,
                source=RepaymentSource.AUTO_DEBIT,
                business_date=date,
                actor=actor,
            )
            for item, repayment in zip(succeeded, posted, strict=True):
                item.repayment = repayment
        if changed:
            audits = [
                audit_entry_build(
                    actor=actor, obj=item, action="auto_debit_result", to_state=item.result
                )
                for item in changed
            ]
            parts_execute(
                [
                    update_part(changed, ["result", "failure_reason", "repayment"]),
                    insert_part(audits),
                ]
            )
