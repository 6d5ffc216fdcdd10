import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from autofin import business_date as bd
from autofin.audit import audit_record
from autofin.crypto import decrypt, encrypt, keyed_hash, mask
from autofin.models import AuditEntry, BusinessCalendar
from autofin.money import format_cny, quantize_fen
from autofin.roles import Role, user_has_role
from tests.audit_trail import audit_trail_for
from tests.factories import PASSWORD, UserFactory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _settings_in_subprocess(env: dict, expr: str):
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='autofin.settings'; "
        "from django.conf import settings as s; "
        f"print(json.dumps({expr}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_settings_come_from_the_environment():
    got = _settings_in_subprocess(
        {
            "DATABASE_URL": "postgres://alice:pw@db.internal:6543/lending",
            "REDIS_URL": "redis://cache.internal:6380/2",
            "DEBUG": "1",
            "ALLOWED_HOSTS": "a.example,b.example",
            "SECRET_KEY": "x" * 60,
            "SMS_BACKEND": "myco.sms.Gateway",
        },
        "[s.DATABASES['default']['HOST'], s.DATABASES['default']['PORT'], s.DATABASES['default']['NAME'],"
        " s.DATABASES['default']['USER'], s.CELERY_BROKER_URL, s.CACHES['default']['LOCATION'],"
        " s.DEBUG, s.ALLOWED_HOSTS, s.SECRET_KEY, s.SMS_BACKEND, s.SECURE_SSL_REDIRECT]",
    )
    assert got == [
        "db.internal",
        6543,
        "lending",
        "alice",
        "redis://cache.internal:6380/2",
        "redis://cache.internal:6380/2",
        True,
        ["a.example", "b.example"],
        "x" * 60,
        "myco.sms.Gateway",
        False,
    ]


def test_settings_defaults_are_local_postgres_and_redis_and_production_hardening():
    got = _settings_in_subprocess(
        {"TESTING": "0"},
        "[s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL,"
        " s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.LANGUAGE_CODE, s.TIME_ZONE]",
    )
    assert got == [
        "django.db.backends.postgresql",
        "127.0.0.1",
        "redis://127.0.0.1:6379/0",
        False,
        True,
        True,
        31536000,
        "zh-hans",
        "Asia/Shanghai",
    ]


@pytest.mark.django_db
def test_every_role_group_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    # the auditor joined (issue 14), the compliance officer (issue 17), marketing and the care
    # supervisor (issue 21)
    assert len(Role) == 18
    pm = Group.objects.get(name="system_admin")
    assert pm.permissions.filter(codename="view_auditentry").exists()


@pytest.mark.django_db
def test_user_has_role_follows_groups():
    user = UserFactory(roles=[Role.UNDERWRITER])
    assert user_has_role(user, Role.UNDERWRITER)
    assert not user_has_role(user, Role.FINANCE_APPROVER)
    assert user.is_staff  # back-office roles may open the admin


@pytest.mark.django_db(transaction=True)
def test_audit_row_is_written_in_the_callers_transaction_and_rolls_back_with_it():
    user = UserFactory()
    cal = BusinessCalendar.objects.create(current_date=dt.date(2026, 1, 5))
    with transaction.atomic():
        audit_record(actor=user, obj=cal, action="test", from_state="a", to_state="b", reason="why")
    assert AuditEntry.objects.count() == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=user, obj=cal, action="test", from_state="b", to_state="c")
        raise RuntimeError("the change fails")
    rows = list(audit_trail_for(cal))
    assert [(r.from_state, r.to_state, r.actor_id, r.reason) for r in rows] == [
        ("a", "b", user.pk, "why")
    ]


@pytest.mark.django_db
def test_audit_names_a_system_actor():
    cal = BusinessCalendar.objects.create(current_date=dt.date(2026, 1, 5))
    entry = audit_record(actor="eod-batch", obj=cal, action="x")
    assert entry.actor is None and entry.actor_label == "eod-batch"


@pytest.mark.django_db
def test_business_date_moves_only_explicitly():
    bd.business_date_set(actor="test", date=dt.date(2026, 3, 31), reason="setup")
    assert bd.business_date_current() == dt.date(2026, 3, 31)
    assert bd.business_date_current() == dt.date(2026, 3, 31)  # reading never moves it
    with pytest.raises(bd.BusinessDateError):
        bd.business_date_advance(actor="test", expected=dt.date(2026, 3, 30))
    assert bd.business_date_current() == dt.date(2026, 3, 31)
    assert bd.business_date_advance(actor="test", expected=dt.date(2026, 3, 31)) == dt.date(
        2026, 4, 1
    )
    assert bd.business_date_current() == dt.date(2026, 4, 1)
    trail = list(audit_trail_for(BusinessCalendar.objects.get()))
    assert [(t.action, t.from_state, t.to_state) for t in trail][-1] == (
        "business_date_advance",
        "2026-03-31",
        "2026-04-01",
    )


@pytest.mark.django_db
def test_postings_carry_the_next_date_while_the_batch_closes():
    bd.business_date_set(actor="test", date=dt.date(2026, 6, 30), reason="setup")
    assert bd.business_date_for_posting() == dt.date(2026, 6, 30)
    bd.business_date_closing_start(actor="eod", date=dt.date(2026, 6, 30))
    assert bd.business_date_for_posting() == dt.date(2026, 7, 1)
    assert bd.business_date_current() == dt.date(2026, 6, 30)
    bd.business_date_advance(actor="eod", expected=dt.date(2026, 6, 30))
    assert bd.business_date_for_posting() == dt.date(2026, 7, 1)
    assert not BusinessCalendar.objects.get().closing


def test_money_helpers():
    assert format_cny(Decimal("1234.5")) == "¥1,234.50"
    assert format_cny(Decimal("-0.005")) == "-¥0.01"
    assert format_cny("1234567.891") == "¥1,234,567.89"
    assert quantize_fen("2.675") == Decimal("2.68")  # ROUND_HALF_UP on the decimal, no float
    with pytest.raises(TypeError):
        quantize_fen(2.675)


def test_personal_data_encryption_and_keyed_hash():
    token = encrypt("11010519491231002X")
    assert "1101" not in token and decrypt(token) == "11010519491231002X"
    assert keyed_hash("11010519491231002x") == keyed_hash(" 11010519491231002X")
    assert keyed_hash("110105194912310021") != keyed_hash("11010519491231002X")
    assert mask("13800138000", keep_start=3, keep_end=4) == "138****8000"


def test_api_schema_and_docs_are_served(client):
    resp = client.get("/api/schema/")
    assert resp.status_code == 200
    assert b"openapi" in resp.content and b"AutoFin API" in resp.content
    assert client.get("/api/docs/").status_code == 200
    root = client.get("/api/v1/")
    assert root.status_code == 200 and "schema" in root.json()


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    client.force_login(UserFactory(is_staff=True))  # details are for staff (issue 14)
    resp = client.get("/healthz")
    body = resp.json()
    assert resp.status_code == 200, body
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True and body["database"]["engine"] == "postgresql"
    assert body["broker"]["ok"] is True and body["broker"]["redis_version"]


@pytest.mark.django_db
def test_login_throttling_blocks_after_repeated_failures(client, redis_client, settings):
    settings.LOGIN_THROTTLE_LIMIT = 3
    user = UserFactory(username="throttled-user")
    for _ in range(3):
        resp = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
        assert resp.status_code == 200
        assert "_auth_user_id" not in client.session
    # Now even the right password is refused, with the throttling message.
    resp = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "登录失败次数过多" in resp.content.decode()


@pytest.mark.django_db
def test_login_and_logout_work(client, redis_client):
    user = UserFactory(username="okay-user")
    resp = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_home_page_is_chinese_by_default_and_english_on_request(client):
    zh = client.get("/")
    assert zh.status_code == 200 and "买车，分期更轻松" in zh.content.decode()
    en = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Buy a car, pay in instalments" in en.content.decode()
