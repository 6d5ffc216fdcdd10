"""Celery tasks looked up by name, so services and nightly steps schedule work without importing
the tasks modules (which import the services: the dependency stays one way, tasks -> services).

The names are declared on the tasks (`@shared_task(name="servicing.tasks.<module>.<task>")`), independent of the
module a task lives in."""

from __future__ import annotations

from celery import current_app


def task_named(name: str):
    """The registered task `name`. A web or test process imports the tasks modules only when
    something needs them; Celery's autodiscovery does that on first use."""
    try:
        return current_app.tasks[name]
    except KeyError:
        current_app.loader.import_default_modules()
        return current_app.tasks[name]
