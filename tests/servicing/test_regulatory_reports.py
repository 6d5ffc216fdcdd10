"""Regulatory reports: for a book made through funding, with one loan 次级 and one 可疑 by DPD and
the month's provisions posted, the NPL ratio, provision coverage and loan provision ratio computed
by hand equal the report's; balances by category, product, vehicle kind and region add up to
the book; large exposures and new business by month are the book's; every report downloads as a
CSV that opens with its definitions and is recorded for the close checklist; who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import ROUND_HALF_UP

import pytest
from django.urls import reverse

from autofin.roles import Role
from origination.models import Application
from servicing.eod.sync_driver import batch_run_sync
from servicing.models.collections import LoanDelinquency
from servicing.models.gl_mapping import RegulatoryReportFile
from servicing.models.provisions import LoanProvision
from servicing.selectors.periods import period_checklist
from servicing.selectors.regulatory import REPORTS, ratio_figures, report_table
from servicing.services.provisions.compute import provision_run_compute
from servicing.services.provisions.post import provision_run_post
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
APRIL = dt.date(2026, 4, 1)
AS_OF = dt.date(2026, 4, 19)
RATIO = D("0.0001")
_phones = itertools.count(13900007000)


@pytest.fixture(autouse=True)
def _eod_settings(settings):
    """The nightly batch runs in these tests; it must not send auto-debits to the bank."""
    settings.EOD_AUTO_DEBIT_SEND = False


def loan(**kw):
    return make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone=str(next(_phones))), **kw)


@pytest.fixture
def book(policy):
    """Four loans never paid: 可疑 (first due 2025-10-15: 187 DPD on 04-19), 次级 (first due
    2026-01-15: 95 DPD), two funded 2026-04-01 and not yet due; charge-off at 360 DPD; April's
    provisions posted."""
    policy("four_eyes.provision_post", "false")
    policy("servicing.charge_off_dpd", "360")  # a lender that charges off later keeps 可疑 loans
    loans = {
        "doubtful": loan(value_date=dt.date(2025, 9, 15), amount="60000.00"),
        "substandard": loan(value_date=dt.date(2025, 12, 15)),
        "new_a": loan(value_date=dt.date(2026, 4, 1), amount="80000.00", rate="0.072", term=24),
        "new_b": loan(value_date=dt.date(2026, 4, 1), amount="50000.00", rate="0.048", term=36),
    }
    set_day(AS_OF)
    batch = batch_run_sync(business_date=AS_OF)
    assert batch.status == "succeeded", batch.error
    run = provision_run_compute(as_of=AS_OF, actor="test")
    provision_run_post(run_id=run.pk, actor="test")
    for obj in loans.values():
        obj.refresh_from_db()
    return loans, run


def test_npl_coverage_and_provision_ratios_by_hand_equal_the_report_and_every_report_downloads(
    book, client
):
    loans, run = book
    # by hand: each loan's class from its DPD, the allowance = the ECL of each loan in the run
    assert loans["doubtful"].delinquency.classification == "doubtful"
    assert loans["substandard"].delinquency.classification == "substandard"
    assert not LoanDelinquency.objects.filter(loan_id=loans["new_a"].pk).exists()  # not due yet
    total = sum(obj.principal_outstanding for obj in loans.values())
    npl = loans["doubtful"].principal_outstanding + loans["substandard"].principal_outstanding
    allowance = sum(LoanProvision.objects.filter(run=run).values_list("ecl", flat=True), D(0))
    assert allowance == run.ecl > 0
    figures = ratio_figures(APRIL, AS_OF)
    assert (figures["loans"], figures["npl"], figures["allowance"]) == (total, npl, allowance)
    assert figures["npl_ratio"] == (npl / total).quantize(RATIO, ROUND_HALF_UP)
    assert figures["coverage"] == (allowance / npl).quantize(RATIO, ROUND_HALF_UP)
    assert figures["provision_ratio"] == (allowance / total).quantize(RATIO, ROUND_HALF_UP)
    # the same figures are the report's rows
    rows = {r[0]: r[1] for r in report_table("ratios", APRIL)["rows"]}
    assert rows["不良贷款率"] == figures["npl_ratio"]
    assert rows["拨备覆盖率"] == figures["coverage"]
    assert rows["贷款拨备率"] == figures["provision_ratio"]
    assert rows["本月减值准备"] == "已过账"
    # one book is costly to make (four loans through funding): its other reports are read here
    _balances_by_dimension_add_up_to_the_book(loans)
    _large_exposures_and_new_business(loans)
    _every_report_downloads_with_its_definitions_and_ticks_the_checklist(client)


def _balances_by_dimension_add_up_to_the_book(loans):
    table = report_table("balances", APRIL)
    total = sum(obj.principal_outstanding for obj in loans.values())
    by_dimension: dict[str, list] = {}
    for dimension, group, n, amount, _share in table["rows"][:-1]:
        by_dimension.setdefault(dimension, []).append((group, n, amount))
    assert set(by_dimension) == {"五级分类", "产品", "车辆类型", "地区（省份）"}
    for groups in by_dimension.values():  # every dimension splits the whole book
        assert sum(g[1] for g in groups) == 4 and sum(g[2] for g in groups) == total
    classes = {g[0]: (g[1], g[2]) for g in by_dimension["五级分类"]}
    assert classes == {
        "正常": (2, D("130000.00")),
        "次级": (1, loans["substandard"].principal_outstanding),
        "可疑": (1, loans["doubtful"].principal_outstanding),
    }
    assert {g[0] for g in by_dimension["地区（省份）"]} == {"直销（无经销商）"}
    assert table["rows"][-1] == ["合计", "", 4, total, D(1)]


def _large_exposures_and_new_business(loans):
    total = sum(obj.principal_outstanding for obj in loans.values())
    top = report_table("large_exposures", APRIL)["rows"]
    ranked = sorted(loans.values(), key=lambda o: (-o.principal_outstanding, o.customer_id))
    assert [r[1] for r in top] == [o.customer_id for o in ranked]
    assert top[0][3] == ranked[0].principal_outstanding
    assert top[0][4] == (ranked[0].principal_outstanding / total).quantize(RATIO, ROUND_HALF_UP)
    assert top[-1][5] == D("1.0000")
    months = {r[0]: r for r in report_table("new_business", APRIL)["rows"]}
    assert set(months) == {"2025-09", "2025-12", "2026-04"}
    april = months["2026-04"]
    a, b = loans["new_a"], loans["new_b"]
    rate = (a.amount_financed * a.customer_rate + b.amount_financed * b.customer_rate) / (
        a.amount_financed + b.amount_financed
    )
    ltvs = [Application.objects.get(pk=o.application_id).ltv for o in (a, b)]
    assert april[1:] == [
        2,
        D("130000.00"),
        rate.quantize(D("0.000001"), ROUND_HALF_UP),
        (sum(ltvs) / 2).quantize(RATIO, ROUND_HALF_UP),
        D("30.0"),
    ]


def _every_report_downloads_with_its_definitions_and_ticks_the_checklist(client):
    finance = UserFactory(roles=[Role.FINANCE_OPERATOR])
    client.force_login(finance)
    assert not next(c for c in period_checklist(APRIL) if c.code == "regulatory_reports").passed
    for code, report in REPORTS.items():
        response = client.get(reverse("servicing:regulatory_report_csv", args=[2026, 4, code]))
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        lines = list(csv.reader(io.StringIO(body)))
        assert lines[0] == [str(report.title)]
        assert lines[2] == ["口径说明"]
        assert lines[3][0].startswith("口径日：2026-04-19")
        assert [line[0] for line in lines[4 : 4 + len(report.definitions)]] == [
            str(d) for d in report.definitions
        ]
        assert lines[5 + len(report.definitions)] == report.header()
    assert RegulatoryReportFile.objects.filter(month=APRIL).count() == len(REPORTS)
    assert next(c for c in period_checklist(APRIL) if c.code == "regulatory_reports").passed
    page = client.get(reverse("servicing:regulatory_reports_month", args=[2026, 4]))
    assert page.status_code == 200 and "拨备覆盖率" in page.content.decode()


def test_who_may_see_the_reports(client):
    url = reverse("servicing:regulatory_reports_month", args=[2026, 4])
    for role, status in (
        (Role.COMPLIANCE_OFFICER, 200),
        (Role.AUDITOR, 200),
        (Role.FINANCE_APPROVER, 200),
        (Role.SERVICING_AGENT, 403),
        (Role.CUSTOMER, 403),
    ):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(url).status_code == status, role
    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    csv_url = reverse("servicing:regulatory_report_csv", args=[2026, 4, "ratios"])
    assert client.get(csv_url).status_code == 403
    assert not RegulatoryReportFile.objects.exists()
