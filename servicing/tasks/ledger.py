"""Celery task of the ledger's upkeep: the journal lines' month partitions ahead.

* ledger_partitions_ensure()   monthly (beat): create the missing month partitions
                               (idempotent; servicing.services.ledger.partitions)
"""

from __future__ import annotations

from celery import shared_task

from servicing.services.ledger.partitions import journal_partitions_ensure


@shared_task(name="servicing.tasks.ledger.ledger_partitions_ensure", time_limit=600)
def ledger_partitions_ensure() -> dict:
    report = journal_partitions_ensure()
    return {
        "created": report.created,
        "blocked": report.blocked,
        "default_rows": report.default_rows,
    }
