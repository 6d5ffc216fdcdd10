"""Expected credit loss: a loan through 0 → 35 → 95 DPD → charged off moves stage 1 → 2 → 3, its
allowance posts each month and is used at charge-off, the roll-forward balances against the
ledger, a re-run posts nothing twice; the NPL, coverage and provision ratios of a small book
computed by hand equal the report's. The figures are worked by hand from the decision's formulas
(docs/decisions/0012-expected-credit-loss.md) with the policy's initial parameters."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.urls import reverse

from autofin.approvals import FourEyesRequired, approval_request_approve
from autofin.models import ApprovalRequest
from autofin.roles import Role
from servicing import loan_rules
from servicing.eod.sync_driver import batch_run_sync
from servicing.models import JournalEntry, JournalLine
from servicing.models.disbursement import Disbursement
from servicing.models.provisions import LoanProvision, ProvisionRun
from servicing.selectors.ledger import account_balance, loan_balances, trial_balance
from servicing.selectors.provisions import provision_report
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.provisions.approval import provision_post_submit
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.post import provision_run_post
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
_phones = itertools.count(13900005000)
FEN, SIX, RATIO = D("0.01"), D("0.000001"), D("0.0001")
OVERLAY = D("1.050000")  # 0.60 × 1.00 + 0.20 × 0.85 + 0.20 × 1.40
FALLBACK = {"A": D("0.005"), "B": D("0.010"), "C": D("0.020"), "D": D("0.040")}
STAGE2_PD12 = D("0.300")


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    # Autouse: every test here runs nightly batches, which must not send an auto-debit file to
    # the sandbox bank (no test here is about collection by debit).
    settings.EOD_AUTO_DEBIT_SEND = False


def loan(**kw):
    customer = UserFactory(roles=[Role.CUSTOMER], phone=str(next(_phones)))
    return make_loan(customer=customer, **kw)


def close(day: dt.date) -> None:
    set_day(day)
    batch = batch_run_sync(business_date=day)
    assert batch.status == "succeeded", batch.error


def lgd_of(loan_obj) -> Decimal:
    """LGD by hand: max(floor, 1 − (1 − haircut) / LTV), LTV = financed / vehicle price."""
    price = D(str(Disbursement.objects.get(loan_id=loan_obj.pk).contract_facts["vehicle_price"]))
    raw = (1 - (1 - D("0.40")) * price / loan_obj.amount_financed).quantize(SIX, ROUND_HALF_UP)
    return max(D("0.10"), min(D("1"), raw))


def tier_of(loan_obj) -> str:
    return Disbursement.objects.get(loan_id=loan_obj.pk).contract_facts["tier"]


def pd_of(pd12: Decimal, months: int) -> Decimal:
    return min(D(1), (OVERLAY * (1 - (1 - pd12) ** (D(months) / 12))).quantize(SIX, ROUND_HALF_UP))


def ecl(pd: Decimal, lgd: Decimal, ead: Decimal) -> Decimal:
    return (pd * lgd * ead).quantize(FEN, rounding=ROUND_HALF_UP)


def allowance() -> Decimal:
    return account_balance(account_code="loan_loss_allowance")


def provision_entries() -> int:
    return JournalEntry.objects.filter(source_type="provision").count()


def stage(dpd: int, restructured: bool, warning: str) -> int:
    """The generated stage SQL, run on PostgreSQL."""
    sql = loan_rules.ecl_stage_sql(
        dpd="%(dpd)s::int", restructured="%(r)s::boolean", warning_level="%(w)s::text"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", {"dpd": dpd, "r": restructured, "w": warning})
        return cursor.fetchone()[0]


def test_stage_rule_boundaries():
    # 30 DPD is still stage 1 (关注 starts at 1 DPD); 31 is stage 2; 次级 (91) is stage 3
    assert stage(30, False, "medium") == 1
    assert stage(31, False, "none") == 2
    assert stage(0, True, "none") == 2
    assert stage(0, False, "high") == 2
    assert stage(90, False, "none") == 2
    assert stage(91, False, "none") == 3


def test_journey_0_35_95_dpd_then_charge_off_uses_the_allowance(policy):
    policy("four_eyes.provision_post", "false")
    a = loan(value_date=dt.date(2025, 12, 15))  # 12 × 6 %, first due 2026-01-15, never paid
    lgd, tier = lgd_of(a), tier_of(a)
    ead = a.principal_outstanding
    assert ead == D("120000.00")
    actor = UserFactory(roles=[Role.FINANCE_OPERATOR])

    # December's month end: 0 DPD, stage 1, 12 months left -> 12-month PD
    close(dt.date(2025, 12, 31))
    dec = ProvisionRun.objects.get(month=dt.date(2025, 12, 1))  # computed by the batch step
    row = LoanProvision.objects.get(run=dec, loan_id=a.pk)
    ecl1 = ecl(pd_of(FALLBACK[tier], 12), lgd, ead)
    assert (row.stage, row.pd, row.lgd, row.ecl) == (1, pd_of(FALLBACK[tier], 12), lgd, ecl1)
    provision_run_post(run_id=dec.pk, actor=actor)
    assert allowance() == ecl1
    assert loan_balances(loan_id=a.pk).get("loan_loss_allowance") is None  # posted in total

    # 2026-02-18 closed: DPD 35 (02-19 − 01-15) -> stage 2, lifetime PD over 10 months left
    close(dt.date(2026, 2, 18))
    feb = provision_run_compute(as_of=dt.date(2026, 2, 18), actor=actor)
    row = LoanProvision.objects.get(run=feb, loan_id=a.pk)
    ecl2 = ecl(pd_of(STAGE2_PD12, 10), lgd, ead)
    assert (row.stage, row.dpd, row.remaining_months, row.ecl) == (2, 35, 10, ecl2)
    provision_run_post(run_id=feb.pk, actor=actor)
    feb.refresh_from_db()
    assert (feb.opening, feb.transfers, feb.new_loans, feb.movement) == (
        ecl1,
        ecl2 - ecl1,
        0,
        ecl2 - ecl1,
    )
    assert allowance() == ecl2

    # 2026-04-19 closed: DPD 95 -> 次级, stage 3, PD 1; stage-3 interest on the net amount
    close(dt.date(2026, 4, 19))
    apr = provision_run_compute(as_of=dt.date(2026, 4, 19), actor=actor)
    row = LoanProvision.objects.get(run=apr, loan_id=a.pk)
    ecl3 = ecl(D(1), lgd, ead)
    net = ((ead - ecl3) * a.schedule_rate / 12).quantize(FEN, rounding=ROUND_HALF_UP)
    assert (row.stage, row.dpd, row.classification, row.ecl, row.net_interest) == (
        3, 95, "substandard", ecl3, net)  # fmt: skip
    provision_run_post(run_id=apr.pk, actor=actor)
    report = provision_report(apr)
    assert report["matrix"]["rows"][1]["cells"][2]["count"] == 1  # stage 2 -> stage 3
    assert report["roll_difference"] == 0
    assert allowance() == ecl3
    entries = provision_entries()

    # re-running April posts nothing twice; recomputing a posted month changes nothing
    assert provision_run_compute(as_of=dt.date(2026, 4, 19), actor=actor).ecl == ecl3
    provision_run_post(run_id=apr.pk, actor=actor)
    assert provision_entries() == entries and allowance() == ecl3

    # charge-off: Dr allowance (the provided part) / Cr principal; the rest to expense
    before = loan_balances(loan_id=a.pk)
    loan_charge_off(loan_id=a.pk, actor=actor, reason="核销测试")
    entry = JournalEntry.objects.get(idempotency_key=f"charge-off:{a.pk}")
    lines = {
        (ln.account.code, ln.side): ln.amount for ln in JournalLine.objects.filter(entry=entry)
    }
    receivables = sum(
        before[c] for c in ("principal_receivable", "interest_receivable", "fee_receivable",
                            "penalty_receivable") if before.get(c))  # fmt: skip
    assert lines[("loan_loss_allowance", "D")] == ecl3
    assert lines[("principal_receivable", "C")] == D("120000.00")
    assert lines[("charge_off_expense", "D")] == receivables - ecl3
    assert allowance() == 0

    # May: the loan is derecognised; the roll-forward shows the write-off, and nothing to post
    close(dt.date(2026, 5, 31))
    may = ProvisionRun.objects.get(month=dt.date(2026, 5, 1))
    provision_run_post(run_id=may.pk, actor=actor)
    may.refresh_from_db()
    assert (may.opening, may.written_off, may.derecognised, may.ecl, may.movement) == (
        ecl3, ecl3, 0, 0, 0)  # fmt: skip
    assert provision_entries() == entries
    assert provision_report(may)["roll_difference"] == 0
    assert trial_balance().total == 0


def test_posting_is_maker_checked_and_refused_alone(policy):
    a = loan(value_date=dt.date(2025, 12, 15))
    close(dt.date(2025, 12, 31))
    run = ProvisionRun.objects.get(month=dt.date(2025, 12, 1))
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    # the executor alone is refused while four eyes is on: nothing posted
    with pytest.raises(FourEyesRequired):
        provision_run_post(run_id=run.pk, actor=maker)
    submission = provision_post_submit(run_id=run.pk, actor=maker)
    run.refresh_from_db()
    assert submission.pending and run.status == "computed" and provision_entries() == 0
    approval_request_approve(request_id=submission.request.pk, checker=checker)
    run.refresh_from_db()
    assert run.status == "posted" and allowance() == run.ecl > 0
    assert LoanProvision.objects.filter(run=run, loan_id=a.pk).exists()


def test_npl_and_coverage_ratios_by_hand_equal_the_report():
    # a book of three: one loan 95 DPD (次级), two funded on 2026-04-01 and not yet due
    bad = loan(value_date=dt.date(2025, 12, 15))
    good = [loan(value_date=dt.date(2026, 4, 1), amount="80000.00"),
            loan(value_date=dt.date(2026, 4, 1), amount="50000.00")]  # fmt: skip
    close(dt.date(2026, 4, 19))
    run = provision_run_compute(as_of=dt.date(2026, 4, 19), actor="test")
    # by hand: NPL = the 次级 loan's principal; ECL per the formulas
    npl = D("120000.00")
    total = npl + D("80000.00") + D("50000.00")
    ecls = [ecl(D(1), lgd_of(bad), npl)]
    for g in good:  # 12 months, none elapsed: 12-month PD of the tier's fallback
        ecls.append(ecl(pd_of(FALLBACK[tier_of(g)], 12), lgd_of(g), g.principal_outstanding))
    allowance_total = sum(ecls)
    report = provision_report(run)
    assert run.ecl == allowance_total and run.ead == total
    assert report["npl"] == npl
    assert report["npl_ratio"] == (npl / total).quantize(RATIO, ROUND_HALF_UP) == D("0.4800")
    assert report["coverage"] == (allowance_total / npl).quantize(RATIO, ROUND_HALF_UP)
    assert report["provision_ratio"] == (allowance_total / total).quantize(RATIO, ROUND_HALF_UP)
    assert report["general_reserve"] == (total * D("0.015")).quantize(FEN, ROUND_HALF_UP)
    # the floors: coverage under 150 % raises its alert; the provision ratio's follows its figure
    assert report["coverage_alert"] is (report["coverage"] < D("1.50"))
    assert report["provision_ratio_alert"] is (report["provision_ratio"] < D("0.025"))


def test_who_may_see_compute_and_post(client):
    a = loan(value_date=dt.date(2025, 12, 15))
    close(dt.date(2025, 12, 31))
    run = ProvisionRun.objects.get(month=dt.date(2025, 12, 1))
    # a collector may not see the report; a risk analyst sees it but may not compute or post
    client.force_login(UserFactory(roles=[Role.COLLECTOR]))
    assert client.get(reverse("servicing:provisions")).status_code == 403
    client.force_login(UserFactory(roles=[Role.RISK_ANALYST]))
    page = client.get(reverse("servicing:provisions"))
    assert page.status_code == 200 and "提交过账" not in page.content.decode()
    for url in (reverse("servicing:provisions_compute"),
                reverse("servicing:provisions_post", kwargs={"run_id": run.pk})):  # fmt: skip
        assert client.post(url, {"token": "k" * 32}).status_code == 403
    run.refresh_from_db()
    assert run.status == "computed" and provision_entries() == 0 and allowance() == 0
    assert ApprovalRequest.objects.count() == 0
    assert LoanProvision.objects.filter(run=run, loan_id=a.pk).count() == 1
