"""Product → GL mapping: a row maps a role (the chart account a line is posted to) for one
product to a GL account from a date, maker-checked (the maker cannot approve; the database
refuses an active row approved by its maker and a GL account of another kind than its role);
the period's GL extract and GL trial balance read each line through it, the most specific row
in force on the line's date winning, the fixed chart otherwise; posting is not touched."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from autofin.models import AuditEntry
from autofin.roles import Role
from servicing.models import JournalLine, LedgerAccount
from servicing.models.gl_mapping import GlMapping, GlMappingStatus
from servicing.selectors.gl_mapping import gl_extract_lines, gl_trial_balance
from servicing.services.gl_mapping import GlMappingError, gl_mapping_decide, gl_mapping_submit
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
VALUE = dt.date(2026, 1, 15)


@pytest.fixture
def nev_accounts():
    # a GL account is registered as a chart row (a migration in production, see decision 0013)
    principal = LedgerAccount.objects.create(
        code="principal_receivable_p1", name="应收贷款本金—产品一", account_type="asset",
        normal_side="D", sort_order=11,
    )  # fmt: skip
    income = LedgerAccount.objects.create(
        code="interest_income_new", name="利息收入—新车", account_type="income",
        normal_side="C", sort_order=201,
    )  # fmt: skip
    return principal, income


def _active(role, account, actor, checker, **kw) -> GlMapping:
    m = gl_mapping_submit(role=role, account=account, reason="按产品核算", actor=actor, **kw)
    return gl_mapping_decide(mapping_id=m.pk, approve=True, actor=checker)


def test_maker_checker_and_the_kind_of_account_are_held(nev_accounts):
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    with pytest.raises(GlMappingError, match="无权"):
        gl_mapping_submit(role="principal_receivable", account="principal_receivable_p1",
                          effective_from=VALUE, reason="x", actor=agent)  # fmt: skip
    with pytest.raises(GlMappingError, match="类别和余额方向"):
        gl_mapping_submit(role="principal_receivable", account="interest_income_new",
                          effective_from=VALUE, reason="x", actor=maker)  # fmt: skip
    assert not GlMapping.objects.exists()
    m = gl_mapping_submit(role="principal_receivable", account="principal_receivable_p1",
                          effective_from=VALUE, reason="x", actor=maker, product_code="p1")  # fmt: skip
    with pytest.raises(GlMappingError, match="无权"):  # the operator is not a checker
        gl_mapping_decide(mapping_id=m.pk, approve=True, actor=maker)
    both = UserFactory(roles=[Role.FINANCE_APPROVER])
    own = gl_mapping_submit(role="interest_income", account="interest_income_new",
                            effective_from=VALUE, reason="x", actor=both)  # fmt: skip
    with pytest.raises(GlMappingError, match="不能复核自己"):
        gl_mapping_decide(mapping_id=own.pk, approve=True, actor=both)
    assert GlMapping.objects.filter(status=GlMappingStatus.PENDING).count() == 2
    # the database holds both rules whoever writes
    with pytest.raises(IntegrityError), transaction.atomic():
        GlMapping.objects.filter(pk=own.pk).update(status="active", approved_by=both)
    with pytest.raises(IntegrityError), transaction.atomic():
        GlMapping.objects.filter(pk=m.pk).update(
            account=LedgerAccount.objects.get(code="interest_income_new")
        )
    gl_mapping_decide(mapping_id=m.pk, approve=True, actor=checker)
    m.refresh_from_db()
    assert (m.status, m.approved_by) == (GlMappingStatus.ACTIVE, checker)
    assert (
        AuditEntry.objects.filter(action__in=["gl_mapping_submit", "gl_mapping_approve"]).count()
        == 3
    )


def test_the_gl_reads_lines_through_the_mapping_in_force_on_their_date(nev_accounts, client):
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13900009001")
    loan = make_loan(customer=customer, value_date=VALUE)
    product = loan.product_rules["product_code"]
    kind = loan.product_rules["vehicle_kind"]
    set_day(dt.date(2026, 1, 20))
    # the product's principal from the value date; the product line's interest only from Feb
    _active("principal_receivable", "principal_receivable_p1", maker, checker,
            effective_from=VALUE, product_code=product)  # fmt: skip
    _active("interest_income", "interest_income_new", maker, checker,
            effective_from=dt.date(2026, 2, 1), vehicle_kind=kind)  # fmt: skip
    # a row for all products is less specific than the product's own: it loses for this loan
    _active("principal_receivable", "principal_receivable", maker, checker,
            effective_from=dt.date(2026, 1, 16))  # fmt: skip
    jan = list(gl_extract_lines(dt.date(2026, 1, 1), dt.date(2026, 1, 31)))
    assert len(jan) == JournalLine.objects.filter(entry__business_date__month=1).count() > 0
    for line in jan:
        code, loan_id, gl = line[4], line[8], line[11]
        if code == "principal_receivable" and loan_id == loan.pk:
            assert gl == "principal_receivable_p1"
        else:  # interest income is not mapped before February; the rest keeps its role
            assert gl == code
    financed = loan.amount_financed
    tb = {row[0]: (row[4], row[5]) for row in gl_trial_balance(dt.date(2026, 1, 31))}
    assert tb["principal_receivable_p1"] == (financed, D("0.00"))
    assert "principal_receivable" not in tb
    assert sum(d for d, _c in tb.values()) == sum(c for _d, c in tb.values())

    # the page and the CSVs: finance sees and downloads, a servicing agent does not
    client.force_login(maker)
    assert client.get(reverse("servicing:gl_mapping")).status_code == 200
    body = b"".join(
        client.get(reverse("servicing:gl_trial_balance_csv", args=[2026, 1])).streaming_content
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert ["principal_receivable_p1", "应收贷款本金—产品一", "资产", str(financed), "0.00",
            str(financed)] in rows  # fmt: skip
    gl = list(csv.reader(io.StringIO(b"".join(
        client.get(reverse("servicing:period_gl_csv", args=[2026, 1])).streaming_content
    ).decode("utf-8-sig"))))  # fmt: skip
    assert gl[0][-2:] == ["总账科目代码", "总账科目名称"]
    assert any(r[4] == "principal_receivable" and r[11] == "principal_receivable_p1" for r in gl)
    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    assert client.get(reverse("servicing:gl_mapping")).status_code == 403


def test_the_page_submits_and_another_approves(nev_accounts, client):
    set_day(dt.date(2026, 1, 20))
    maker = UserFactory(roles=[Role.FINANCE_OPERATOR])
    checker = UserFactory(roles=[Role.FINANCE_APPROVER])
    client.force_login(maker)
    response = client.post(
        reverse("servicing:gl_mapping_submit"),
        {"token": "a" * 32, "role": "principal_receivable", "product_code": "p1",
         "vehicle_kind": "", "account": "principal_receivable_p1",
         "effective_from": "2026-02-01", "reason": "按产品核算"},
    )  # fmt: skip
    assert response.status_code == 302
    m = GlMapping.objects.get()
    assert (m.status, m.created_by) == (GlMappingStatus.PENDING, maker)
    page = client.get(reverse("servicing:gl_mapping")).content.decode()
    assert f'data-testid="approve-{m.pk}"' not in page  # not for the maker
    client.force_login(checker)
    response = client.post(
        reverse("servicing:gl_mapping_decide", args=[m.pk]),
        {"token": "b" * 32, "decision": "approve"},
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.status, m.approved_by) == (GlMappingStatus.ACTIVE, checker)
