"""Object-level scoping: every dealer URL and API endpoint, tried by another dealer's user.

The cases are keyed by URL name and checked against the URLconfs: a new URL without a case here
makes test_every_url_has_a_scoping_case fail.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

import dealers.api.urls as api_urls
import dealers.urls as portal_urls
from autofin.business_date import business_date_set
from autofin.models import AuditEntry
from dealers.models.accounts import BankAccountChange
from dealers.models.dealers import DealerLicence
from dealers.models.grading import DealerAlert
from dealers.models.staff import DealerStaff, StaffInvitation
from dealers.services import (
    agreement_create,
    bank_account_change_prepare,
    commission_accrue,
    commission_statement_for_month,
    dealer_kpis_record,
    staff_invite,
)
from tests.factories import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
A_NAME = "甲方宝驰汽车销售服务有限公司"
B_NAME = "乙方瑞丰汽车贸易有限公司"

# kind: "own" (no object in the URL: shows the caller's own dealer), "object" (an object id of
# dealer A: must be 404/403 for B), "back_office" (403 for any dealer user), "token" (public,
# authorised by an invitation token only).
PORTAL_CASES = {
    "portal_home": ("own", None),
    "portal_licence_upload": ("own", None),
    "licence_download": ("object", "licence"),
    "portal_staff": ("own", None),
    "portal_staff_deactivate": ("object", "staff"),
    "portal_agreements": ("own", None),
    "portal_statements": ("own", None),
    "portal_statement_detail": ("object", "statement"),
    "portal_statement_csv": ("object", "statement"),
    "portal_kpis": ("own", None),
    "invite_accept": ("token", None),
    "manager_home": ("back_office", None),
    "manager_onboard": ("back_office", None),
    "manager_dealer": ("back_office", "dealer"),
    "manager_dealer_transition": ("back_office", "dealer"),
    "manager_grade_recompute": ("back_office", "dealer"),
    "manager_bank_change_prepare": ("back_office", "dealer"),
    "manager_invite": ("back_office", "dealer"),
    "manager_bank_change_decide": ("back_office", "change"),
    "manager_alert_resolve": ("back_office", "alert"),
}
API_CASES = {
    "profile": ("own", None),
    "staff": ("own", None),
    "agreements": ("own", None),
    "commissions": ("own", None),
    "statements": ("own", None),
    "statement_detail": ("object", "statement"),
    "kpis": ("own", None),
}


def test_every_url_has_a_scoping_case():
    assert {p.name for p in portal_urls.urlpatterns} == set(PORTAL_CASES)
    assert {p.name for p in api_urls.urlpatterns} == set(API_CASES)


@pytest.fixture
def world(db, make_dealer, make_staff, am, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    business_date_set(actor="test", date=dt.date(2026, 3, 15), reason="test")
    a = make_dealer(name=A_NAME, manager=am)
    b = make_dealer(name=B_NAME, manager=am)
    a_admin = make_staff(a, "dealer_admin")
    a_sales = make_staff(a, "dealer_sales")
    b_admin = make_staff(b, "dealer_admin")
    from autofin.uploads import upload_store

    stored = upload_store(file=io.BytesIO(PDF), subdir=f"dealers/{a.pk}")
    licence = DealerLicence.objects.create(
        dealer=a,
        kind="business_licence",
        original_name="甲方营业执照.pdf",
        path=stored.relative_path,
        sha256=stored.sha256,
        content_type=stored.content_type,
        size=stored.size,
    )
    for dealer, ref in ((a, "HT-A1"), (b, "HT-B1")):
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line="new",
            commission_kind="percent",
            commission_rate="0.01",
            effective_from=dt.date(2026, 1, 1),
        )
        commission_accrue(
            dealer=dealer,
            contract_ref=ref,
            amount_financed="150000",
            funded_on=dt.date(2026, 2, 3),
            product_line="new",
        )
        dealer_kpis_record(
            dealer_id=dealer.pk,
            month=dt.date(2026, 2, 1),
            figures={"applications": 10, "approval_rate": "0.5"},
        )
    statement = commission_statement_for_month(dealer=a, month=dt.date(2026, 2, 1))
    commission_statement_for_month(dealer=b, month=dt.date(2026, 2, 1))
    change = bank_account_change_prepare(
        actor=am,
        dealer=a,
        account_name=A_NAME,
        bank_name="中国银行",
        account_number="6216610000012345",
    )
    alert = DealerAlert.objects.create(
        dealer=a,
        kind="metric",
        metric="fpd_rate",
        as_of=dt.date(2026, 2, 28),
        message=f"{A_NAME} 首期逾期率越限",
    )
    _inv, token = staff_invite(
        actor=am,
        dealer=a,
        role="dealer_admin",
        display_name="甲方管理员",
        email="a-admin@example.com",
    )
    objects = {
        "licence": licence,
        "staff": a_sales,
        "statement": statement,
        "dealer": a,
        "change": change,
        "alert": alert,
    }
    client = Client()
    assert client.login(username=b_admin.user.username, password=PASSWORD)
    token_b = Token.objects.create(user=b_admin.user)
    return {
        "a": a,
        "b": b,
        "objects": objects,
        "client": client,
        "token_b": token_b,
        "a_admin": a_admin,
        "invite_token": token,
    }


def _assert_nothing_leaked(response, a):
    body = response.content.decode("utf-8", errors="replace")
    assert a.legal_name not in body
    assert a.uscc not in body
    assert "甲方" not in body


def _snapshot(world):
    a = world["a"]
    a.refresh_from_db()
    return (
        a.status,
        list(DealerStaff.objects.filter(dealer=a).values_list("pk", "active").order_by("pk")),
        list(BankAccountChange.objects.filter(dealer=a).values_list("pk", "status")),
        list(DealerAlert.objects.filter(dealer=a).values_list("pk", "resolved_at")),
        DealerLicence.objects.filter(dealer=a).count(),
        StaffInvitation.objects.filter(dealer=a).count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PORTAL_CASES))
def test_portal_url_as_another_dealers_user(world, name):
    kind, obj = PORTAL_CASES[name]
    client, a = world["client"], world["a"]
    before = _snapshot(world)
    if kind == "token":
        for token in ("not-a-real-token", "x" * 43):
            for method in (client.get, client.post):
                r = method(reverse(f"dealers:{name}", args=[token]))
                assert r.status_code == 404
                _assert_nothing_leaked(r, a)
        return
    args = [world["objects"][obj].pk] if obj else []
    url = reverse(f"dealers:{name}", args=args)
    get, post = (
        client.get(url),
        client.post(url, {"reason": "x", "decision": "approve", "to_status": "suspended"}),
    )
    if kind == "own":
        assert get.status_code in (200, 405)
        if get.status_code == 200:
            assert B_NAME in get.content.decode()
        assert post.status_code in (200, 302, 403, 405)
    elif kind == "object":
        assert get.status_code in (404, 405)
        assert post.status_code in (404, 405)
    else:  # back office
        assert get.status_code in (403, 405)
        assert post.status_code == 403
    _assert_nothing_leaked(get, a)
    _assert_nothing_leaked(post, a)
    assert _snapshot(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(API_CASES))
def test_api_endpoint_as_another_dealers_user(world, name):
    kind, obj = API_CASES[name]
    api = Client(HTTP_AUTHORIZATION=f"Token {world['token_b'].key}")
    args = [world["objects"][obj].pk] if obj else []
    url = reverse(f"dealers_api:{name}", args=args)
    r = api.get(url)
    if kind == "own":
        assert r.status_code == 200
    else:
        assert r.status_code == 404
    _assert_nothing_leaked(r, world["a"])
    for method in (api.post, api.put, api.delete):
        assert method(url).status_code in (403, 404, 405)
    assert Client().get(url).status_code in (401, 403)  # anonymous


@pytest.mark.django_db
def test_api_own_data_is_visible(world):
    api = Client(HTTP_AUTHORIZATION=f"Token {world['token_b'].key}")
    profile = api.get("/api/v1/dealer/profile/").json()
    assert (profile["legal_name"], profile["uscc"]) == (B_NAME, world["b"].uscc)
    commissions = api.get("/api/v1/dealer/commissions/").json()["results"]
    assert [(c["contract_ref"], c["amount"]) for c in commissions] == [("HT-B1", "1500.00")]


@pytest.mark.django_db
def test_another_account_manager_sees_and_touches_nothing_of_a_dealer_not_theirs(world, am2):
    client = Client()
    client.force_login(am2)
    before = _snapshot(world)
    home = client.get(reverse("dealers:manager_home"))
    assert home.status_code == 200
    _assert_nothing_leaked(home, world["a"])
    for name, (kind, obj) in PORTAL_CASES.items():
        if kind != "back_office" or obj is None:
            continue
        url = reverse(f"dealers:{name}", args=[world["objects"][obj].pk])
        assert client.get(url).status_code in (404, 405), name
        r = client.post(url, {"reason": "x", "decision": "approve", "to_status": "suspended"})
        assert r.status_code == 404, name
        _assert_nothing_leaked(r, world["a"])
    assert _snapshot(world) == before


@pytest.mark.django_db
def test_non_dealer_users_get_403_on_the_portal(world, am2):
    client = Client()
    client.force_login(am2)
    assert client.get(reverse("dealers:portal_home")).status_code == 403
    assert Client().get(reverse("dealers:portal_home")).status_code == 302  # to login
