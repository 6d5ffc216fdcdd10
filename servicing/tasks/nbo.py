"""Celery task of the next-best-offer model: train the run the model page queued."""

from __future__ import annotations

from celery import shared_task

from servicing.models.nbo import NboModel
from servicing.services.nbo.training import NboTrainingError, nbo_train


@shared_task(name="servicing.tasks.nbo.nbo_train_run", time_limit=900, soft_time_limit=840)
def nbo_train_run(run_id: int) -> str:
    run = NboModel.objects.get(pk=run_id)
    try:
        run = nbo_train(run=run)
    except NboTrainingError:
        # stored on the run as failed with the reason: the page shows it
        return "failed"
    return f"v{run.version} auc {run.metrics['auc']}"
