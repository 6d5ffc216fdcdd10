"""The nightly steps, one module each; importing this package registers them in order."""

from servicing.eod.steps import (  # noqa: F401 - registration by import
    accrual,
    aml_monitoring,
    auto_debit,
    checks,
    collections,
    court_lists,
    credit_reporting,
    dealer_metrics,
    delinquency,
    due,
    early_warning,
    floorplan,
    gl_summary,
    oem_claims,
    oem_subsidy,
    provisions,
    reconciliation,
    reminders,
    repricing,
    snapshot,
)
