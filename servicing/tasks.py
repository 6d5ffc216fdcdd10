"""servicing's Celery tasks (autodiscovered as `servicing.tasks`); each area's tasks live in
their own module and are imported here."""

from servicing.tasks_disbursement import (  # noqa: F401 - registered with Celery by import
    bank_callback_deliver,
    disbursement_attempt_recover,
    disbursement_attempt_send,
    disbursement_recover,
    reconciliation_daily,
)
from servicing.tasks_eod import (  # noqa: F401,E402 - nightly settlement (eod)
    eod_auto_debit_exchange,
    eod_batch_continue,
    eod_batch_start,
    eod_chunk_run,
    eod_nightly,
    eod_step_finish,
    eod_watchdog,
)
