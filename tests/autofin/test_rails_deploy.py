"""Issue #14, rails: sandboxes only with AUTOFIN_SANDBOX=1, callbacks signed with the provider's
own secret, and `check --deploy` refusing every unsafe default."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import resolve

from autofin.checks import deploy_no_demo_users, deploy_rails_and_keys
from autofin.crypto import keyed_hash
from autofin.integrations.http import canonical_json, signed_headers
from autofin.rails import ADAPTERS as RAILS
from autofin.seed.users import DEMO_PASSWORD
from servicing.adapters import SandboxPaymentProvider
from servicing.models.repayments import PaymentOrder, Repayment
from servicing.services.repayments.online import payment_order_create
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "/api/v1/loans/payments/callback/"
# Every rail's sandbox and production adapter, from the one table the settings and the deploy
# checks read (a copy here once missed a rail added later).
ADAPTERS = {name: sandbox for name, (sandbox, _http) in RAILS.items()}
PRODUCTION = {name: http for name, (_sandbox, http) in RAILS.items()}


def _env(**extra: str) -> dict:
    """A production-like environment: no sandbox, DEBUG off, every rail configured."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"AUTOFIN_SANDBOX", "DEBUG", "TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not k.startswith("PYTEST")
    }
    env.update(
        DEBUG="0",
        HTTPS="1",
        TESTING="0",
        ALLOWED_HOSTS="autofin.example.com",
        SECRET_KEY=secrets.token_urlsafe(50),
        HMAC_KEY=secrets.token_urlsafe(40),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PYTHONPATH=str(ROOT),
    )
    for prefix in settings.INTEGRATION_PREFIXES.values():  # every rail the settings name
        env[f"{prefix}_URL"] = f"http://127.0.0.1:9/{prefix.lower()}"
        env[f"{prefix}_KEY_ID"] = "autofin-prod"
        env[f"{prefix}_SECRET"] = secrets.token_urlsafe(40)
    # the GPS provider's webhook key (it only calls us: no URL)
    env.update(TELEMATICS_KEY_ID="autofin-prod", TELEMATICS_SECRET=secrets.token_urlsafe(40))
    env.update(extra)
    return env


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- check --deploy ---------------------------------------------------------------------------


def test_check_deploy_passes_with_production_settings_and_fails_on_each_unsafe_default():
    good = _manage(_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert good.returncode == 0, good.stderr
    bad = _manage(
        _env(
            SECRET_KEY="dev-insecure-autofin-secret-key-change-me",
            HMAC_KEY="dev-autofin-hmac-key-change-me",
            FIELD_ENCRYPTION_KEYS="cYbFDe6fmxe-Xv7sVJq6fBbzX9r0nGCcJ0pP7mA8fVI=",
            SERVICING_PAYMENT_PROVIDER="servicing.adapters.SandboxPaymentProvider",
            BANK_SECRET="",
        ),
        "check",
        "--deploy",
    )
    assert bad.returncode == 1
    for code in ("autofin.E001", "autofin.E002", "autofin.E003", "autofin.E011", "autofin.E013"):
        assert code in bad.stderr, code
    assert "BANK_SECRET" in bad.stderr


@pytest.fixture
def production(settings):
    """This process's settings as the checks would see them in production."""
    settings.DEBUG = False
    settings.AUTOFIN_SANDBOX = False
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    settings.HMAC_KEY = secrets.token_urlsafe(40)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    for name in ADAPTERS:
        setattr(settings, name, PRODUCTION.get(name, ADAPTERS[name].replace("Sandbox", "Http")))
    settings.SERVICING_AUTO_DEBIT_BANK = "servicing.adapters.HttpAutoDebitBank"
    settings.PAYMENT_GATEWAY = "servicing.gateway.http_bank.HttpBankGateway"
    settings.RISK_VERIFICATION_ADAPTER = "risk.adapters.HttpVerification"
    settings.SMS_BACKEND = "autofin.notifications.HttpSmsGateway"
    settings.EMAIL_BACKEND = "autofin.notifications.HttpEmailBackend"
    settings.INTEGRATIONS = {
        rail: {**cfg, "url": "http://127.0.0.1:9", "key_id": "k", "secret": "z" * 40}
        for rail, cfg in settings.INTEGRATIONS.items()
    }
    settings.TELEMATICS_KEY_ID, settings.TELEMATICS_SECRET = "k", "z" * 40
    return settings


def _ids(errors) -> list[str]:
    return sorted(e.id for e in errors)


def test_production_settings_pass(production):
    assert deploy_rails_and_keys(None) == []


@pytest.mark.parametrize(
    ("key_id", "secret"), [("k", "sandbox-telematics-secret"), ("k", "short"), ("", "z" * 40)]
)
def test_the_gps_webhook_key_must_be_set_and_strong(production, key_id, secret):
    production.TELEMATICS_KEY_ID, production.TELEMATICS_SECRET = key_id, secret
    assert _ids(deploy_rails_and_keys(None)) == ["autofin.E015"]


@pytest.mark.parametrize("setting", sorted(ADAPTERS))
def test_any_sandbox_adapter_is_an_error(production, setting):
    setattr(production, setting, ADAPTERS[setting])
    errors = deploy_rails_and_keys(None)
    assert _ids(errors) == ["autofin.E011"] and setting in errors[0].msg


@pytest.mark.parametrize(
    ("setting", "value", "code"),
    [
        ("SECRET_KEY", "dev-insecure-autofin-secret-key-change-me", "autofin.E001"),
        ("HMAC_KEY", "dev-autofin-hmac-key-change-me", "autofin.E002"),
        ("FIELD_ENCRYPTION_KEYS", ["cYbFDe6fmxe-Xv7sVJq6fBbzX9r0nGCcJ0pP7mA8fVI="], "autofin.E003"),
        ("FIELD_ENCRYPTION_KEYS", [], "autofin.E003"),
        ("FIELD_ENCRYPTION_KEYS", ["not-a-key"], "autofin.E004"),
    ],
)
def test_development_keys_are_errors(production, setting, value, code):
    setattr(production, setting, value)
    assert _ids(deploy_rails_and_keys(None)) == [code]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("secret", "", "autofin.E013"),
        ("secret", "short", "autofin.E013"),
        ("secret", "sandbox-payment-secret", "autofin.E013"),
        ("url", "", "autofin.E012"),
        ("key_id", "", "autofin.E012"),
    ],
)
def test_a_production_adapter_without_its_endpoint_or_secret_is_an_error(
    production, field, value, code
):
    production.INTEGRATIONS = {
        **production.INTEGRATIONS,
        "payment": {**production.INTEGRATIONS["payment"], field: value},
    }
    errors = deploy_rails_and_keys(None)
    assert _ids(errors) == [code] and "PAYMENT_PROVIDER" in errors[0].msg


@pytest.mark.parametrize(
    ("previous_key_id", "previous_secret", "codes"),
    [
        ("k-2025", "y" * 40, []),  # a rotation under way: fine
        ("k", "y" * 40, ["autofin.E014"]),  # the current key id: which secret would it pick?
        ("k-2025", "short", ["autofin.E014"]),
        ("k-2025", "", ["autofin.E014"]),
        ("", "y" * 40, ["autofin.E014"]),
    ],
)
def test_a_rotations_previous_pair_must_be_named_and_strong(
    production, previous_key_id, previous_secret, codes
):
    production.INTEGRATIONS = {
        **production.INTEGRATIONS,
        "bank": {
            **production.INTEGRATIONS["bank"],
            "previous_key_id": previous_key_id,
            "previous_secret": previous_secret,
        },
    }
    errors = deploy_rails_and_keys(None)
    assert _ids(errors) == codes and all("BANK_PREVIOUS_KEY_ID" in e.msg for e in errors)


def test_checks_are_silent_in_development(production):
    production.AUTOFIN_SANDBOX = True
    production.SECRET_KEY = "dev-insecure-autofin-secret-key-change-me"
    production.SERVICING_PAYMENT_PROVIDER = ADAPTERS["SERVICING_PAYMENT_PROVIDER"]
    assert deploy_rails_and_keys(None) == []


@pytest.mark.django_db
def test_demo_users_with_the_demo_password_are_a_database_error(production):
    admin = UserFactory(username="admin")
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    staff = UserFactory(username="dealer3_sales")
    staff.set_password(DEMO_PASSWORD)
    staff.save()
    UserFactory(username="uw")  # a demo name with its own password: fine
    assert deploy_no_demo_users(None, databases=None) == []  # only with --database
    errors = deploy_no_demo_users(None, databases=["default"])
    assert _ids(errors) == ["autofin.E020"]
    assert "admin, dealer3_sales" in errors[0].msg
    admin.set_password(secrets.token_urlsafe(20))
    admin.save()
    staff.delete()
    assert deploy_no_demo_users(None, databases=["default"]) == []


# --- sandboxes exist only with AUTOFIN_SANDBOX=1 -----------------------------------------------


@pytest.mark.parametrize("path", sorted(set(ADAPTERS.values())))
def test_a_sandbox_class_refuses_to_exist_without_the_flag(settings, path):
    from django.utils.module_loading import import_string

    cls = import_string(path)
    cls()  # with the flag (the tests run with AUTOFIN_SANDBOX=1)
    settings.AUTOFIN_SANDBOX = False
    with pytest.raises(ImproperlyConfigured, match="AUTOFIN_SANDBOX=1"):
        cls()


def test_sandbox_cashier_page_is_404_without_the_flag():
    assert resolve("/pay/sandbox/SBXPAY-1/").url_name == "sandbox_pay"  # mounted here
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/pay/sandbox/SBXPAY-1/'); print('resolved')\n"
        "except Resolver404:\n    print('none')\n"
        "print(Client().get('/pay/sandbox/SBXPAY-1/').status_code)\n"
        "print(Client().post('/pay/sandbox/SBXPAY-1/', {'outcome': 'ok'}).status_code)\n"
    )
    env = _env(HTTPS="0", ALLOWED_HOSTS="testserver", DJANGO_SETTINGS_MODULE="autofin.settings")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.split() == ["none", "404", "404"], out.stderr


# --- callbacks: the provider's secret, never the global HMAC_KEY -------------------------------


@pytest.fixture
def order(db):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    order, _url = payment_order_create(
        loan_id=loan.pk, actor=loan.customer, amount="100.00", idempotency_key="forge-1"
    )
    return order


def _post(client, body: bytes, headers: dict):
    return client.post(CALLBACK, body, content_type="application/json", headers=headers)


def _unchanged(order) -> None:
    order.refresh_from_db()
    assert order.status == "created" and order.repayment_id is None
    assert Repayment.objects.count() == 0


def test_callback_forged_with_the_old_default_hmac_key_is_refused(client, order, settings):
    payload = {"provider_ref": order.provider_ref, "amount": "250000.00", "status": "success",
               "paid_at": "2026-02-15T10:00:00+08:00"}  # fmt: skip
    # the old scheme: keyed_hash over the canonical payload under the published HMAC_KEY
    settings.HMAC_KEY = "dev-autofin-hmac-key-change-me"
    old = keyed_hash("sandbox-pay:" + json.dumps(payload, sort_keys=True, separators=(",", ":")))
    response = client.post(
        CALLBACK, payload, content_type="application/json", headers={"X-Signature": old}
    )
    assert response.status_code == 403 and response.json()["code"] == "bad_signature"
    # the new scheme signed with the global HMAC_KEY instead of the provider's secret
    body = canonical_json(payload)
    forged = signed_headers(
        key_id="sandbox", secret=settings.HMAC_KEY, method="POST", path=CALLBACK, body=body
    )
    assert _post(client, body, forged).status_code == 403
    _unchanged(order)


def test_callback_signed_with_the_providers_secret_is_accepted_once(client, order):
    provider = SandboxPaymentProvider()
    payload = provider.callback_payload(provider_ref=order.provider_ref, amount=order.amount)
    headers, body = provider.callback_signed(payload)
    tampered = body.replace(b'"100.00"', b'"250000.00"')
    assert _post(client, tampered, headers).status_code == 403
    _unchanged(order)
    stale = {**headers, "X-AutoFin-Timestamp": str(int(headers["X-AutoFin-Timestamp"]) - 3600)}
    assert _post(client, body, stale).status_code == 403  # the signature covers the timestamp
    assert _post(client, b"[1, 2]", headers).status_code == 403
    response = _post(client, body, headers)
    assert response.status_code == 200 and response.json()["status"] == "paid"
    assert _post(client, body, headers).status_code == 403  # replayed nonce
    assert PaymentOrder.objects.get(pk=order.pk).status == "paid"
    assert Repayment.objects.count() == 1


@pytest.mark.django_db
def test_bank_callback_endpoint_needs_the_banks_signature(client):
    from servicing.gateway.sandbox_bank import SandboxBank

    bank = SandboxBank()
    payload = {"idempotency_key": "no-such-key", "status": "succeeded", "bank_ref": "B",
               "amount": "1.00", "reason": ""}  # fmt: skip
    url = "/api/v1/loans/bank/callback/"
    assert client.post(url, payload, content_type="application/json").status_code == 403
    headers, body = bank.callback_signed(payload)
    response = _post_to(client, url, body, headers)
    assert response.status_code == 200 and response.json()["result"] == "unknown_key"


def _post_to(client, url: str, body: bytes, headers: dict):
    return client.post(url, body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_seed_demo_refuses_without_the_sandbox(settings):
    from django.core.management import CommandError, call_command

    from autofin.models import User

    settings.AUTOFIN_SANDBOX = False
    with pytest.raises(CommandError, match="AUTOFIN_SANDBOX=1"):
        call_command("seed_demo")
    assert User.objects.count() == 0


def test_during_a_rotation_callbacks_signed_with_the_previous_pair_verify_until_it_is_removed(
    client, order, settings
):
    old_secret = "old-payment-secret-" + "q" * 30
    settings.INTEGRATIONS = {
        **settings.INTEGRATIONS,
        "payment": {
            **settings.INTEGRATIONS["payment"],
            "previous_key_id": "pay-2025",
            "previous_secret": old_secret,
        },
    }
    provider = SandboxPaymentProvider()
    payload = provider.callback_payload(provider_ref=order.provider_ref, amount=order.amount)
    body = canonical_json(payload)

    def signed(key_id: str, secret: str) -> dict:
        return signed_headers(key_id=key_id, secret=secret, method="POST", path=CALLBACK, body=body)

    # the previous key id with any other secret (the current one included) is a forgery
    assert _post(client, body, signed("pay-2025", provider.secret)).status_code == 403
    assert _post(client, body, signed("sandbox", old_secret)).status_code == 403
    _unchanged(order)
    # the rotation is over: the old pair is gone from the settings and verifies nothing
    ended = {**settings.INTEGRATIONS["payment"], "previous_key_id": "", "previous_secret": ""}
    settings.INTEGRATIONS = {**settings.INTEGRATIONS, "payment": ended}
    assert _post(client, body, signed("pay-2025", old_secret)).status_code == 403
    _unchanged(order)
    # while it is listed, the provider may still sign with it
    settings.INTEGRATIONS = {
        **settings.INTEGRATIONS,
        "payment": {**ended, "previous_key_id": "pay-2025", "previous_secret": old_secret},
    }
    response = _post(client, body, signed("pay-2025", old_secret))
    assert response.status_code == 200 and response.json()["status"] == "paid"
    assert Repayment.objects.count() == 1
