"""servicing's Celery tasks (autodiscovered as `servicing.tasks`); each area's tasks live in
their own module and are imported here."""

from servicing.tasks_disbursement import (  # noqa: F401 - registered with Celery by import
    bank_callback_deliver,
    disbursement_attempt_recover,
    disbursement_attempt_send,
    disbursement_recover,
    reconciliation_daily,
)
