"""servicing's Django admin, one module per area: `ledger` (accounts, journal, the nightly
reconciliation's findings), `loans` (loans, repayments, alerts, reversals), `disbursement`
(disbursements, payees, bank reconciliation), `aml` (anti-money-laundering alerts). All read-only (`readonly.ReadOnlyAdmin`)."""

# Django's admin autodiscovery imports `servicing.admin` only: importing the area modules here is
# what registers their ModelAdmins.
from servicing.admin import aml, disbursement, ledger, loans  # noqa: F401
