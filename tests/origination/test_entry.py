"""A customer's way in: log in by phone + SMS code (right code, wrong code, expired code, staff
refused), the home page's entry, and a calculator plan carried into the first step."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from autofin.crypto import keyed_hash
from autofin.models import OutboundMessage, User
from autofin.roles import Role, user_has_role
from origination.models.signup import SmsCode
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_sms_client_limit():
    """Every request here comes from 127.0.0.1: start each test with its hourly count at 0."""
    cache.delete(f"rate:sms-client:{keyed_hash('ip:127.0.0.1')}")


PHONE = "13677778888"


def send_login_code(client, phone=PHONE) -> str:
    r = client.post("/apply/login/", {"phone": phone, "action": "send_code"})
    assert r.status_code == 200
    assert "验证码已发送，请查收短信。" in r.content.decode()
    body = OutboundMessage.objects.get(to=phone, purpose="sms_code_login").body
    return re.search(r"\d{6}", body).group(0)


def test_login_page_offers_phone_code_login_and_sign_up(client):
    page = client.get("/accounts/login/?next=/apply/").content.decode()
    assert "手机号 / 用户名" in page and ">用户名<" not in page
    assert 'href="/apply/login/?next=/apply/"' in page
    assert "用短信验证码登录" in page and 'href="/apply/signup/?next=' in page


def test_home_page_entry_for_visitors_and_customers(client, customer):
    page = client.get("/").content.decode()
    assert "申请贷款" in page and 'id="apply-entry"' in page and "/calculator/" in page
    client.force_login(customer)
    page = client.get("/").content.decode()
    assert 'id="apply-entry"' not in page
    assert "我的申请" in page and "/my/applications/" in page


def test_login_by_right_code_opens_a_customer_account(client, business_today):
    code = send_login_code(client)
    r = client.post("/apply/login/", {"phone": PHONE, "code": code, "action": "login"})
    assert r.status_code == 302 and r.url == "/apply/"
    user = User.objects.get(username=PHONE)
    assert user.phone == PHONE and user_has_role(user, Role.CUSTOMER)
    assert not user.has_usable_password()
    assert client.get("/my/applications/").status_code == 200


def test_login_by_code_signs_in_an_existing_customer_to_next(client, business_today):
    customer = UserFactory(username="13699990000", phone="13699990000", roles=[Role.CUSTOMER])
    code = send_login_code(client, customer.username)
    r = client.post(
        "/apply/login/?next=/my/applications/",
        {"phone": customer.username, "code": code, "action": "login"},
    )
    assert r.status_code == 302 and r.url == "/my/applications/"
    assert int(client.session["_auth_user_id"]) == customer.pk
    assert User.objects.filter(username=customer.username).count() == 1


def test_login_by_wrong_code_is_refused_and_changes_nothing(client, business_today):
    code = send_login_code(client)
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/apply/login/", {"phone": PHONE, "code": wrong, "action": "login"})
    assert r.status_code == 200 and "验证码错误或已过期。" in r.content.decode()
    assert not User.objects.filter(username=PHONE).exists()
    assert "_auth_user_id" not in client.session
    assert SmsCode.objects.get().used_at is None


def test_login_by_expired_code_is_refused(client, business_today):
    code = send_login_code(client)
    SmsCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = client.post("/apply/login/", {"phone": PHONE, "code": code, "action": "login"})
    assert "验证码错误或已过期。" in r.content.decode()
    assert not User.objects.filter(username=PHONE).exists()
    assert "_auth_user_id" not in client.session


def test_a_code_cannot_sign_in_a_staff_account(client, business_today):
    UserFactory(username=PHONE, phone=PHONE, roles=[Role.UNDERWRITER])
    code = send_login_code(client)
    r = client.post("/apply/login/", {"phone": PHONE, "code": code, "action": "login"})
    assert "该账户请使用密码登录。" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_second_code_within_a_minute_is_refused(client, business_today):
    send_login_code(client)
    r = client.post("/apply/login/", {"phone": PHONE, "action": "send_code"})
    assert "验证码已发送，请 1 分钟后再试。" in r.content.decode()
    assert OutboundMessage.objects.filter(to=PHONE).count() == 1
    page = r.content.decode()
    assert "data-countdown-start" not in page


def test_countdown_starts_after_a_code_is_sent(client, business_today):
    r = client.post("/apply/signup/", {"phone": PHONE, "action": "send_code"})
    assert 'data-countdown="60"' in r.content.decode()
    assert "data-countdown-start" in r.content.decode()


def test_calculator_takes_any_price_and_shows_the_balloon(client, seeded):
    r = client.get(
        "/calculator/",
        {"price": "158800", "use": "personal", "p1": "new-std", "d1": "30", "t1": "36",
         "m1": "balloon", "b1": "30", "p2": "new-std", "d2": "30", "t2": "36",
         "m2": "equal_instalment", "p3": "new-std", "d3": "20", "t3": "24",
         "m3": "equal_instalment"},
    )  # fmt: skip
    page = r.content.decode()
    assert 'step="1000"' not in page
    assert "尾款（最后一期）" in page
    balloon = re.search(r'id="balloon-1"><strong>([^<]+)<', page).group(1)
    assert "47,640.00" in balloon  # 30 % of ¥158,800, due with the last instalment
    assert 'id="balloon-2">—<' in page
    link = re.search(r'id="apply-plan-1" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "vehicle_price=158800" in link and "term_months=36" in link
    assert "balloon_ratio=30" in link and "method=balloon" in link


def test_dealer_channel_customer_logs_in_by_code_and_sees_the_application(
    client, products, dealer, salesperson, business_today
):
    """The SMS after a dealer's application says 登录: the phone the dealer entered gets in by
    code, and once the customer confirmed it (the SMS link) the application is theirs to see."""
    from rest_framework.test import APIClient

    from origination.models.applications import Application

    sales = APIClient()
    sales.force_authenticate(salesperson)
    r = sales.post(
        "/api/v1/applications/",
        {"product": "intake-new-std", "vehicle_brand": "比亚迪", "vehicle_model": "汉 EV",
         "vehicle_kind": "new", "vehicle_use": "personal", "vehicle_price": "200000.00",
         "down_payment": "60000.00", "term_months": 36, "method": "equal_instalment",
         "customer_name": "王小明", "customer_mobile": "13812345678"},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    ref = r.json()["reference"]
    Application.objects.filter(reference=ref).update(customer_confirmed_at=timezone.now())
    page = client.get("/accounts/login/").content.decode()
    assert "/apply/login/" in page
    code = send_login_code(client, "13812345678")
    r = client.post(
        "/apply/login/?next=/my/applications/",
        {"phone": "13812345678", "code": code, "action": "login"},
    )
    assert r.status_code == 302 and r.url == "/my/applications/"
    assert ref in client.get("/my/applications/").content.decode()
