"""OEM subsidy claims (厂商贴息索赔): the month-end claim per OEM with a line per contract, sent
through the sandbox OEM (a VIN ending in 7 is disputed at 90 %), one disputed line resolved by
accepting the OEM's figure and one by resubmitting, the lender's 6 % 贷款服务 invoice, receipts
clearing the receivable; a non-subsidised contract refused; the month-end step idempotent.

Two subsidised loans of ¥30,000 (oem_support): each first period's subsidy is 148.51."""

from __future__ import annotations

import datetime as dt

import pytest

from dealers.seed import uscc_make
from servicing.eod.registry import StepContext
from servicing.eod.steps.oem_claims import oem_claims_step
from servicing.eod.sync_driver import batch_run_sync
from servicing.models import JournalEntry
from servicing.models.invoices import Invoice
from servicing.models.oem_claims import OemAgreement, OemClaim, OemClaimLine, OemClaimReceipt
from servicing.selectors.ledger import account_balance, trial_balance
from servicing.selectors.periods import month_start, period_checklist, vat_report_for
from servicing.services.oem.claims import (
    oem_claim_line_accept,
    oem_claim_line_resubmit,
    oem_claim_receipt_record,
    oem_claim_send,
    oem_claims_generate,
)
from servicing.services.oem.subsidy import OemError
from tests.servicing.loan_factory import loan_through_funding
from tests.servicing.loan_helpers import set_day
from tests.servicing.oem_support import ZERO, D, books_agree, recognise, subsidised_loan

pytestmark = pytest.mark.django_db

FEB_END = dt.date(2026, 2, 28)
OEM_ID = uscc_make("310000", 4242)


def _month_claim(*vins: str) -> tuple[OemClaim, list]:
    loans = [subsidised_loan(vin=vin) for vin in vins]
    OemAgreement.objects.filter(name="星辰汽车").update(taxpayer_id=OEM_ID)
    recognise(dt.date(2026, 1, 15), FEB_END, loans)
    set_day(FEB_END)
    ctx = StepContext(business_date=FEB_END, batch_id=0, step_id=0)
    assert oem_claims_step(ctx, 0, 0) == {
        "month_end": 1, "claims": 1, "lines": len(loans), "amount": str(D("148.51") * len(loans)),
    }  # fmt: skip
    return OemClaim.objects.get(), loans


def test_a_months_claim_with_disputed_lines_resolved_invoiced_and_paid():
    claim, loans = _month_claim("LSVAA0000000001A1", "LSVAA0000000002B7", "LSVAA0000000003C7")
    assert [(x.contract_ref, x.vin, x.customer_rate, x.lender_rate, x.amount) for x in
            claim.lines.order_by("loan_id")] == [
        (loan.contract_ref, loan.vin, D("0"), D("0.06"), D("148.51")) for loan in loans
    ]  # fmt: skip
    assert (claim.total, claim.status) == (D("445.53"), "draft")
    # each loan earned 148.51 + 99.26 x 13 / 28 = 194.60 of 297.52; 149.01 each still unclaimed
    assert books_agree() == {
        "deferred": D("308.76"), "unbilled": D("447.03"), "receivable": D("445.53"),
    }  # fmt: skip

    set_day(dt.date(2026, 3, 2))
    oem_claim_send(claim_id=claim.pk, on=dt.date(2026, 3, 2), actor="finance")
    claim.refresh_from_db()
    lines = {x.vin[-1]: x for x in OemClaimLine.objects.filter(claim=claim).order_by("loan_id")}
    assert claim.status == "partly_disputed"
    disputed = [x for x in claim.lines.order_by("loan_id") if x.status == "disputed"]
    assert [(x.oem_amount, x.dispute_reason) for x in disputed] == [
        (D("133.66"), "贴息期限与协议不符")
    ] * 2  # 148.51 x 0.9 = 133.659 -> 133.66
    assert not Invoice.objects.exists()  # no invoice while a line is disputed
    assert lines["1"].status == "confirmed"

    # one accepted at the OEM's figure: 14.85 written down, exactly
    oem_claim_line_accept(line_id=disputed[0].pk, on=dt.date(2026, 3, 2), actor="finance")
    claim.refresh_from_db()
    assert (claim.written_down, claim.status) == (D("14.85"), "partly_disputed")
    # the other resubmitted: the sandbox OEM confirms it the second time
    oem_claim_line_resubmit(line_id=disputed[1].pk, on=dt.date(2026, 3, 2), actor="finance")
    claim.refresh_from_db()
    assert claim.status == "confirmed"
    assert books_agree()["receivable"] == D("430.68")

    invoice = Invoice.objects.get(source_type="oem_claim", source_id=str(claim.pk))
    # 430.68 x 6 / 106 = 24.378 -> 24.38
    assert (invoice.total, invoice.tax, invoice.amount, invoice.rate) == (
        D("430.68"), D("24.38"), D("406.30"), D("0.0600"),
    )  # fmt: skip
    assert (invoice.buyer_name, invoice.buyer_taxpayer_id, invoice.item_name) == (
        "星辰汽车", OEM_ID, "*贷款服务*贴息收入",
    )  # fmt: skip
    assert account_balance(account_code="vat_output") == D("24.38")
    # the month's VAT report for the period close: the invoices' tax is what vat_output moved by
    vat = vat_report_for(month_start(invoice.issued_on))
    assert (vat.invoices, vat.invoiced_tax, vat.ledger_tax) == (1, D("24.38"), D("24.38"))
    item = next(
        i for i in period_checklist(month_start(invoice.issued_on)) if i.code == "vat_report"
    )
    assert item.passed
    # earned 3 x 194.60 = 583.80 through February, less 14.85 written down and 24.38 of tax
    assert account_balance(account_code="oem_subsidy_income") == D("544.57")

    oem_claim_receipt_record(claim_id=claim.pk, amount="400.00", bank_ref="B-1",
                             on=dt.date(2026, 3, 20), actor="finance")  # fmt: skip
    claim.refresh_from_db()
    assert (claim.outstanding, claim.status) == (D("30.68"), "confirmed")
    assert books_agree()["receivable"] == D("30.68")
    with pytest.raises(OemError, match="不超过未回款金额"):
        oem_claim_receipt_record(claim_id=claim.pk, amount="30.69", bank_ref="B-2",
                                 on=dt.date(2026, 3, 21), actor="finance")  # fmt: skip
    assert not OemClaimReceipt.objects.filter(bank_ref="B-2").exists()
    oem_claim_receipt_record(claim_id=claim.pk, amount="30.68", bank_ref="B-3",
                             on=dt.date(2026, 3, 21), actor="finance")  # fmt: skip
    claim.refresh_from_db()
    assert (claim.outstanding, claim.status) == (ZERO, "paid")
    assert books_agree()["receivable"] == ZERO
    assert trial_balance().total == 0


def test_rerunning_the_month_end_step_writes_nothing_twice():
    claim, _loans = _month_claim("LSVAA0000000004D1")
    counts = (JournalEntry.objects.count(), OemClaimLine.objects.count())
    ctx = StepContext(business_date=FEB_END, batch_id=0, step_id=1)
    assert oem_claims_step(ctx, 0, 0) == {"month_end": 1, "claims": 0, "lines": 0, "amount": "0.00"}
    assert (JournalEntry.objects.count(), OemClaimLine.objects.count()) == counts
    claim.refresh_from_db()
    assert claim.total == D("148.51")
    # not a month end: nothing
    ctx = StepContext(business_date=dt.date(2026, 2, 27), batch_id=0, step_id=2)
    assert oem_claims_step(ctx, 0, 0) == {"month_end": 0}


def test_a_claim_for_a_non_subsidised_contract_is_refused_and_nothing_written():
    subsidised = subsidised_loan()
    plain = loan_through_funding(amount="30000.00", rate="0.06", term=3, fee="0.00")
    recognise(dt.date(2026, 1, 15), FEB_END, [subsidised])
    set_day(FEB_END)
    entries = JournalEntry.objects.count()
    with pytest.raises(OemError) as refused:
        oem_claims_generate(on=FEB_END, actor="finance", loan_ids=[subsidised.pk, plain.pk])
    assert str(refused.value) == (
        f"合同 {plain.contract_ref} 没有厂商贴息，不能向厂商索赔；索赔未生成。"
    )
    assert not OemClaim.objects.exists() and not OemClaimLine.objects.exists()
    assert JournalEntry.objects.count() == entries
    books_agree()


def test_a_claim_cannot_be_invoiced_to_an_oem_without_a_valid_taxpayer_id():
    loan = subsidised_loan(vin="LSVAA0000000005E1")
    recognise(dt.date(2026, 1, 15), FEB_END, [loan])
    set_day(FEB_END)
    oem_claims_generate(on=FEB_END, actor="eod")
    claim = OemClaim.objects.get()
    OemAgreement.objects.filter(pk=claim.agreement_id).update(taxpayer_id="91310000MA1FL00001")
    entries = JournalEntry.objects.count()
    with pytest.raises(Exception, match="不是有效的统一社会信用代码"):
        oem_claim_send(claim_id=claim.pk, on=dt.date(2026, 3, 2), actor="finance")
    claim.refresh_from_db()
    assert claim.status == "draft"
    assert not Invoice.objects.exists()
    assert JournalEntry.objects.count() == entries


def test_the_nightly_batch_recognises_and_claims_at_month_end():
    loan = subsidised_loan(vin="LSVAA0000000006F1")
    set_day(FEB_END)
    batch = batch_run_sync(business_date=FEB_END)
    assert batch.status == "succeeded"
    steps = dict(batch.steps.values_list("code", "result"))
    assert steps["oem_subsidy"]["recognised"] == "194.60"  # 148.51 + 99.26 x 13 / 28
    assert steps["oem_claims"] == {"month_end": 1, "claims": 1, "lines": 1, "amount": "148.51"}
    assert OemClaim.objects.get().lines.get().loan_id == loan.pk
    assert books_agree() == {
        "deferred": D("102.92"),
        "unbilled": D("149.01"),
        "receivable": D("148.51"),
    }
    assert trial_balance().total == 0
