"""Celery task of the next-best-offer model: train the run the model page queued."""

from __future__ import annotations

from celery import shared_task

from servicing.models.nbo import NboModel, NboStatus
from servicing.services.nbo.training import STALE_AFTER, NboTrainingError, nbo_train


@shared_task(
    name="servicing.tasks.nbo.nbo_train_run",
    time_limit=int(STALE_AFTER.total_seconds()),
    soft_time_limit=int(STALE_AFTER.total_seconds()) - 60,
)
def nbo_train_run(run_id: int) -> str:
    run = NboModel.objects.get(pk=run_id)
    if run.status != NboStatus.QUEUED:
        return run.status  # delivered twice, or given up as stale: train it once only
    try:
        run = nbo_train(run=run)
    except NboTrainingError:
        # stored on the run as failed with the reason: the page shows it
        return "failed"
    return f"v{run.version} auc {run.metrics['auc']}"
