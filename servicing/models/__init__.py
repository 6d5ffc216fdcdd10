"""servicing's models, one module per area; import them from here (`from servicing.models import X`)."""

from servicing.models.ledger import (
    AccountCode,
    AccountType,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    Side,
    SourceType,
)

__all__ = [
    "AccountCode",
    "AccountType",
    "JournalEntry",
    "JournalLine",
    "LedgerAccount",
    "Side",
    "SourceType",
]
from servicing.models.aml import *  # noqa: E402,F403 - anti-money laundering alerts (r-aml)
from servicing.models.collateral_checks import *  # noqa: E402,F403 - monthly book checks: phone, bureau, revaluation (reval)
from servicing.models.collections import *  # noqa: E402,F403 - delinquency, snapshots, collections (eod)
from servicing.models.commission_payouts import *  # noqa: E402,F403 - dealer commission payouts
from servicing.models.credit_reporting import *  # noqa: E402,F403 - credit reporting out (征信报送)
from servicing.models.customers import *  # noqa: E402,F403 - the customer lifecycle: consent, complaints, offers, campaigns
from servicing.models.deposits import *  # noqa: E402,F403 - dealer deposits (保证金)
from servicing.models.disbursement import *  # noqa: E402,F403 - disbursement, payees, bank, reconciliation
from servicing.models.eod import *  # noqa: E402,F403 - nightly settlement runs (eod)
from servicing.models.floorplan import *  # noqa: E402,F403 - floor-plan advances, curtailments, audits
from servicing.models.gl_mapping import *  # noqa: E402,F403 - product → GL mapping, regulatory report files (gl)
from servicing.models.insurance import *  # noqa: E402,F403 - insurance renewals and agency commission (insurance)
from servicing.models.invoices import *  # noqa: E402,F403 - e-fapiao and the dated VAT rates (oem)
from servicing.models.lease_end import *  # noqa: E402,F403 - lease end of term: title transfer, returns (eot)
from servicing.models.lease_invoices import *  # noqa: E402,F403 - lease invoice lines and refusals (lease)
from servicing.models.leases import *  # noqa: E402,F403 - financing leases: the asset register, insurance policies
from servicing.models.loans import *  # noqa: E402,F403 - loans, schedules, quotes (loans engineer)  # noqa: E402,F403 - loans, schedules, quotes (loans engineer)
from servicing.models.marketing import *  # noqa: E402,F403 - segments, campaigns, response history, customer facts
from servicing.models.nbo import *  # noqa: E402,F403 - the next-best-offer model's training runs (nbo)
from servicing.models.oem_claims import *  # noqa: E402,F403 - OEM subsidies and claims (oem)
from servicing.models.outgoing import *  # noqa: E402,F403 - outgoing bank payments' shared states
from servicing.models.periods import *  # noqa: E402,F403 - accounting periods and month-end close (r-close)  # noqa: E402,F403 - accounting periods and month-end close (r-close)
from servicing.models.provisions import *  # noqa: E402,F403 - expected credit loss (month-end provision run)  # noqa: E402,F403 - expected credit loss (month-end provision run)
from servicing.models.repayments import *  # noqa: E402,F403 - repayments, payments, auto-debit  # noqa: E402,F403 - repayments, payments, auto-debit
from servicing.models.repossession import *  # noqa: E402,F403 - repossession, remarketing, legal cases (repo)
from servicing.models.repurchases import *  # noqa: E402,F403 - dealer recourse / buy-back (rec)
from servicing.models.stock_audits import *  # noqa: E402,F403 - floor-plan stock audits (盘库)
from servicing.models.surveys import *  # noqa: E402,F403 - satisfaction surveys (complaints)
from servicing.models.telematics import *  # noqa: E402,F403 - GPS positions and events, early-warning actions (tele)
