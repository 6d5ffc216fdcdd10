"""When each periodic task runs (Celery beat), and why; settings.py hands it to Celery as
CELERY_BEAT_SCHEDULE. Times are Beijing time (CELERY_TIMEZONE)."""

from celery.schedules import crontab

SCHEDULE: dict = {
    # Messages held back for Beijing contact hours (08:00–21:00) go out when the window opens.
    "notifications-release-due": {
        "task": "autofin.tasks.notifications_release_due",
        "schedule": 300.0,
    },
    # The nightly settlement: 00:30 Beijing, catching up to yesterday; its watchdog
    # re-dispatches stale chunks every minute.
    "eod-nightly": {
        "task": "servicing.tasks.eod.eod_nightly",
        "schedule": crontab(hour=0, minute=30),
    },
    "eod-watchdog": {"task": "servicing.tasks.eod.eod_watchdog", "schedule": 60.0},
    # Payments whose bank answer is overdue are asked about by key (never re-sent blind).
    "disbursement-recover": {
        "task": "servicing.tasks.disbursement.disbursement_recover",
        "schedule": 60.0,
    },
    # The bank's statement of the previous day, reconciled at 06:00 Beijing.
    "disbursement-reconcile": {
        "task": "servicing.tasks.disbursement.reconciliation_daily",
        "schedule": crontab(hour=6, minute=0),
    },
    "security-log-prune": {
        "task": "autofin.tasks.security_log_prune",
        "schedule": crontab(hour=3, minute=15),
    },
    # Commission payouts whose bank answer is overdue are asked about by key, as disbursements are.
    "commission-payouts-recover": {
        "task": "servicing.tasks.commissions.commission_payouts_recover",
        "schedule": 60.0,
    },
    # Anti-money laundering: the whole book is screened again each night when a watch list changed
    # (risk.services.screening.watch_list_rescreen does nothing otherwise).
    "aml-watch-list-rescreen": {
        "task": "risk.tasks.watch_list_rescreen_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    # Released dealer deposit refunds are asked about by key, as commission payouts are.
    "deposit-refunds-recover": {
        "task": "servicing.tasks.deposits.deposit_refunds_recover",
        "schedule": 300.0,
    },
    # Released repossession payments (vendors' costs, customers' surpluses), likewise.
    "repossession-payments-recover": {
        "task": "servicing.tasks.repossession.repossession_payments_recover",
        "schedule": 300.0,
    },
    # Released floor-plan advances with an overdue bank answer are asked about by key.
    "floorplan-advances-recover": {
        "task": "servicing.tasks.floorplan.floorplan_advances_recover",
        "schedule": 300.0,
    },
    # --- marketing: scheduled campaigns launch when their start time has come
    "marketing-campaigns-launch-due": {
        "task": "servicing.tasks.marketing.campaigns_launch_due",
        "schedule": 300.0,
    },
    # --- integrate: released insurer remittances (premiums paid on), asked about by key
    "insurer-remittances-recover": {
        "task": "servicing.tasks.insurance.insurer_remittances_recover",
        "schedule": 300.0,
    },
    # partition: the journal lines' month partitions LEDGER_PARTITION_MONTHS_AHEAD ahead, on
    # the 1st at 02:00 Beijing (after the batch; idempotent, so a missed month catches up).
    "ledger-partitions-ensure": {
        "task": "servicing.tasks.ledger.ledger_partitions_ensure",
        "schedule": crontab(day_of_month=1, hour=2, minute=0),
    },
}
