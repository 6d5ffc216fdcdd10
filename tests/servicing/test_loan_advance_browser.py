"""The agent's loan page on a phone after an instalment was paid before it fell due: the
ledger panel reads 预收利息 / 预收手续费 with their amounts, no negative 应收. Screenshot:
test-output/j-cust/07-loan-advance-phone.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from autofin.roles import Role
from servicing.services.accrual import loan_accrue
from servicing.services.repayments.posting import repayment_post
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_paid_ahead_reads_as_received_in_advance_on_a_phone(phone_page, live_server, browser_login):
    loan = make_loan()
    loan_accrue(loan_id=loan.pk, through=dt.date(2026, 4, 30))
    set_day(dt.date(2026, 5, 1))
    repayment_post(loan_id=loan.pk, amount="60000.00", source="manual", actor="test")
    agent = UserFactory(roles=[Role.SERVICING_AGENT], display_name="客服小李")
    page = phone_page
    browser_login(page, agent.username, PASSWORD)
    page.goto(f"{live_server.url}/servicing/loans/{loan.pk}/")
    text = page.inner_text("main")
    assert "预收利息\n¥226.68" in text or "预收利息 ¥226.68" in text.replace("\t", " ")
    assert "预收手续费" in text and "-¥" not in text
    Path("test-output/j-cust").mkdir(parents=True, exist_ok=True)
    page.screenshot(path="test-output/j-cust/07-loan-advance-phone.png", full_page=True)
