"""servicing's demo data, step by step (`manage.py seed_demo` runs it after origination's, which registers the payees):
the demo loans in every status with their histories, a few funded leases with their assets, the funding of origination's subsidised
0 % contract through the real disbursement, the demo loans' commissions and their dealer's
monthly KPIs, the dealers' commissions on the books and paid, their deposits' opening
balances, the compliance queue's demo cases, last month's credit-reporting feed,
two dealers' floor-plan lines,
the next-best-offer model's past campaigns, trained once, and issue 21's consents, complaints,
segments, a campaign, a maintenance offer and a policy renewing (servicing.seed.lifecycle)."""

from __future__ import annotations

from servicing.seed.book import book_commissions_seed
from servicing.seed.commissions import commissions_seed
from servicing.seed.compliance import compliance_seed
from servicing.seed.credit_reporting import credit_reporting_seed
from servicing.seed.deposits import deposits_seed
from servicing.seed.floorplan import floorplan_seed
from servicing.seed.leases import leases_seed
from servicing.seed.lifecycle import lifecycle_seed
from servicing.seed.loans import loans_seed
from servicing.seed.nbo import nbo_seed
from servicing.seed.subsidised import oem_agreement_seed, subsidised_contract_fund


def seed(*, stdout, context: dict) -> None:
    loans_seed(stdout=stdout, context=context)
    leases_seed(stdout=stdout, context=context)
    subsidised_contract_fund(stdout=stdout, context=context)
    oem_agreement_seed()
    book_commissions_seed(stdout=stdout, context=context)
    commissions_seed(stdout=stdout, context=context)
    deposits_seed(stdout=stdout, context=context)
    compliance_seed(stdout=stdout, context=context)
    credit_reporting_seed(stdout=stdout, context=context)
    floorplan_seed(stdout=stdout, context=context)
    nbo_seed(stdout=stdout, context=context)
    lifecycle_seed(stdout=stdout, context=context)
