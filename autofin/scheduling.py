"""Celery tasks by name: services and nightly steps schedule work without importing the tasks
modules (which import the services), so every app's import graph stays one way, tasks ->
services. A task declares its name (`@shared_task(name="<app>.tasks.<module>.<task>")`),
independent of where its module lives; the scheduler asks for it by that name.

One way for every app: `task_named(name).delay(...)` runs inline under
CELERY_TASK_ALWAYS_EAGER like a direct call would (Celery's `send_task` ignores that setting),
and `after_commit` sends nothing for a transaction that rolled back."""

from __future__ import annotations

import threading

from celery import current_app
from django.db import transaction

# Celery's autodiscovery returns at once, having imported nothing, while another thread of the
# process runs it (its _RACE_PROTECTION flag): in a threaded web worker the second thread's
# lookup would fail. One thread at a time imports; the others wait and then find the task.
_import_lock = threading.Lock()


def task_named(name: str):
    """The registered task `name`. A web or test process imports the tasks modules only when
    something needs them; Celery's autodiscovery does that on first use."""
    try:
        return current_app.tasks[name]
    except KeyError:
        with _import_lock:
            if name not in current_app.tasks:
                current_app.loader.import_default_modules()
        return current_app.tasks[name]


def after_commit(name: str, *args) -> None:
    """Send task `name` with `args` once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: task_named(name).delay(*args))
