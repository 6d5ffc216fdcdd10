"""The lease's end-of-term actions on the servicing agent's loan page (eot): who may act, what a
refusal leaves unchanged, the return and remarketing forms, the quote and the buyout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from autofin.approvals import ApprovalError, approval_request_approve
from autofin.models import ApprovalRequest
from autofin.roles import Role
from servicing.models.lease_end import LeaseReturn
from servicing.models.leases import LeaseAsset
from servicing.models.loans import Loan, PayoffQuoteRecord
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.accrual import loan_accrue
from servicing.services.leases.end_of_term import residual_shortfall
from servicing.services.repayments.posting import repayment_post
from servicing.services.settlement.early import payoff_quote_issue
from tests.factories import UserFactory
from tests.servicing.lease_eot_support import lease_make
from tests.servicing.loan_helpers import D, rows, set_day

pytestmark = pytest.mark.django_db


def _at_maturity(loan):
    for row in rows(loan)[:-1]:
        set_day(row.due_date)
        loan_accrue(loan_id=loan.pk, through=row.due_date)
        repayment_post(loan_id=loan.pk, amount=row.instalment, source="auto_debit", actor="bank")
    last = rows(loan)[-1]
    set_day(last.due_date)
    loan_accrue(loan_id=loan.pk, through=last.due_date)
    return last


def test_return_and_remarketing_on_the_loan_page_refused_to_a_collector(client):
    loan = lease_make(term=12, method="balloon", balloon_ratio="0.30", buyout="0.00",
                      residual="36000.00")  # fmt: skip
    last = _at_maturity(loan)
    url = reverse("servicing:loan_detail", args=[loan.pk])
    collector = UserFactory(roles=[Role.COLLECTOR])
    client.force_login(collector)
    page = client.get(url).content.decode()
    assert "租赁期末处理" in page and "登记退车" not in page  # sees, may not act
    before = loan_balances(loan_id=loan.pk)
    form = {"mileage_km": "80000", "notes": "右后门划伤", "excess_wear_charge": "800.00"}
    refused = client.post(reverse("servicing:lease_return", args=[loan.pk]), form)
    assert refused.status_code == 403
    assert not LeaseReturn.objects.exists() and loan_balances(loan_id=loan.pk) == before

    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    assert "登记退车" in client.get(url).content.decode()
    bad = client.post(reverse("servicing:lease_return", args=[loan.pk]), {**form, "notes": ""})
    assert bad.status_code == 400 and not LeaseReturn.objects.exists()
    done = client.post(reverse("servicing:lease_return", args=[loan.pk]), form)
    assert done.status_code == 302
    assert LeaseAsset.objects.get(loan=loan).status == "returned"
    last.refresh_from_db()
    assert last.fee == D("800.00")
    sold = client.post(reverse("servicing:lease_remarket", args=[loan.pk]),
                       {"buyer": "上海二手车拍卖有限公司", "proceeds": "30000.00"})  # fmt: skip
    assert sold.status_code == 302
    assert LeaseAsset.objects.get(loan=loan).status == "sold"
    owed = last.principal + last.interest + D("800.00") - D("30000.00")
    page = client.get(url).content.decode()
    assert "已处置" in page and f"{owed:,}" in page


def test_the_desk_quotes_a_termination_and_bills_the_buyout(client):
    loan = lease_make(term=12)
    for row in rows(loan)[:3]:
        set_day(row.due_date)
        loan_accrue(loan_id=loan.pk, through=row.due_date)
        repayment_post(loan_id=loan.pk, amount=row.instalment, source="auto_debit", actor="bank")
    set_day(dt.date(2026, 4, 20))
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    assert client.post(reverse("servicing:lease_buyout", args=[loan.pk])).status_code == 403
    assert not LeaseAsset.objects.get(loan=loan).buyout_billed
    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    client.post(reverse("servicing:lease_buyout", args=[loan.pk]))
    assert rows(loan)[-1].fee == D("100.00")
    client.post(reverse("servicing:lease_quote", args=[loan.pk]))
    quote = PayoffQuoteRecord.objects.get(loan=loan)
    assert quote.early_settlement_fee == D("1813.40") + D("100.00")
    # the customer's own payoff page asks the same engine: the 留购价 is in their quote too
    own = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer)
    assert (own.early_settlement_fee, own.total) == (quote.early_settlement_fee, quote.total)


def _returned_and_sold(client, loan, agent):
    _at_maturity(loan)
    client.force_login(agent)
    form = {"mileage_km": "80000", "notes": "右后门划伤", "excess_wear_charge": "0.00"}
    client.post(reverse("servicing:lease_return", args=[loan.pk]), form)
    client.post(reverse("servicing:lease_remarket", args=[loan.pk]),
                {"buyer": "上海二手车拍卖有限公司", "proceeds": "30000.00"})  # fmt: skip
    assert LeaseAsset.objects.get(loan=loan).status == "sold"


def test_a_shortfall_the_contract_leaves_to_the_customer_cannot_be_absorbed(client):
    loan = lease_make(term=12, method="balloon", balloon_ratio="0.30", buyout="0.00",
                      residual="36000.00")  # fmt: skip
    _returned_and_sold(client, loan, UserFactory(roles=[Role.SERVICING_AGENT]))
    before = loan_balances(loan_id=loan.pk)
    client.post(reverse("servicing:lease_absorb", args=[loan.pk]), {"reason": "协商"})
    assert not ApprovalRequest.objects.exists() and loan_balances(loan_id=loan.pk) == before


def test_the_lessor_absorbs_the_shortfall_with_four_eyes(client):
    loan = lease_make(term=12, method="balloon", balloon_ratio="0.30", buyout="0.00",
                      residual="36000.00")  # fmt: skip
    Loan.objects.filter(pk=loan.pk).update(product_rules={**loan.product_rules,
                                                          "residual_shortfall": "lessor"})  # fmt: skip
    maker, checker = (
        UserFactory(roles=[Role.SERVICING_AGENT]),
        UserFactory(roles=[Role.SERVICING_AGENT]),
    )
    _returned_and_sold(client, loan, maker)
    loan.refresh_from_db()
    owed = residual_shortfall(loan)
    assert owed > 0
    before = loan_balances(loan_id=loan.pk)
    client.post(reverse("servicing:lease_absorb", args=[loan.pk]), {"reason": "合同约定出租人承担"})
    request = ApprovalRequest.objects.get(action="lease_shortfall_absorb")
    assert loan_balances(loan_id=loan.pk) == before  # waits for the checker, nothing moved
    with pytest.raises(ApprovalError):
        approval_request_approve(request_id=request.pk, checker=maker)
    approval_request_approve(request_id=request.pk, checker=checker)
    loan.refresh_from_db()
    assert loan.status == "charged_off"
    balances = loan_balances(loan_id=loan.pk)
    written_off = balances.get("charge_off_expense", D("0.00")) + balances.get(
        "loan_loss_allowance", D("0.00")
    )
    assert written_off == owed
    for code in ("principal_receivable", "interest_receivable", "fee_receivable"):
        assert balances.get(code, D("0.00")) == D("0.00")
    assert trial_balance().total == D("0.00")
