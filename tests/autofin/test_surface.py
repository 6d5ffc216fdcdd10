"""Issue 14, login and surface: one login throttle for every form, security headers, sessions
and re-authentication, anonymous limits, and the security log."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from autofin.models import OutboundMessage, SecurityEvent, SecurityEventKind
from autofin.parsers import json_depth
from autofin.reauth import SESSION_KEY
from autofin.roles import Role, roles_sync
from autofin.security_log import security_event_record, security_log_prune
from origination.models.signup import SmsCode
from servicing.models.repayments import PaymentOrder, Repayment
from tests.factories import PASSWORD, UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

ROOT = Path(__file__).resolve().parents[2]
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _fresh_cache(redis_client):
    # Throttle and rate counters live in the cache: each test starts with none.
    cache.clear()
    yield
    cache.clear()


def _admin_login(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- 1. one throttle for every login form ------------------------------------------------------


@pytest.mark.django_db
def test_admin_login_locks_the_account_after_5_failures_but_not_a_colleague_behind_the_address(
    client,
):
    staff = UserFactory(username="ops-anna", is_staff=True)
    colleague = UserFactory(username="ops-bo", is_staff=True)
    for _ in range(5):
        response = _admin_login(client, staff.username, "wrong")
        assert response.status_code == 200 and not _signed_in(client)

    # The right password no longer gets in, with the throttling message.
    refused = _admin_login(client, staff.username, PASSWORD)
    assert not _signed_in(client)
    assert "登录失败次数过多" in refused.content.decode()

    # A colleague who has not failed, from the same address, still signs in.
    ok = _admin_login(client, colleague.username, PASSWORD)
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(colleague.pk)


@pytest.mark.django_db
def test_an_account_locked_on_the_main_login_cannot_get_in_through_the_admin(client):
    staff = UserFactory(username="ops-chen", is_staff=True)
    for _ in range(5):
        client.post(reverse("login"), {"username": staff.username, "password": "x"})
    response = _admin_login(client, staff.username, PASSWORD, ip="10.9.9.9")
    assert not _signed_in(client) and "登录失败次数过多" in response.content.decode()


@pytest.mark.django_db
def test_an_address_spraying_many_accounts_is_stopped_but_known_accounts_there_are_not(
    client, settings
):
    settings.LOGIN_THROTTLE_ADDRESS_LIMIT = 6
    regular = UserFactory(username="office-regular")
    newcomer = UserFactory(username="office-newcomer")
    # The regular has signed in from the office address before.
    assert _admin_login(client, regular.username, PASSWORD, ip="10.1.1.1").status_code == 200
    client.post(reverse("login"), {"username": regular.username, "password": PASSWORD},
                REMOTE_ADDR="10.1.1.1")  # fmt: skip
    assert _signed_in(client)
    client.logout()
    # Someone at the same address tries six different accounts once each.
    for n in range(6):
        client.post(reverse("login"), {"username": f"victim{n}", "password": "123456"},
                    REMOTE_ADDR="10.1.1.1")  # fmt: skip

    refused = client.post(
        reverse("login"),
        {"username": newcomer.username, "password": PASSWORD},
        REMOTE_ADDR="10.1.1.1",
    )
    assert not _signed_in(client) and "登录失败次数过多" in refused.content.decode()
    # ... from another address the newcomer gets in; the regular gets in from the office.
    client.post(reverse("login"), {"username": newcomer.username, "password": PASSWORD},
                REMOTE_ADDR="10.2.2.2")  # fmt: skip
    assert client.session["_auth_user_id"] == str(newcomer.pk)
    client.logout()
    client.post(reverse("login"), {"username": regular.username, "password": PASSWORD},
                REMOTE_ADDR="10.1.1.1")  # fmt: skip
    assert client.session["_auth_user_id"] == str(regular.pk)


# --- 2. headers, sessions, re-authentication ---------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_a_csp_without_inline_scripts_and_signed_in_pages_are_not_stored(client):
    anonymous = client.get("/")
    csp = anonymous["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert script_src.strip() == "'self'"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in anonymous["Permissions-Policy"]

    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    page = client.get(reverse("servicing:my_loans"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]


def test_templates_have_no_inline_scripts_or_event_handlers():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", text):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []


def test_swagger_ui_is_served_from_our_static_files_without_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_sessions_last_12_hours_idle(settings):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_SECONDS == 12 * 3600


@pytest.mark.django_db
def test_a_session_idle_past_the_limit_is_signed_out(client, settings):
    user = UserFactory(roles=[Role.CUSTOMER])
    client.force_login(user)
    assert client.get(reverse("servicing:my_loans")).status_code == 200
    session = client.session
    session["_autofin_seen_at"] = (
        int(timezone.now().timestamp()) - settings.SESSION_IDLE_SECONDS - 1
    )
    session.save()
    response = client.get(reverse("servicing:my_loans"))
    assert response.status_code == 302 and reverse("login") in response.url
    assert not _signed_in(client)
    assert SecurityEvent.objects.filter(kind="logout", actor=user).count() == 1


def _age_auth(client, seconds: int) -> None:
    session = client.session
    session[SESSION_KEY] = int(timezone.now().timestamp()) - seconds
    session.save()


@pytest.mark.django_db
def test_a_manual_repayment_needs_a_recent_password_and_posts_after_re_entry(client, settings):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    client.force_login(agent)
    _age_auth(client, settings.REAUTH_MAX_AGE_SECONDS + 1)
    url = reverse("servicing:loan_manual_repayment", args=[loan.pk])
    detail = reverse("servicing:loan_detail", args=[loan.pk])
    body = {"amount": "10377.97", "evidence": "工行 8899", "token": "reauth-1"}

    # Given an old sign-in, the posting is sent to re-authentication and nothing is posted.
    refused = client.post(url, body, HTTP_REFERER=f"http://testserver{detail}")
    assert refused.status_code == 302
    assert refused.url.startswith(reverse("reauth") + "?next=")
    assert Repayment.objects.count() == 0

    # A wrong password does not count as proof.
    wrong = client.post(refused.url, {"password": "nope", "next": detail})
    assert wrong.status_code == 200 and "密码不正确" in wrong.content.decode()
    assert client.post(url, body).status_code == 302 and Repayment.objects.count() == 0

    # The right one sends the agent back to the page; the posting then goes through.
    back = client.post(refused.url, {"password": PASSWORD, "next": detail})
    assert back.status_code == 302 and back.url == detail
    assert client.post(url, body).status_code == 302
    assert list(Repayment.objects.values_list("amount", flat=True)) == [Decimal("10377.97")]
    kinds = list(
        SecurityEvent.objects.filter(actor=agent).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["login_success", "reauth_failure", "reauth_success", "money_action"]
    money = SecurityEvent.objects.get(kind="money_action")
    assert money.detail == {"view": "loan_manual_repayment", "args": {"loan_id": str(loan.pk)}}
    assert money.status_code == 302 and money.path == url


@pytest.mark.django_db
def test_the_role_check_comes_before_re_authentication(client, settings):
    loan = make_loan()
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    _age_auth(client, settings.REAUTH_MAX_AGE_SECONDS + 1)
    url = reverse("servicing:loan_manual_repayment", args=[loan.pk])
    assert client.post(url, {"amount": "1.00", "token": "x"}).status_code == 403


# --- 3. anonymous surface ----------------------------------------------------------------------


@pytest.fixture
def sms_day(db):
    from autofin.business_date import business_date_set

    business_date_set(actor="test", date=dt.date(2026, 3, 2), reason="tests")


@pytest.mark.django_db
def test_sign_up_answers_the_same_for_a_registered_phone(client, sms_day):
    UserFactory(username="13611110001", phone="13611110001")
    new = client.post("/apply/signup/", {"phone": "13611110002", "action": "send_code"})
    taken = client.post("/apply/signup/", {"phone": "13611110001", "action": "send_code"})

    def visible(response) -> str:
        # the page minus its per-request CSRF token
        return (
            re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode())
            .replace("13611110002", "PHONE")
            .replace("13611110001", "PHONE")
        )

    assert (new.status_code, taken.status_code) == (200, 200)
    assert visible(new) == visible(taken)
    # The registered phone's owner is told to sign in; no code is ever sent to it.
    note = OutboundMessage.objects.get(to="13611110001")
    assert "该手机号已注册" in note.body and not re.search(r"\d{6}", note.body)
    assert re.search(r"\d{6}", OutboundMessage.objects.get(to="13611110002").body)
    # Trying to sign up on it fails like a wrong code does.
    attempt = client.post(
        "/apply/signup/",
        {"phone": "13611110001", "code": "123456", "display_name": "冒名",
         "password": "Car-Loan-2026!", "action": "signup"},
    )  # fmt: skip
    assert "验证码错误或已过期。" in attempt.content.decode()
    assert "已注册" not in attempt.content.decode()


@pytest.mark.django_db
def test_sms_codes_are_limited_per_phone_and_per_address(client, sms_day, settings):
    from origination.services.applications.errors import ApplicationValidationError
    from origination.services.signup import sms_code_send

    settings.SMS_CODES_PER_PHONE_PER_HOUR = 2
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 3
    sms_code_send(phone="13611110003", purpose="signup")
    sms_code_send(phone="13611110003", purpose="contact_change")
    with pytest.raises(ApplicationValidationError) as exc:
        sms_code_send(phone="13611110003", purpose="contract_sign")
    assert exc.value.errors == {"phone": ["短信发送次数过多，请稍后再试。"]}
    assert SmsCode.objects.count() == 2

    # One address asking for codes to many numbers: the fourth is refused.
    for n in range(4, 7):
        client.post("/apply/signup/", {"phone": f"1361111000{n}", "action": "send_code"},
                    REMOTE_ADDR="10.3.3.3")  # fmt: skip
    refused = client.post(
        "/apply/signup/", {"phone": "13611110007", "action": "send_code"}, REMOTE_ADDR="10.3.3.3"
    )
    assert "短信发送次数过多" in refused.content.decode()
    assert SmsCode.objects.count() == 5
    assert not OutboundMessage.objects.filter(to="13611110007").exists()


@pytest.mark.django_db
def test_pdf_and_csv_schedules_are_rate_limited_per_address(client, settings):
    settings.HEAVY_ENDPOINT_RATE_PER_MINUTE = 2
    url = "/quotes/00000000-0000-0000-0000-000000000000/schedule.pdf"
    codes = [client.get(url, REMOTE_ADDR="10.4.4.4").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    assert client.get(url, REMOTE_ADDR="10.5.5.5").status_code == 404  # another caller
    # The HTML page is cheap and not counted.
    html = "/quotes/00000000-0000-0000-0000-000000000000/schedule/"
    assert client.get(html, REMOTE_ADDR="10.4.4.4").status_code == 404


@pytest.mark.django_db
def test_healthz_tells_anonymous_callers_only_ok(client, settings):
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "ok"}
    client.force_login(UserFactory(is_staff=True))
    staff = client.get("/healthz").json()
    assert staff["database"]["engine"] == "postgresql" and staff["broker"]["ok"] is True
    client.logout()
    settings.HEALTHZ_DETAIL_TOKEN = "monitor-token"
    assert client.get("/healthz", HTTP_X_HEALTHZ_TOKEN="wrong").json() == {"status": "ok"}
    assert "database" in client.get("/healthz", HTTP_X_HEALTHZ_TOKEN="monitor-token").json()


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": "[[[{{{", "b": [1, [2]]}') == 3
    assert json_depth('"\\"[["') == 0


@pytest.mark.django_db
def test_deeply_nested_or_oversized_json_is_a_400_not_a_500(client, settings):
    deep = "[" * 2000 + "]" * 2000
    response = client.post("/api/v1/quotes/", deep, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套层数过深" in response.json()["detail"]
    body = json.dumps({"price": "1" * 2000})
    settings.API_MAX_BODY_BYTES = 1000
    big = client.post("/api/v1/quotes/", body, content_type="application/json")
    assert big.status_code == 400 and "请求内容过大" in big.json()["detail"]
    # An ordinary body still reaches the view (which names what is wrong with it).
    ordinary = client.post("/api/v1/quotes/", {"price": "x"}, content_type="application/json")
    assert ordinary.status_code == 400 and "errors" in ordinary.json()


@pytest.mark.django_db
@pytest.mark.parametrize("quote_id", ["abc", "1.5", "-3", "99999999999999999999999", "", "１２"])
def test_a_bad_payoff_quote_id_is_a_400_with_a_plain_message(client, quote_id):
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912340000")
    loan = make_loan(customer=customer)
    set_day(dt.date(2026, 2, 15))
    client.force_login(customer)
    response = client.post(
        reverse("servicing:my_loan_payoff", args=[loan.pk]),
        {"action": "pay", "quote_id": quote_id, "token": "t"},
    )
    assert response.status_code == 400
    assert "结清报价无效，请重新生成报价。" in response.content.decode()
    assert PaymentOrder.objects.count() == 0


# --- 4. the security log -----------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_ins_sign_outs_and_refusals_are_logged(client):
    user = UserFactory(username="log-me")
    client.post(reverse("login"), {"username": "log-me", "password": "bad"}, REMOTE_ADDR="10.6.6.6")
    client.post(reverse("login"), {"username": "no-such-user", "password": "secret-typed"})
    client.post(reverse("login"), {"username": "log-me", "password": PASSWORD})
    client.get(reverse("servicing:loan_search"))  # a customer-less user: 403
    client.post(reverse("logout"))
    rows = list(SecurityEvent.objects.order_by("id").values_list("kind", "actor_label", "ip"))
    assert rows == [
        ("login_failure", "log-me", "10.6.6.6"),
        ("login_failure", "unknown", "127.0.0.1"),
        ("login_success", "log-me", "127.0.0.1"),
        ("permission_denied", "log-me", "127.0.0.1"),
        ("logout", "log-me", "127.0.0.1"),
    ]
    denied = SecurityEvent.objects.get(kind="permission_denied")
    assert (denied.path, denied.status_code, denied.actor_id) == ("/servicing/loans/", 403, user.pk)
    # A name that is no account (perhaps a password typed in the wrong box) is never stored.
    assert not SecurityEvent.objects.filter(detail__icontains="no-such-user").exists()


@pytest.mark.django_db
def test_password_and_api_token_changes_are_logged_as_key_changes():
    from rest_framework.authtoken.models import Token

    user = UserFactory()
    user.set_password("Another-Passw0rd!")
    user.save()
    token = Token.objects.create(user=user)
    token.delete()
    user.save(update_fields=["last_login"])  # not a password change
    assert list(SecurityEvent.objects.order_by("id").values_list("kind", "detail")) == [
        ("key_change", {"what": "password"}),
        ("key_change", {"what": "api_token"}),
        ("key_change", {"what": "api_token", "change": "revoked"}),
    ]


@pytest.mark.django_db
def test_the_security_log_is_append_only_and_kept_at_least_180_days():
    user = UserFactory()
    row = security_event_record(kind=SecurityEventKind.LOGIN_SUCCESS, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        SecurityEvent.objects.filter(pk=row.pk).update(actor_label="someone else")
    with pytest.raises(IntegrityError), transaction.atomic():
        SecurityEvent.objects.filter(pk=row.pk).delete()
    row.refresh_from_db()
    assert row.actor_label == user.username
    # Deleting the user keeps the row, naming the account.
    user.delete()
    row.refresh_from_db()
    assert (row.actor_id, row.actor_label) == (None, user.username)


@pytest.mark.django_db
def test_retention_deletes_only_rows_older_than_the_setting(settings):
    now = timezone.now()
    for days in (400, 366, 364, 10):
        SecurityEvent.objects.create(
            kind="login_failure", actor_label=f"{days}d", created_at=now - dt.timedelta(days=days)
        )
    settings.SECURITY_LOG_RETENTION_DAYS = 365
    assert security_log_prune(now=now) == 2
    assert sorted(SecurityEvent.objects.values_list("actor_label", flat=True)) == ["10d", "364d"]


@pytest.mark.django_db
def test_a_retention_under_180_days_is_refused(settings):
    for days in (200, 10):
        SecurityEvent.objects.create(
            kind="login_failure", created_at=timezone.now() - dt.timedelta(days=days)
        )
    settings.SECURITY_LOG_RETENTION_DAYS = 90
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError, match="autofin.E901"):
        call_command("check")
    with pytest.raises(ImproperlyConfigured, match="at least 180 days"):
        security_log_prune()
    assert SecurityEvent.objects.count() == 2
    # and the database refuses whatever the code says
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM autofin_securityevent WHERE created_at > now() - interval '11 days'"
        )


@pytest.mark.django_db
def test_the_auditor_reads_the_security_log_and_audit_trail_and_changes_nothing(client):
    roles_sync()
    auditor = UserFactory(roles=[Role.AUDITOR])
    assert auditor.is_staff
    row = security_event_record(kind=SecurityEventKind.LOGIN_FAILURE, label="unknown")
    client.force_login(auditor)
    listing = client.get("/admin/autofin/securityevent/")
    assert listing.status_code == 200 and "unknown" in listing.content.decode()
    assert client.get("/admin/autofin/auditentry/").status_code == 200
    assert client.get(f"/admin/autofin/securityevent/{row.pk}/delete/").status_code == 403
    assert client.post(f"/admin/autofin/securityevent/{row.pk}/change/", {}).status_code == 403
    assert client.get("/admin/autofin/user/").status_code == 403
    assert SecurityEvent.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_api_and_customer_money_posts_are_logged_as_money_actions(client):
    loan = make_loan()
    set_day(dt.date(2026, 2, 15))
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    client.force_login(agent)
    url = f"/api/v1/loans/{loan.pk}/repayments/"
    body = {"amount": "10377.97", "evidence": "转账"}
    created = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert created.status_code == 201
    money = SecurityEvent.objects.get(kind="money_action")
    assert (money.actor_id, money.status_code, money.path) == (agent.pk, 201, url)
    assert money.detail == {
        "view": "servicing-api:repayment-create",
        "args": {"loan_id": str(loan.pk)},
    }
    # A read is not a money action.
    client.get(f"/api/v1/loans/{loan.pk}/")
    assert SecurityEvent.objects.filter(kind="money_action").count() == 1


def test_every_api_view_parses_json_through_the_limited_parser():
    """No view swaps in DRF's plain JSONParser (which recurses until a 500)."""
    from django.urls import get_resolver
    from rest_framework.parsers import JSONParser
    from rest_framework.views import APIView

    from autofin.parsers import LimitedJSONParser

    def views(patterns):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from views(p.url_patterns)
            else:
                cls = getattr(p.callback, "cls", None) or getattr(p.callback, "view_class", None)
                if cls is not None and issubclass(cls, APIView):
                    yield cls

    checked = 0
    for cls in views(get_resolver().url_patterns):
        for parser in cls().get_parsers():
            if isinstance(parser, JSONParser):
                assert isinstance(parser, LimitedJSONParser), cls
                checked += 1
    assert checked > 10


@pytest.mark.django_db
def test_the_nightly_prune_task_is_scheduled_and_runs(settings):
    from autofin.tasks import security_log_prune as task

    assert settings.CELERY_BEAT_SCHEDULE["security-log-prune"]["task"] == task.name
    SecurityEvent.objects.create(
        kind="logout",
        created_at=timezone.now() - dt.timedelta(days=settings.SECURITY_LOG_RETENTION_DAYS + 1),
    )
    SecurityEvent.objects.create(kind="logout")
    assert task.apply().get() == 1
    assert SecurityEvent.objects.count() == 1
