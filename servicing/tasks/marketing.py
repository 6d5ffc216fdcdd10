"""Celery tasks of campaigns: thin wrappers that take ids and call the services.

* campaign_launch(campaign_id)  launch one campaign (on commit of "launch now")
* campaigns_launch_due()        periodic: launch scheduled campaigns whose start has come
"""

from __future__ import annotations

from celery import shared_task

from servicing.services.marketing.campaigns import campaign_launch as launch
from servicing.services.marketing.campaigns import campaigns_due


@shared_task(name="servicing.tasks.marketing.campaign_launch", acks_late=True, time_limit=900)
def campaign_launch(campaign_id: int) -> dict:
    return launch(campaign_id=campaign_id)


@shared_task(name="servicing.tasks.marketing.campaigns_launch_due", time_limit=1800)
def campaigns_launch_due() -> int:
    ids = campaigns_due()
    for campaign_id in ids:
        launch(campaign_id=campaign_id)
    return len(ids)
