"""Every production adapter against a stub provider on 127.0.0.1 speaking the signed JSON
protocol of docs/integrations.md. The stub checks our signatures with its own code (not the
client's), so the documented protocol is what is tested."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.mail import EmailMessage

from autofin.notifications import GatewayError, HttpEmailBackend, HttpSmsGateway
from origination.bank_cards import BankCardError, HttpBankCardVerification
from origination.esign import ESignError, HttpESign
from risk.adapters import (
    HttpBureau,
    HttpIncome,
    HttpPhone,
    HttpValuation,
    HttpVerification,
    RiskAdapterError,
)
from servicing.adapters import (
    AutoDebitError,
    CreatedPayment,
    HttpAutoDebitBank,
    HttpPaymentProvider,
    PaymentProviderError,
)
from servicing.gateway.http_bank import HttpBankGateway
from servicing.gateway.interface import BankResult, GatewayRejected, GatewayTimeout
from servicing.services.credit_reporting.adapters import CreditReportingError, HttpCreditReporting

KEY_ID = "autofin-test"
SECRET = "s3cret-" + "x" * 40
TIMEOUT = 0.4


def _sign(method: str, path: str, body: bytes, *, secret: str = SECRET, key_id=KEY_ID) -> dict:
    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    msg = f"{method}\n{path}\n{ts}\n{nonce}\n".encode() + body
    return {
        "X-AutoFin-Key-Id": key_id,
        "X-AutoFin-Timestamp": ts,
        "X-AutoFin-Nonce": nonce,
        "X-AutoFin-Signature": hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest(),
    }


@dataclass
class Stub:
    """Answers each request with the next planned step: ("ok", json), ("status", code, json),
    ("sleep", seconds, json) or ("badsig", json). Records what it received."""

    plan: list = field(default_factory=list)
    seen: list = field(default_factory=list)
    bad_requests: list = field(default_factory=list)
    answer_key: tuple[str, str] = (KEY_ID, SECRET)  # (key id, secret) the stub answers with


class _Handler(BaseHTTPRequestHandler):
    stub: Stub

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802 - http.server's API
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = dict(self.headers.items())
        expected = hmac.new(
            SECRET.encode(),
            f"POST\n{self.path}\n{headers.get('X-AutoFin-Timestamp')}\n"
            f"{headers.get('X-AutoFin-Nonce')}\n".encode()
            + body,
            hashlib.sha256,
        ).hexdigest()
        if (
            headers.get("X-AutoFin-Signature") != expected
            or headers.get("X-AutoFin-Key-Id") != KEY_ID
        ):
            self.stub.bad_requests.append(self.path)
        self.stub.seen.append({"path": self.path, "headers": headers, "json": json.loads(body)})
        step = self.stub.plan.pop(0) if self.stub.plan else ("status", 500, {"error": "no plan"})
        kind = step[0]
        if kind == "sleep":
            time.sleep(step[1])
            status, answer = 200, step[2]
        elif kind == "status":
            status, answer = step[1], step[2]
        else:
            status, answer = 200, step[1]
        out = json.dumps(answer).encode()
        key_id, secret = self.stub.answer_key
        signed = _sign(
            "POST", self.path, out, key_id=key_id, secret="wrong" if kind == "badsig" else secret
        )
        try:
            self.send_response(status)
            for k, v in {**signed, "Content-Type": "application/json"}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout case)


@pytest.fixture
def stub(settings):
    state = Stub()
    handler = type("Handler", (_Handler,), {"stub": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    settings.INTEGRATIONS = {
        rail: {
            **cfg,
            "url": url,
            "key_id": KEY_ID,
            "secret": SECRET,
            "timeout": TIMEOUT,
            "retries": 2,
            "backoff": 0.01,
        }
        for rail, cfg in settings.INTEGRATIONS.items()
    }
    yield state
    server.shutdown()
    server.server_close()
    assert state.bad_requests == [], "the stub received a request with a bad signature"


def _mail():
    return HttpEmailBackend().send_messages(
        [EmailMessage("主题", "正文", "noreply@autofin.example", ["a@example.com"])]
    )


# (name, call, the provider's answer, what the adapter returns, the adapter's own error)
CASES = [
    (
        "payment",
        lambda: HttpPaymentProvider().create_payment(
            amount=Decimal("100.5"), description="LN-1 instalment", idempotency_key="order-1"
        ),
        {"provider_ref": "PAY-1", "pay_url": "https://pay.example/cashier/PAY-1"},
        CreatedPayment("PAY-1", "https://pay.example/cashier/PAY-1"),
        PaymentProviderError,
    ),
    (
        "bank",
        lambda: HttpBankGateway().send(
            idempotency_key="att-1",
            amount=Decimal("100.00"),
            account_number="6222 0200 0000 5555",
            account_name="某某保险",
            bank_name="工商银行",
            reference="D-1",
            requested_date=dt.date(2026, 3, 1),
        ),
        {"status": "accepted", "bank_ref": "B-1", "amount": "100.00"},
        BankResult("att-1", "accepted", "B-1", Decimal("100.00")),
        GatewayRejected,
    ),
    (
        # one answer per payment in the order given; a payment the bank did not answer for is
        # unknown (asked about by key), never taken as refused
        "bank_batch",
        lambda: HttpBankGateway().send_batch(
            payments=[
                {
                    "idempotency_key": key,
                    "amount": Decimal("100.00"),
                    "account_number": "6222 0200 0000 5555",
                    "account_name": "某某保险",
                    "bank_name": "工商银行",
                    "reference": "D-1",
                    "requested_date": dt.date(2026, 3, 1),
                }
                for key in ("att-1", "att-2", "att-3")
            ]
        ),
        {
            "results": [
                {"idempotency_key": "att-3", "status": "rejected", "reason": "账户冻结"},
                {
                    "idempotency_key": "att-1",
                    "status": "accepted",
                    "bank_ref": "B-1",
                    "amount": "100.00",
                },
            ]
        },  # fmt: skip
        [
            BankResult("att-1", "accepted", "B-1", Decimal("100.00")),
            BankResult("att-2", "unknown", reason="no answer for this payment"),
            BankResult("att-3", "rejected", reason="账户冻结"),
        ],
        GatewayRejected,
    ),
    (
        "auto-debit",
        lambda: HttpAutoDebitBank().process("instruction_ref,contract_ref,amount\nI1,C1,10.00\n"),
        {"results": "instruction_ref,amount,result,reason,bank_ref\nI1,10.00,success,,B1\n"},
        "instruction_ref,amount,result,reason,bank_ref\nI1,10.00,success,,B1\n",
        AutoDebitError,
    ),
    (
        "bureau",
        lambda: HttpBureau().report(id_hash="h1"),
        {"found": True, "bureau_score": 700},
        {"found": True, "bureau_score": 700},
        RiskAdapterError,
    ),
    (
        "verification",
        lambda: HttpVerification().three_factor(id_hash="h1", phone_hash="p1"),
        {"result": "match"},
        {"result": "match"},
        RiskAdapterError,
    ),
    (
        "phone",
        lambda: HttpPhone().status(phone_hash="p1"),
        {"status": "active", "tenure_months": 12},
        {"status": "active", "tenure_months": 12},
        RiskAdapterError,
    ),
    (
        "phone",
        lambda: HttpPhone().status_many(phone_hashes=["p2", "p1"]),
        {
            "statuses": {
                "p1": {"status": "deactivated"},
                "p2": {"status": "active", "tenure_months": 3},
            }
        },
        {
            "p1": {"status": "deactivated", "tenure_months": 0},
            "p2": {"status": "active", "tenure_months": 3},
        },
        RiskAdapterError,
    ),
    (
        "valuation",
        lambda: HttpValuation().price_index(month="2026-03"),
        {"rows": [{"segment": "new", "age_months": 2, "factor": "0.973277"}]},
        [{"segment": "new", "age_months": 2, "region": "", "factor": "0.973277"}],
        RiskAdapterError,
    ),
    (
        "valuation",
        lambda: HttpValuation().value(vehicle={"kind": "new", "msrp": "200000"}, price=None),
        {"guide_price": "199999.999", "basis": "guide"},
        {"guide_price": "200000.00", "basis": "guide"},
        RiskAdapterError,
    ),
    (
        "income",
        lambda: HttpIncome().verify(
            id_hash="h1", sources=["income_tax"], declared_monthly_income=Decimal("12000.00")
        ),
        {"income_tax": {"status": "matched", "monthly_income": "13000.00"}},
        {"income_tax": {"status": "matched"}},
        RiskAdapterError,
    ),
    (
        "sms",
        lambda: HttpSmsGateway().send(to="13800138000", body="您好", key="sms:1"),
        {"message_id": "SMS-1"},
        "SMS-1",
        GatewayError,
    ),
    ("email", _mail, {"message_id": "M-1"}, 1, GatewayError),
    (
        "esign",
        lambda: HttpESign().seal(
            document_sha256="ab" * 32,
            signer_name="马晓明",
            signed_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
            contract_ref="C-1",
        ),
        {"evidence_ref": "EV-1"},
        {"evidence_ref": "EV-1"},
        ESignError,
    ),
    (
        "bank_card",
        lambda: HttpBankCardVerification().verify(
            name="李回租",
            id_number="110101199001011237",
            card_number="6222021234567890123",
            phone="13712340001",
        ),
        {"result": "mismatch", "reason": "phone", "ref": "BC-1"},
        {"result": "mismatch", "reason": "phone", "ref": "BC-1"},
        BankCardError,
    ),  # fmt: skip
    (
        "credit_reporting",
        lambda: HttpCreditReporting().submit(
            records=[{"record_id": "7", "record_type": "monthly"}]
        ),
        {"results": [{"record_id": "7", "result": "rejected", "code": "E101", "message": "ID"}]},
        [{"record_id": "7", "result": "rejected", "code": "E101", "message": "ID"}],
        CreditReportingError,
    ),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "call", "answer", "expected", "error"), CASES, ids=IDS)
def test_happy_path_is_signed_both_ways(stub, name, call, answer, expected, error):
    stub.plan = [("ok", answer)]
    assert call() == expected
    assert len(stub.seen) == 1
    assert stub.seen[0]["path"].startswith("/v1/")
    assert stub.seen[0]["headers"]["Idempotency-Key"]


@pytest.mark.parametrize(("name", "call", "answer", "expected", "error"), CASES, ids=IDS)
def test_an_answer_with_a_bad_signature_is_refused(stub, name, call, answer, expected, error):
    stub.plan = [("badsig", answer)]
    with pytest.raises(error) as exc:
        call()
    assert "signature" in str(exc.value)
    assert len(stub.seen) == 1  # not retried: a forged answer is not a transient fault


@pytest.mark.parametrize(("name", "call", "answer", "expected", "error"), CASES, ids=IDS)
def test_timeout_and_5xx_are_retried_with_the_same_idempotency_key(
    stub, name, call, answer, expected, error
):
    stub.plan = [("sleep", TIMEOUT * 2.5, answer), ("status", 503, {}), ("ok", answer)]
    assert call() == expected
    assert len(stub.seen) == 3
    keys = {s["headers"]["Idempotency-Key"] for s in stub.seen}
    nonces = {s["headers"]["X-AutoFin-Nonce"] for s in stub.seen}
    assert len(keys) == 1 and len(nonces) == 3
    assert stub.seen[0]["json"] == stub.seen[2]["json"]


@pytest.mark.parametrize(("name", "call", "answer", "expected", "error"), CASES, ids=IDS)
def test_a_refusal_is_not_retried_and_surfaces_as_the_adapters_error(
    stub, name, call, answer, expected, error
):
    stub.plan = [("status", 400, {"error": "账户无效"})]
    with pytest.raises(error) as exc:
        call()
    assert "账户无效" in str(exc.value)
    assert getattr(exc.value, "retryable", False) is False
    assert len(stub.seen) == 1


def test_retries_are_bounded_and_a_lost_bank_answer_is_a_timeout(stub):
    stub.plan = [("status", 502, {})] * 3
    with pytest.raises(GatewayTimeout):
        CASES[1][1]()
    assert len(stub.seen) == 3  # the first try and RETRIES=2


def test_429_is_retried(stub):
    stub.plan = [("status", 429, {}), ("ok", {"message_id": "SMS-2"})]
    assert HttpSmsGateway().send(to="13800138000", body="x", key="sms:2") == "SMS-2"
    assert len(stub.seen) == 2


def test_during_a_rotation_answers_under_the_previous_key_verify_and_requests_use_the_new_one(
    stub, settings
):
    """The provider may switch keys after us: its answers under the previous pair still verify
    (picked by their key id), while every request we send is signed with the current pair."""
    old_id, old_secret = "autofin-2025", "old-" + "y" * 40
    stub.answer_key = (old_id, old_secret)
    stub.plan = [("ok", {"message_id": "SMS-R"})]
    settings.INTEGRATIONS = {
        rail: {**cfg, "previous_key_id": old_id, "previous_secret": old_secret}
        for rail, cfg in settings.INTEGRATIONS.items()
    }
    assert HttpSmsGateway().send(to="13800138000", body="x", key="sms:r") == "SMS-R"
    assert stub.seen[0]["headers"]["X-AutoFin-Key-Id"] == KEY_ID  # checked by the stub too
    settings.INTEGRATIONS = {
        rail: {**cfg, "previous_key_id": "", "previous_secret": ""}
        for rail, cfg in settings.INTEGRATIONS.items()
    }
    stub.plan = [("ok", {"message_id": "SMS-S"})]
    with pytest.raises(GatewayError) as exc:
        HttpSmsGateway().send(to="13800138000", body="x", key="sms:s")
    assert "key id" in str(exc.value)
