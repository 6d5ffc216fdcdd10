"""servicing's Celery tasks, one module per area: `commissions` (sending and recovering dealer
commission payouts), `deposits` (dealer deposit refunds), `disbursement` (sending payment attempts,
recovery, the daily bank reconciliation), `eod` (the nightly settlement's batch, chunks and
watchdog), `ledger` (the journal lines' month partitions ahead). Tasks are thin: they take ids
and call the services or the batch runner; nothing
below them imports a task module (services schedule tasks by name)."""

# Celery's autodiscovery imports `servicing.tasks` only: importing the area modules here is what
# registers their tasks with the workers and the beat.
from servicing.tasks import (  # noqa: F401
    commissions,
    deposits,
    disbursement,
    eod,
    floorplan,
    insurance,
    ledger,
    marketing,
    repossession,
)
