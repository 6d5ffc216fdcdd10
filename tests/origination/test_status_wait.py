"""GET /api/v1/applications/<ref>/status/?wait=N: the customer's app asks once and hears the
decision when it is applied (Redis pub/sub after the commit), instead of polling."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from autofin import changes
from autofin.scheduling import task_named
from origination.models.applications import Application
from origination.services.applications.decision import application_decision_apply
from origination.services.applications.submission import application_submit
from tests.origination.intake_support import complete_draft


def _submitted(draft, customer, key: str) -> Application:
    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key=key, queue_decision=False)
    return Application.objects.get(pk=draft.pk)


def _api(customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_waiting_status_request_answers_as_soon_as_the_decision_is_committed(draft, customer):
    app = _submitted(draft, customer, "wait-1")

    def decide() -> None:
        time.sleep(0.5)
        try:
            application_decision_apply(application_id=app.pk, outcome="decline", reasons=["x"])
        finally:
            connection.close()  # this thread's own connection

    decider = threading.Thread(target=decide)
    started = time.monotonic()
    decider.start()
    r = _api(customer).get(f"/api/v1/applications/{app.reference}/status/?wait=15")
    elapsed = time.monotonic() - started
    decider.join()

    assert r.status_code == 200
    assert r.json()["status"] == "declined"
    assert [e["to_status"] for e in r.json()["timeline"]][-1] == "declined"
    assert 0.5 <= elapsed < 10, f"answered after {elapsed:.2f} s"  # not the 15 s wait


def test_an_undecided_application_is_answered_when_the_wait_runs_out(draft, customer):
    app = _submitted(draft, customer, "wait-2")
    started = time.monotonic()
    r = _api(customer).get(f"/api/v1/applications/{app.reference}/status/?wait=0.3")
    elapsed = time.monotonic() - started
    assert (r.status_code, r.json()["status"]) == (200, "submitted")
    assert 0.3 <= elapsed < 8  # the 0.3 s wait, and a loaded test machine


def test_a_decided_application_and_a_draft_are_answered_without_waiting(draft, customer):
    client = _api(customer)
    started = time.monotonic()
    assert client.get(f"/api/v1/applications/{draft.reference}/status/?wait=20").json()[
        "status"
    ] == ("draft")
    app = _submitted(draft, customer, "wait-3")
    application_decision_apply(application_id=app.pk, outcome="refer", reasons=["x"])
    r = client.get(f"/api/v1/applications/{app.reference}/status/?wait=20")
    assert r.json()["status"] == "referred"
    assert time.monotonic() - started < 8


@pytest.mark.parametrize("wait", ["-1", "20.5", "abc", "nan"])
def test_a_wait_outside_0_to_20_seconds_is_refused(draft, customer, wait):
    r = _api(customer).get(f"/api/v1/applications/{draft.reference}/status/?wait={wait}")
    assert r.status_code == 400
    assert list(r.json()["errors"]) == ["wait"]


def test_another_customer_waits_for_nothing_but_a_404(draft, customer, other_customer):
    app = _submitted(draft, customer, "wait-4")
    started = time.monotonic()
    r = _api(other_customer).get(f"/api/v1/applications/{app.reference}/status/?wait=10")
    assert r.status_code == 404
    assert time.monotonic() - started < 8


def test_without_redis_the_request_answers_at_once_and_the_decision_still_commits(
    draft, customer, monkeypatch
):
    from redis import Redis

    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    monkeypatch.setattr(changes, "_client", dead)
    app = _submitted(draft, customer, "wait-5")
    started = time.monotonic()
    r = _api(customer).get(f"/api/v1/applications/{app.reference}/status/?wait=10")
    assert (r.status_code, r.json()["status"]) == (200, "submitted")
    assert time.monotonic() - started < 8
    changes._publish("application-status:0")  # logged, not raised
    application_decision_apply(application_id=app.pk, outcome="decline", reasons=["x"])
    assert Application.objects.get(pk=app.pk).status == "declined"


def test_threads_looking_a_task_up_at_once_all_find_it(monkeypatch):
    """Celery's autodiscovery imports nothing in a second thread while a first runs it; the
    threaded web workers look tasks up through task_named, which lets one thread import."""
    from celery.loaders import base

    from autofin import scheduling
    from autofin.celery import app as current_app

    # Celery's current app is per thread (another test's Celery() may be current here while the
    # new threads see the default one): every thread looks the task up in the project's app.
    monkeypatch.setattr(scheduling, "current_app", current_app)
    name = "origination.tasks.application_decide"
    task = current_app.tasks[name]
    monkeypatch.delitem(current_app.tasks, name)
    real = current_app.loader.import_default_modules

    def slow_import():
        if base._RACE_PROTECTION:  # another thread is importing: Celery returns at once
            return []
        base._RACE_PROTECTION = True
        try:
            time.sleep(0.2)
            current_app.tasks[name] = task
            return real()
        finally:
            base._RACE_PROTECTION = False

    monkeypatch.setattr(current_app.loader, "import_default_modules", slow_import)
    found, errors = [], []

    def look_up():
        try:
            found.append(task_named(name))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=look_up) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and found == [task] * 4
