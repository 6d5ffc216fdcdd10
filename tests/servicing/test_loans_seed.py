"""The demo seed: loans in every status, each with a ledger that agrees with it."""

from __future__ import annotations

import io
import re

import pytest

from autofin.seed import users as autofin_seed
from servicing.models.loans import Loan
from servicing.models.repayments import Repayment
from servicing.seed.demo import seed as servicing_seed
from servicing.seed.loans import LOANS
from servicing.seed.subsidised import subsidised_contract_fund
from servicing.selectors.ledger import trial_balance
from tests.servicing.loan_helpers import assert_ledger_matches

pytestmark = pytest.mark.django_db


def test_seed_creates_loans_in_every_status_with_consistent_ledgers():
    context: dict = {}
    out = io.StringIO()
    autofin_seed.seed(stdout=out, context=context)
    servicing_seed(stdout=out, context=context)
    statuses = set(Loan.objects.values_list("status", flat=True))
    assert statuses == {
        "active", "overdue", "restructured", "settled_early", "paid_off", "charged_off",
    }  # fmt: skip
    for loan in Loan.objects.exclude(status="charged_off"):
        assert_ledger_matches(loan)
    assert Repayment.objects.filter(status="reversed").exists()
    assert Repayment.objects.filter(status="pending_approval").exists()
    assert Repayment.objects.filter(source="suspense").exists()
    assert trial_balance().total == 0
    floating = Loan.objects.get(rate_basis="lpr")
    assert floating.lpr_spread_bps == 300 and floating.next_repricing_date is not None
    servicing_seed(stdout=out, context=context)  # a second run adds nothing
    assert Loan.objects.count() == len(LOANS)
    # one contract-number format, the one issued contracts carry (autofin.refs)
    refs = list(Loan.objects.values_list("contract_ref", flat=True))
    assert all(re.fullmatch(r"AF-\d{4}-\d{6}", ref) for ref in refs), refs


def test_the_demo_book_holds_a_funded_subsidised_zero_rate_contract(
    settings, tmp_path, monkeypatch
):
    """origination's seed signs a contract on the OEM's 0 % product; servicing's seed funds it
    through the disbursement, and the loan carries the contract's 0 % rates."""
    from decimal import Decimal

    from dealers import seed as dealers_seed
    from origination.models.contracts import Contract
    from origination.seed.payees import payees_register
    from origination.services.contracts import pdf
    from servicing.gateway.sandbox_bank import sandbox_bank_close_connections

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.SANDBOX_BANK_DIR = str(tmp_path / "bank")
    settings.DISBURSEMENT_DISPATCH = "manual"
    settings.SANDBOX_BANK_CALLBACKS = "manual"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # many users
    monkeypatch.setattr(pdf, "contract_pdf_render", lambda c: b"%PDF-1.4 demo")
    monkeypatch.setattr(pdf, "contract_signed_pdf_render", lambda c, s: b"%PDF-1.4 signed")
    context: dict = {}
    out = io.StringIO()
    from origination.seed.backoffice import seed_backoffice
    from origination.seed.products import seed_products

    for module in (autofin_seed, dealers_seed):
        module.seed(stdout=out, context=context)
    seed_products(stdout=out, context=context)
    seed_backoffice(stdout=out, context=context)
    payees_register(stdout=out, context=context)
    try:
        loan = subsidised_contract_fund(stdout=out, context=context)
    finally:
        sandbox_bank_close_connections()

    contract = Contract.objects.get(contract_ref=loan.contract_ref)
    assert contract.product_version.product.code == "oem-zero"
    assert (contract.customer_rate, contract.penalty_rate) == (Decimal("0"), Decimal("0"))
    assert (loan.customer_rate, loan.schedule_rate, loan.penalty_rate) == (
        Decimal("0"), Decimal("0"), Decimal("0")
    )  # fmt: skip
    assert loan.annual_rate == contract.lender_rate == Decimal("0.048")  # 24 months, paid by OEM
    assert loan.amount_financed == Decimal("129900.00")
    assert all(r.interest == 0 for r in loan.schedule_rows())
    assert_ledger_matches(loan)
    assert subsidised_contract_fund(stdout=out, context=context) == loan  # once
    # funding deferred the OEM's subsidy priced on the contract; the demo OEM can be invoiced
    from servicing.models.oem_claims import OemSubsidy
    from servicing.seed.subsidised import oem_agreement_seed

    subsidy = OemSubsidy.objects.get(loan=loan)
    assert subsidy.amount == contract.subsidy_amount > 0
    assert sum(p.amount for p in subsidy.periods.all()) == subsidy.amount
    oem_agreement_seed()
    subsidy.agreement.refresh_from_db()
    assert (subsidy.agreement.name, len(subsidy.agreement.taxpayer_id)) == ("星辰汽车", 18)
