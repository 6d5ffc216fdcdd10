from celery import shared_task

from autofin.notifications import (
    NOTIFICATION_DELIVER_TASK,
    notification_deliver_now,
    notifications_due,
)
from autofin.security_log import security_log_prune as prune


# the message's row records the delivery; nothing reads the task's result
@shared_task(
    name=NOTIFICATION_DELIVER_TASK,
    acks_late=True,
    ignore_result=True,
    time_limit=60,
    soft_time_limit=50,
)
def notification_deliver(message_id: int) -> str:
    return notification_deliver_now(message_id=message_id).status


@shared_task(time_limit=300)
def notifications_release_due() -> int:
    """Deliver messages that waited for contact hours (scheduled by beat every few minutes)."""
    ids = notifications_due()
    for message_id in ids:
        notification_deliver.delay(message_id)
    return len(ids)


@shared_task(time_limit=1800)
def security_log_prune() -> int:
    """Delete security-log rows past their retention (daily, by beat)."""
    return prune()
