"""Customer messages go to their own queue, which the main worker reads only when no decision
is waiting (settings: CELERY_TASK_ROUTES, CELERY_TASK_QUEUES, the "priority" queue order)."""

from __future__ import annotations

import uuid

from kombu import Connection, Consumer, Exchange, Producer, Queue

from autofin.celery import app
from autofin.notifications import NOTIFICATION_DELIVER_TASK


def test_messages_are_routed_to_their_queue_and_decisions_to_the_default_one(settings):
    router = app.amqp.router
    assert router.route({}, NOTIFICATION_DELIVER_TASK)["queue"].name == "notifications"
    decision = router.route({}, "origination.tasks.application_decide")["queue"].name
    assert decision == app.conf.task_default_queue  # a test worker's switches it to its own
    # a worker started without -Q reads the default queue first, then the messages
    queues = [q.name for q in settings.CELERY_TASK_QUEUES]
    assert queues == [settings.CELERY_TASK_DEFAULT_QUEUE, "notifications"]


def test_a_worker_takes_a_waiting_decision_before_messages_queued_earlier(settings):
    tag = uuid.uuid4().hex[:8]
    exchange = Exchange(f"t-{tag}", type="direct")
    first, second = (Queue(f"t-{tag}-{n}", exchange, routing_key=n) for n in ("a", "b"))
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as conn:
        channel = conn.channel()
        producer = Producer(channel, exchange)
        for queue in (first, second):
            queue(channel).declare()
        for n in range(3):
            producer.publish({"n": n}, routing_key="b")  # messages, queued first
        producer.publish({"decision": True}, routing_key="a")
        received = []
        consumer = Consumer(channel, [first, second], prefetch_count=1)
        consumer.register_callback(lambda body, message: (received.append(body), message.ack()))
        try:
            with consumer:
                while len(received) < 4:
                    conn.drain_events(timeout=5)
        finally:
            for queue in (first, second):
                queue(channel).delete()
    assert received == [{"decision": True}, {"n": 0}, {"n": 1}, {"n": 2}]


def test_contracts_render_on_their_own_queue_apart_from_the_documents_ocr():
    # the contracts' worker runs niced (docker-compose.yml, make run): the OCR reads a decision
    # uses must not wait behind a contract's PDFs on it
    router = app.amqp.router
    assert router.route({}, "origination.tasks.application_contract_issue")["queue"].name == (
        "contracts"
    )
    assert router.route({}, "origination.tasks.document_ocr_read")["queue"].name == "documents"
