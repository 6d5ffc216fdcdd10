"""The nightly re-screen of the whole book against the watch lists, when a list changed."""

from __future__ import annotations

from celery import shared_task

from risk.services.screening import watch_list_rescreen


@shared_task(name="risk.tasks.watch_list_rescreen_nightly", acks_late=True, time_limit=3600)
def watch_list_rescreen_nightly() -> dict:
    return watch_list_rescreen()
