"""Fixtures for the disbursement tests (no tests here): finance users, a dealer with a verified
settlement account and an agreement, a payee register, and contract facts as origination's
contract_for_funding gives them."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

import pytest

from autofin.business_date import business_date_set
from autofin.roles import Role
from dealers.models import Dealer, DealerStatus
from dealers.seed import uscc_make
from dealers.services import (
    agreement_create,
    bank_account_change_approve,
    bank_account_change_prepare,
)
from servicing.gateway.sandbox_bank import SandboxBank, sandbox_bank_close_connections
from servicing.models import PaymentAttempt
from servicing.services.disbursement.send import attempt_send
from servicing.services.payees import payee_change_approve, payee_change_prepare
from tests.factories import UserFactory

TODAY = dt.date(2026, 3, 16)
_serial = itertools.count(random.randint(1, 10**6) * 100)  # noqa: S311 - unique contract ids
DEALER_ACCOUNT = "6222021001000123"
INSURER = "中国平安财产保险股份有限公司"
TAX = "国家税务总局上海市税务局"
WARRANTY = "安心延保服务有限公司"
GPS = "北斗车联 GPS 服务有限公司"


@pytest.fixture(autouse=True)
def disbursement_settings(settings, tmp_path):
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


def register_payee(maker, checker, *, payee_type, name, account, payee_id=None):
    change = payee_change_prepare(
        actor=maker,
        payee_type=payee_type,
        name=name,
        account_name=name,
        bank_name="中国工商银行上海分行",
        account_number=account,
        payee_id=payee_id,
    )
    return payee_change_approve(actor=checker, change_id=change.pk)


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
    n = next(_serial) % 9000
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


def set_dealer_account(dealer, number, maker, checker):
    change = bank_account_change_prepare(
        actor=maker,
        dealer=dealer,
        account_name=dealer.legal_name,
        bank_name="招商银行上海分行",
        account_number=number,
    )
    return bank_account_change_approve(actor=checker, change_id=change.pk)


def make_facts(*, dealer, customer, parts: dict[str, str], amount_financed: str | None = None,
               names: dict | None = None) -> dict:  # fmt: skip
    """Contract facts (contract_for_funding's shape) whose payees are `parts` {type: amount}."""
    n = next(_serial)
    names = {"insurer": INSURER, "tax": TAX, "warranty": WARRANTY, "gps": GPS,
             "lender": "本公司", **(names or {})}  # fmt: skip
    payees = []
    for payee_type, amount in parts.items():
        payees.append(
            {
                "payee_type": payee_type,
                "party": payee_type,
                "item": {"dealer": "car", "tax": "purchase_tax", "insurer": "insurance"}.get(
                    payee_type, payee_type
                ),
                "name": dealer.legal_name if payee_type == "dealer" else names[payee_type],
                "amount": Decimal(amount),
            }
        )
    total = sum((p["amount"] for p in payees), Decimal("0.00"))
    return {
        "contract_id": n,
        "contract_ref": f"HT{n}",
        "status": "signed",
        "application_id": None,
        "customer_user_id": customer.pk,
        "customer_name": "王小明",
        "dealer_id": dealer.pk,
        "product_version_id": None,
        "product_rules": {},
        "product_line": "new",
        "amount_financed": Decimal(amount_financed) if amount_financed else total,
        "customer_rate": Decimal("0.059000"),
        "lender_rate": Decimal("0.059000"),
        "penalty_rate": Decimal("0.088500"),
        "fee_per_instalment": Decimal("0.00"),
        "term_months": 12,
        "method": "equal_instalment",
        "day_count": "30/360",
        "balloon_amount": Decimal("0.00"),
        "value_date_hint": TODAY,
        "first_due_date_hint": None,
        "fees": [],
        "payees": payees,
        "collateral": {"vin": "LSVAU2180N2000001", "brand": "大众", "model": "帕萨特"},
        "checklist": {"ready": True},
    }


STANDARD = {"dealer": "120000.00", "tax": "10619.47", "insurer": "5200.00", "gps": "1380.53"}


def send_all(disbursement) -> list[str]:
    """Run the send task for every pending attempt of the disbursement (synchronously)."""
    ids = PaymentAttempt.objects.filter(
        instruction__disbursement=disbursement, status="pending"
    ).values_list("pk", flat=True)
    return [attempt_send(attempt_id=pk) for pk in ids]


def keys_of(disbursement) -> list[str]:
    return list(
        PaymentAttempt.objects.filter(instruction__disbursement=disbursement)
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
    )


def deliver(disbursement) -> int:
    return SandboxBank().callbacks_deliver(keys=keys_of(disbursement))
