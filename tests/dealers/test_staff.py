"""Staff invitations and deactivation (sessions and API tokens end)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from autofin.models import OutboundMessage, User
from autofin.roles import Role, user_has_role
from dealers.models.staff import DealerStaff, StaffInvitation
from dealers.rules import DealerError
from dealers.services import staff_deactivate, staff_invitation_accept, staff_invite
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer(make_dealer):
    return make_dealer()


@pytest.fixture
def admin_staff(dealer, make_staff):
    return make_staff(dealer, "dealer_admin")


def test_dealer_admin_invites_a_salesperson_who_accepts(dealer, admin_staff):
    invitation, token = staff_invite(
        actor=admin_staff.user,
        dealer=dealer,
        role="dealer_sales",
        display_name="周倩",
        email="zhouqian@example.com",
        base_url="https://autofin.example/",
    )
    mail = OutboundMessage.objects.get(purpose="dealer_staff_invite")
    assert mail.to == "zhouqian@example.com"
    assert f"https://autofin.example/dealer/invite/{token}/" in mail.body
    assert token not in invitation.token_hash  # only the hash is stored

    staff = staff_invitation_accept(token=token, username="zhouqian", password="Xk9!mote-Qa")
    assert (staff.dealer_id, staff.role, staff.active) == (dealer.pk, "dealer_sales", True)
    user = User.objects.get(username="zhouqian")
    assert user.check_password("Xk9!mote-Qa") and user.display_name == "周倩"
    assert user_has_role(user, Role.DEALER_SALES)
    with pytest.raises(DealerError) as exc:  # a link works once
        staff_invitation_accept(token=token, username="zhouqian2", password="Xk9!mote-Qa")
    assert exc.value.code == "invalid_token"


def test_sms_invitation_when_there_is_no_email(dealer, admin_staff):
    staff_invite(
        actor=admin_staff.user,
        dealer=dealer,
        role="dealer_sales",
        display_name="李娜",
        phone="13912345678",
    )
    assert OutboundMessage.objects.get(purpose="dealer_staff_invite").channel == "sms"


def test_expired_invitation_is_refused_and_creates_no_user(dealer, admin_staff):
    invitation, token = staff_invite(
        actor=admin_staff.user,
        dealer=dealer,
        role="dealer_sales",
        display_name="孙悦",
        email="sy@example.com",
    )
    StaffInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    users = User.objects.count()
    with pytest.raises(DealerError) as exc:
        staff_invitation_accept(token=token, username="sunyue", password="Xk9!mote-Qa")
    assert exc.value.code == "expired"
    assert User.objects.count() == users


def test_weak_password_is_refused(dealer, admin_staff):
    _inv, token = staff_invite(
        actor=admin_staff.user,
        dealer=dealer,
        role="dealer_sales",
        display_name="钱芳",
        email="qf@example.com",
    )
    with pytest.raises(DealerError) as exc:
        staff_invitation_accept(token=token, username="qianfang", password="123")
    assert exc.value.field == "password"
    assert not User.objects.filter(username="qianfang").exists()


def test_dealer_admin_may_not_invite_admins_or_for_other_dealers(dealer, admin_staff, make_dealer):
    with pytest.raises(PermissionDenied):
        staff_invite(
            actor=admin_staff.user,
            dealer=dealer,
            role="dealer_admin",
            display_name="x",
            email="x@example.com",
        )
    with pytest.raises(PermissionDenied):
        staff_invite(
            actor=admin_staff.user,
            dealer=make_dealer(),
            role="dealer_sales",
            display_name="x",
            email="x@example.com",
        )
    assert StaffInvitation.objects.count() == 0


def test_account_manager_invites_the_dealer_admin(dealer, am):
    invitation, _token = staff_invite(
        actor=am, dealer=dealer, role="dealer_admin", display_name="王建国", email="wjg@example.com"
    )
    assert invitation.role == "dealer_admin"


def test_deactivation_ends_sessions_and_tokens(dealer, admin_staff, make_staff):
    sales = make_staff(dealer, "dealer_sales")
    other = make_staff(dealer, "dealer_sales")
    # the salesperson is signed in twice (tablet and phone) and holds an API token
    clients = [Client(), Client()]
    for c in clients:
        assert c.login(username=sales.user.username, password=PASSWORD)
    other_client = Client()
    assert other_client.login(username=other.user.username, password=PASSWORD)
    Token.objects.create(user=sales.user)
    other_token = Token.objects.create(user=other.user)
    # a salesperson's /dealer/ lands on their pipeline (j-codes: the redirect is the point)
    assert clients[0].get("/dealer/", follow=True).status_code == 200
    sessions_before = Session.objects.count()

    staff_deactivate(actor=admin_staff.user, staff_id=sales.pk, reason="离职")

    sales.refresh_from_db()
    sales.user.refresh_from_db()
    assert (sales.active, sales.user.is_active) == (False, False)
    assert not Token.objects.filter(user=sales.user).exists()
    assert Session.objects.count() == sessions_before - 2
    for c in clients:
        assert "/login/" in c.get("/dealer/")["Location"]  # back to the login page
    assert not clients[0].login(username=sales.user.username, password=PASSWORD)
    api = Client(HTTP_AUTHORIZATION=f"Token {other_token.key}")
    assert api.get("/api/v1/dealer/profile/").status_code == 200  # others untouched
    assert other_client.get("/dealer/", follow=True).status_code == 200


def test_deactivation_permissions(dealer, admin_staff, make_staff, make_dealer):
    sales = make_staff(dealer, "dealer_sales")
    foreign_admin = make_staff(make_dealer(), "dealer_admin")
    with pytest.raises(PermissionDenied):
        staff_deactivate(actor=foreign_admin.user, staff_id=sales.pk)
    with pytest.raises(PermissionDenied):  # dealer admins deactivate sales only
        staff_deactivate(actor=sales.user, staff_id=admin_staff.pk)
    sales.refresh_from_db()
    assert sales.active and sales.user.is_active
    assert DealerStaff.objects.filter(active=True).count() == 3
