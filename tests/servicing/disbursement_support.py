"""Helpers for the disbursement tests: the business date, the payees' names, registering a payee
or a dealer's settlement account through maker-checker, contract facts as origination's
contract_for_funding gives them, and running the sandbox bank's sends and callbacks. Imported
by name; the fixtures built on them (finance users, a dealer, the payee register, the
disbursement settings) live in tests/servicing/conftest.py."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

from dealers.services import (
    bank_account_change_approve,
    bank_account_change_prepare,
)
from origination.services.payees import payee_change_approve, payee_change_prepare
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.disbursement import PaymentAttempt
from servicing.services.disbursement.send import attempt_send

TODAY = dt.date(2026, 3, 16)
_serial = itertools.count(random.randint(1, 10**6) * 100)  # noqa: S311 - unique contract ids
DEALER_ACCOUNT = "6222021001000123"
INSURER = "中国平安财产保险股份有限公司"
TAX = "国家税务总局上海市税务局"
WARRANTY = "安心延保服务有限公司"
GPS = "北斗车联 GPS 服务有限公司"


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


def set_dealer_account(dealer, number, maker, checker):
    change = bank_account_change_prepare(
        actor=maker,
        dealer=dealer,
        account_name=dealer.legal_name,
        bank_name="招商银行上海分行",
        account_number=number,
    )
    return bank_account_change_approve(actor=checker, change_id=change.pk)


def next_serial() -> int:
    """A number no other dealer or contract of this run has (for names, USCCs, contract ids)."""
    return next(_serial)


def make_facts(*, dealer, customer, parts: dict[str, str], amount_financed: str | None = None,
               names: dict | None = None) -> dict:  # fmt: skip
    """Contract facts (contract_for_funding's shape) whose payees are `parts` {type: amount}."""
    n = next_serial()
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
