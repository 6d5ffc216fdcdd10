"""Step 3 — the auto-debit (代扣) file for what is due, sent to the (sandbox) bank.

One instruction per open loan with anything unpaid due by D, for the amount due less the loan's suspense
(instruction_ref "AD<yyyymmdd><loan id>", unique, so a re-run adds nothing). The prepare hook
opens the day's `AutoDebitBatch`; each chunk inserts its loans' items in one statement; the
finalize hook writes the file (CSV in loan order) and, after commit, hands it to the bank
adapter through the `eod_auto_debit_exchange` task, which applies the results when they come
back and the night's batch has closed (`auto_debit_exchange`: each debit posted once). Setting EOD_AUTO_DEBIT_SEND=False
leaves the file for the operators to send.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from autofin.audit import audit_record
from autofin.scheduling import task_named
from servicing.adapters import auto_debit_bank
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, UNPAID, open_rows_sql, rows, run
from servicing.models.eod import BatchRun, RunStatus
from servicing.models.repayments import AutoDebitBatch
from servicing.services.repayments.auto_debit import auto_debit_results_apply

# the instruction file's columns (the bank answers with instruction_ref, amount, result, reason,
# bank_ref)
AUTO_DEBIT_HEADER = ["instruction_ref", "contract_ref", "amount"]

# what is due by D on each loan of the chunk: its unpaid rows, through the open-row indexes
DUE_ROWS = open_rows_sql("r.due_date <= %(d)s", f"r.loan_id, {UNPAID} AS amount", bound=True)


def _batch(ctx: StepContext):
    batch, _created = AutoDebitBatch.objects.get_or_create(
        business_date=ctx.business_date,
        defaults={"file_name": f"autodebit_{ctx.business_date:%Y%m%d}.csv", "content": ""},
    )
    return batch


def auto_debit_prepare(ctx: StepContext) -> dict:
    return {"auto_debit_batch": _batch(ctx).pk}


def auto_debit_finalize(ctx: StepContext) -> dict:
    batch = AutoDebitBatch.objects.select_for_update().get(pk=_batch(ctx).pk)
    items = rows(
        """
        SELECT i.instruction_ref, l.contract_ref, i.amount
          FROM servicing_autodebititem i JOIN servicing_loan l ON l.id = i.loan_id
         WHERE i.batch_id = %s ORDER BY i.loan_id
        """,
        [batch.pk],
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(AUTO_DEBIT_HEADER)
    for ref, contract_ref, amount in items:
        writer.writerow([ref, contract_ref, f"{amount:.2f}"])
    if batch.content != out.getvalue():
        batch.content = out.getvalue()
        batch.save(update_fields=["content"])
        audit_record(
            actor=ctx.actor, obj=batch, action="auto_debit_file_write", data={"items": len(items)}
        )
        if settings.EOD_AUTO_DEBIT_SEND and items:
            batch_id = batch.pk
            # by name: the tasks module imports this step, never the other way
            transaction.on_commit(
                lambda: task_named("servicing.tasks.eod.eod_auto_debit_exchange").delay(batch_id)
            )
    return {"instructions": len(items), "file": batch.file_name}


def auto_debit_exchange(*, batch_id: int) -> dict:
    """Hand the day's file to the bank adapter (SERVICING_AUTO_DEBIT_BANK) and apply the
    results file it returns (`auto_debit_results_apply`: each debit posted once).

    Not while the batch closing that date runs: its chunks hold thousands of loans' row locks
    in turn, and the debits would queue behind them (and they behind the debits). A real bank
    answers hours later anyway; the sandbox answers at once, so the results wait: returns
    {"waiting": True} and the task asks again. Idempotent: a batch applied once is not again."""
    batch = AutoDebitBatch.objects.get(pk=batch_id)
    if batch.results_applied:
        return {"replayed": True}
    if (
        BatchRun.objects.filter(business_date=batch.business_date)
        .exclude(status=RunStatus.SUCCEEDED)
        .exists()
    ):
        return {"waiting": True}
    bank = auto_debit_bank()
    results = bank.process(batch.content)
    summary = auto_debit_results_apply(content=results, actor="bank")
    AutoDebitBatch.objects.filter(pk=batch_id).update(results_applied=True)
    return summary.__dict__


@register(
    code="auto_debit",
    label=_("代扣文件"),
    position=30,
    prepare=auto_debit_prepare,
    finalize=auto_debit_finalize,
)
def auto_debit_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    batch = _batch(ctx)
    n = run(
        f"""
        INSERT INTO servicing_autodebititem
            (batch_id, loan_id, amount, instruction_ref, result, failure_reason, repayment_id)
        SELECT %(batch)s, l.id, due.amount - l.suspense_balance,
               'AD' || to_char(%(d)s::date, 'YYYYMMDD') || lpad(l.id::text, 10, '0'),
               'pending', '', NULL
          FROM servicing_loan l
          JOIN (SELECT x.loan_id, sum(x.amount) AS amount FROM ({DUE_ROWS}) x GROUP BY x.loan_id
               ) due ON due.loan_id = l.id
         WHERE l.id BETWEEN %(lo)s AND %(hi)s
           AND l.status NOT IN {CLOSED_SQL}
           AND due.amount - l.suspense_balance > 0
        ON CONFLICT (instruction_ref) DO NOTHING
        """,  # noqa: S608 - SQL built from constants; values are bound
        {"batch": batch.pk, "d": ctx.business_date, "lo": lo, "hi": hi},
    )
    return {"instructions": n}
