"""Celery tasks of floor-plan advances: thin wrappers that take ids and call the services.

* floorplan_advance_send(advance_id)   send a released advance (scheduled on commit of a release)
* floorplan_advances_recover()         periodic: ask the bank by key about overdue answers
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from servicing.services.floorplan.bank import (
    floorplan_advance_recover,
    floorplan_advances_to_recover,
)
from servicing.services.floorplan.bank import floorplan_advance_send as advance_send


@shared_task(
    name="servicing.tasks.floorplan.floorplan_advance_send",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
)
def floorplan_advance_send(advance_id: int) -> str:
    return advance_send(advance_id=advance_id)


@shared_task(
    name="servicing.tasks.floorplan.floorplan_advances_recover",
    time_limit=900,
    soft_time_limit=840,
)
def floorplan_advances_recover(older_than_seconds: int = 120) -> int:
    ids = floorplan_advances_to_recover(older_than=dt.timedelta(seconds=older_than_seconds))
    for advance_id in ids:
        floorplan_advance_recover(advance_id=advance_id)
    return len(ids)
