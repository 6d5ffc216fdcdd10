"""Fixtures for the servicing tests. The ledger's database set-up lives in tests/conftest.py
(every app may post); here are the disbursement tests' finance users (maker, checkers), a
customer, a dealer with a verified settlement account and an agreement, the payee register,
the business date, and the sandbox bank's settings. Plain helpers are imported by name from
disbursement_support.py, loan_helpers.py, eod_helpers.py and ledger_support.py."""

from __future__ import annotations

import datetime as dt

import pytest

from autofin.business_date import business_date_set
from autofin.roles import Role
from dealers.models.dealers import Dealer, DealerStatus
from dealers.seed import uscc_make
from dealers.services import agreement_create
from servicing.gateway.sandbox_bank import sandbox_bank_close_connections
from tests.factories import UserFactory
from tests.servicing.disbursement_support import (
    DEALER_ACCOUNT,
    GPS,
    INSURER,
    TAX,
    TODAY,
    WARRANTY,
    next_serial,
    register_payee,
    set_dealer_account,
)


@pytest.fixture
def disbursement_settings(settings, tmp_path):
    """The sandbox bank run by the test: sends dispatched and callbacks delivered only when the
    test says so, the bank's files in the test's folder, and a fast password hasher.

    Not autouse: every test of the disbursement modules (test_disbursement*, test_gateway,
    test_reconciliation) needs it, and each of those says so in its `pytestmark`; the loan
    and batch tests choose their own settings."""
    settings.DISBURSEMENT_DISPATCH = "manual"
    settings.SANDBOX_BANK_CALLBACKS = "manual"
    settings.SANDBOX_BANK_DIR = str(tmp_path / "bank")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield settings
    sandbox_bank_close_connections()


@pytest.fixture
def today(db):
    business_date_set(actor="test", date=TODAY, reason="tests")
    return TODAY


@pytest.fixture
def maker(db):
    return UserFactory(roles=[Role.FINANCE_OPERATOR], display_name="经办甲")


@pytest.fixture
def checker(db):
    return UserFactory(roles=[Role.FINANCE_APPROVER], display_name="复核乙")


@pytest.fixture
def checker2(db):
    return UserFactory(roles=[Role.FINANCE_APPROVER], display_name="复核丙")


@pytest.fixture
def customer(db):
    return UserFactory(roles=[Role.CUSTOMER], phone="13900001234", display_name="王小明")


@pytest.fixture
def payees(maker, checker):
    return {
        "insurer": register_payee(
            maker, checker, payee_type="insurer", name=INSURER, account="6222021002000456"
        ),
        "tax": register_payee(
            maker, checker, payee_type="tax", name=TAX, account="6222021003000789"
        ),
        "warranty": register_payee(
            maker, checker, payee_type="warranty", name=WARRANTY, account="6222021004000555"
        ),
        "gps": register_payee(
            maker, checker, payee_type="gps", name=GPS, account="6222021005000666"
        ),
    }


@pytest.fixture
def dealer(db, maker, checker, today):
    n = next_serial() % 9000
    dealer = Dealer.objects.create(
        legal_name=f"上海测试汽车销售服务有限公司{n}",
        uscc=uscc_make("310115", 1000 + n),
        dealer_type="four_s",
        province="上海市",
        city="上海市",
        status=DealerStatus.ACTIVE,
        contact_phone="13800138000",
    )
    set_dealer_account(dealer, DEALER_ACCOUNT, maker, checker)
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="new",
        commission_kind="percent",
        commission_rate="0.01",
        cap_rate="0.05",
        effective_from=TODAY - dt.timedelta(days=30),
    )
    return dealer
