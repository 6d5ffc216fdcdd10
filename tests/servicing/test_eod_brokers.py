"""The nightly batch's chunks run on Celery workers in separate processes (as on separate hosts),
with the broker a setting: Redis or RabbitMQ. Each night must close the same way on both."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from servicing.eod.registry import steps_ordered
from servicing.models.eod import BatchRun, ChunkRun, StepRun
from servicing.selectors.ledger import trial_balance
from servicing.tasks.eod import eod_batch_start
from tests.servicing.loan_helpers import make_loan, set_day
from tests.servicing.test_eod_celery import wait_for

DAY = dt.date(2026, 3, 16)


@pytest.mark.slow
@pytest.mark.parametrize(
    "broker",
    [
        pytest.param("redis", id="redis"),
        pytest.param("rabbitmq", id="rabbitmq", marks=pytest.mark.requires_service("rabbitmq")),
    ],
)
def test_a_night_runs_its_chunks_on_two_worker_processes(
    monkeypatch, celery_workers, amqp_url, broker
):
    from autofin.roles import Role
    from tests.factories import UserFactory

    monkeypatch.setenv("EOD_CHUNK_SIZE", "2")  # read by the workers at start: many chunks
    loans = [
        make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=f"1390001{6000 + i}"))
        for i in range(8)
    ]
    celery_workers(count=2, broker=amqp_url if broker == "rabbitmq" else None)
    set_day(DAY)
    eod_batch_start.delay(DAY.isoformat())
    batch = wait_for(
        lambda: BatchRun.objects.filter(business_date=DAY, status="succeeded").first(), 180
    )
    steps = StepRun.objects.filter(batch=batch)
    assert set(steps.values_list("status", flat=True)) == {"succeeded"}
    assert steps.count() == len(steps_ordered())
    assert int(steps.get(code="accrual").result["loans"]) == len(loans)
    assert steps.get(code="reconciliation").result["differences"] == 0
    # the chunks were claimed by both processes: the owner names the worker's pid
    owners = ChunkRun.objects.filter(step__batch=batch).values_list("owner", flat=True)
    pids = {re.match(r"celery:[^:]+:(\d+):", owner).group(1) for owner in owners}
    assert len(pids) == 2
    assert trial_balance().total == 0
