"""Four eyes (autofin.approvals), shown on product publication: nothing changes until a second,
authorised person approves; the maker cannot approve their own; a rejection changes nothing;
with the policy off the action happens at once; the database refuses a checker who is the maker
and a second open request for the same thing."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from autofin.approvals import (
    ApprovalError,
    FourEyesRequired,
    approval_request_approve,
    approval_request_cancel,
    approval_request_reject,
    four_eyes_action,
)
from autofin.models import ApprovalRequest, AuditEntry
from autofin.policy import POLICIES
from autofin.roles import Role
from origination.approvals import product_version_publish_submit
from origination.models import ProductVersion, RegulatoryLimits
from origination.services.products import (
    ProductRulesInvalidError,
    product_create,
    product_version_publish,
    product_version_update,
)
from tests.audit_trail import audit_trail_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RULES = {
    "terms": [12, 24, 36],
    "max_term_months": 36,
    "methods": ["equal_instalment"],
    "ltv_rules": [
        {"vehicle_kind": "new", "vehicle_use": "personal", "min_down_payment_ratio": "0.20", "max_ltv": "0.80"}
    ],
    "amount_min": D("20000.00"),
    "amount_max": D("500000.00"),
    "day_count": "30/360",
}  # fmt: skip


@pytest.fixture
def pm():
    return UserFactory(username="pm_maker", roles=[Role.PRODUCT_MANAGER])


@pytest.fixture
def pm2(pm):
    return UserFactory(username="pm_checker", roles=[Role.PRODUCT_MANAGER])


@pytest.fixture
def draft(pm):
    product = product_create(
        actor=pm,
        code="fe1",
        name="四眼测试贷",
        vehicle_kind="new",
        contract_type="loan",
        rules=RULES,
        rates=[(t, k, D("0.0600"), None) for t in (12, 24, 36) for k in "ABCD"],
    )
    return product.versions.get(number=1)


def _state(version: ProductVersion) -> tuple:
    version.refresh_from_db()
    return (version.status, version.rules, version.published_at, version.published_by_id)


DRAFT = ("draft", {}, None, None)


def test_every_action_has_a_policy_on_by_default_owned_by_the_system_admin():
    names = [
        "product_publish",
        "loan_restructure",
        "scorecard_promote",
        "strategy_change",
        "rule_set_activate",
    ]
    for action in map(four_eyes_action, names):
        policy = POLICIES[action.policy_key]
        assert (policy.kind, policy.initial, policy.owner) == (bool, "true", Role.SYSTEM_ADMIN)


def test_submitting_changes_nothing_until_a_second_product_manager_approves(pm, pm2, draft):
    submitted = product_version_publish_submit(actor=pm, version=draft, reason="上新")

    assert submitted.pending and submitted.result is None
    request = submitted.request
    assert (request.status, request.action, request.maker, request.checker) == (
        "pending", "product_publish", pm, None,
    )  # fmt: skip
    assert request.payload["rules"]["rates"][0] == {
        "term_months": 12,
        "tier": "A",
        "annual_rate": "0.060000",
    }
    assert _state(draft) == DRAFT
    assert not AuditEntry.objects.filter(action="product_version_publish").exists()

    published = approval_request_approve(request_id=request.pk, checker=pm2, reason="已核对")

    assert (published.status, published.published_by) == ("published", pm2)
    assert published.rules["version"] == 1
    request.refresh_from_db()
    assert (request.status, request.checker, request.check_reason) == ("approved", pm2, "已核对")
    assert request.decided_at is not None
    [entry] = audit_trail_for(published)
    assert (entry.action, entry.actor) == ("product_version_publish", pm2)
    assert entry.data["four_eyes"] == {
        "request": request.pk,
        "action": "product_publish",
        "maker": "pm_maker",
        "checker": "pm_checker",
    }
    assert [(a.action, a.actor) for a in audit_trail_for(request)] == [
        ("four_eyes_submit", pm),
        ("four_eyes_approve", pm2),
    ]


def test_the_maker_cannot_approve_their_own_request(pm, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request

    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=pm)

    assert exc.value.code == "own_request"
    assert _state(draft) == DRAFT
    request.refresh_from_db()
    assert (request.status, request.checker) == ("pending", None)


def test_the_database_refuses_a_checker_who_is_the_maker(pm, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request

    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.filter(pk=request.pk).update(status="approved", checker=pm)


def test_a_checker_without_the_right_cannot_approve_and_nothing_changes(pm, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    analyst = UserFactory(roles=[Role.RISK_ANALYST])  # may look at products, not change them

    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=analyst)

    assert exc.value.code == "forbidden"
    assert _state(draft) == DRAFT
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_a_rejection_needs_a_reason_and_leaves_everything_unchanged(pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request

    with pytest.raises(ApprovalError):
        approval_request_reject(request_id=request.pk, checker=pm2, reason="  ")
    approval_request_reject(request_id=request.pk, checker=pm2, reason="60 期利率未经定价委员会")

    assert _state(draft) == DRAFT
    request.refresh_from_db()
    assert (request.status, request.checker, request.check_reason) == (
        "rejected", pm2, "60 期利率未经定价委员会",
    )  # fmt: skip
    # Decided once: it can be neither approved nor rejected again.
    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=pm2)
    assert exc.value.code == "decided"
    assert _state(draft) == DRAFT
    # A new request may be made after a rejection.
    assert product_version_publish_submit(actor=pm, version=draft).pending


def test_one_open_request_per_action_and_object(pm, pm2, draft):
    product_version_publish_submit(actor=pm, version=draft)

    with pytest.raises(ApprovalError) as exc:
        product_version_publish_submit(actor=pm2, version=draft)

    assert exc.value.code == "duplicate"
    assert ApprovalRequest.objects.count() == 1
    first = ApprovalRequest.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.create(
            action=first.action,
            content_type=first.content_type,
            object_id=first.object_id,
            target_repr="x",
            maker=pm2,
        )


def test_the_maker_may_withdraw_and_nobody_else(pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request

    with pytest.raises(ApprovalError):
        approval_request_cancel(request_id=request.pk, actor=pm2)
    approval_request_cancel(request_id=request.pk, actor=pm)

    request.refresh_from_db()
    assert (request.status, request.checker) == ("cancelled", None)
    assert _state(draft) == DRAFT


def test_a_draft_edited_after_the_request_is_not_published_by_the_approval(pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    product_version_update(actor=pm, version=draft, rules={"max_term_months": 24})

    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=pm2)

    assert exc.value.code == "stale"
    assert _state(draft) == DRAFT
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_rules_that_became_invalid_before_approval_roll_everything_back(pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    # tightened the way the back office does it (the admin's form saves the row)
    RegulatoryLimits.objects.update_or_create(pk=1, defaults={"ltv_personal": D("0.7500")})

    with pytest.raises(ApprovalError):
        approval_request_approve(request_id=request.pk, checker=pm2)

    assert _state(draft) == DRAFT
    request.refresh_from_db()
    assert (request.status, request.checker) == ("pending", None)
    assert not AuditEntry.objects.filter(action="four_eyes_approve").exists()


def test_invalid_rules_are_refused_at_submission_and_nothing_is_stored(pm, draft):
    product_version_update(
        actor=pm,
        version=draft,
        rules={"ltv_rules": [{"vehicle_kind": "new", "vehicle_use": "personal",
                              "min_down_payment_ratio": "0.10", "max_ltv": "0.90"}]},
    )  # fmt: skip

    with pytest.raises(ProductRulesInvalidError):
        product_version_publish_submit(actor=pm, version=draft)

    assert not ApprovalRequest.objects.exists()
    assert _state(draft) == DRAFT


def test_calling_the_service_directly_while_four_eyes_is_on_refuses(pm, draft):
    with pytest.raises(FourEyesRequired):
        product_version_publish(actor=pm, version=draft)

    assert _state(draft) == DRAFT


def test_with_the_policy_off_the_action_happens_at_once(pm, draft, policy):
    policy("four_eyes.product_publish", "false")

    submitted = product_version_publish_submit(actor=pm, version=draft)

    assert not submitted.pending
    assert (submitted.result.status, submitted.result.published_by) == ("published", pm)
    assert not ApprovalRequest.objects.exists()
    [entry] = audit_trail_for(submitted.result)
    assert (entry.action, entry.actor) == ("product_version_publish", pm)
    assert "four_eyes" not in entry.data


# --- pages ---------------------------------------------------------------------------------------


def test_the_queue_shows_the_checker_before_and_after_and_approves(client, pm, pm2, draft):
    product_version_update(
        actor=pm, version=draft, rules={"terms": [12, 24], "max_term_months": 24}
    )
    client.force_login(pm)
    response = client.post(reverse("origination:product_publish", args=["fe1", 1]), follow=True)
    assert "已提交复核" in response.content.decode()
    assert _state(draft) == DRAFT

    client.force_login(pm2)
    html = client.get(reverse("approvals")).content.decode()
    assert "产品版本发布" in html and pm.display_name in html
    flat = "".join(html.split())
    assert "<th>在售版本</th><td>—</td><td><strong>v1</strong></td>" in flat
    assert "<th>最长期限（月）</th><td>—</td><td><strong>24</strong></td>" in flat
    [request] = ApprovalRequest.objects.all()
    response = client.post(reverse("approval_approve", args=[request.pk]), {"reason": "ok"})
    assert response.status_code == 302
    assert _state(draft)[0] == "published"
    assert draft.max_term_months == 24


def test_the_maker_sees_their_request_to_withdraw_but_no_approve_button(client, pm, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    client.force_login(pm)

    html = client.get(reverse("approvals")).content.decode()

    assert reverse("approval_cancel", args=[request.pk]) in html
    assert reverse("approval_approve", args=[request.pk]) not in html
    client.post(reverse("approval_approve", args=[request.pk]))
    assert _state(draft) == DRAFT
    client.post(reverse("approval_cancel", args=[request.pk]))
    assert ApprovalRequest.objects.get(pk=request.pk).status == "cancelled"


def test_reject_from_the_page_changes_nothing(client, pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    client.force_login(pm2)

    client.post(reverse("approval_reject", args=[request.pk]), {"reason": ""})
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"
    client.post(reverse("approval_reject", args=[request.pk]), {"reason": "费率有误"})

    assert ApprovalRequest.objects.get(pk=request.pk).status == "rejected"
    assert _state(draft) == DRAFT


def test_people_without_the_right_see_nothing_and_cannot_decide(client, pm, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    client.force_login(agent)

    assert "四眼测试贷" not in client.get(reverse("approvals")).content.decode()
    assert client.post(reverse("approval_approve", args=[request.pk])).status_code == 403
    assert (
        client.post(reverse("approval_reject", args=[request.pk]), {"reason": "x"}).status_code
        == 403
    )
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    assert client.get(reverse("approvals")).status_code == 403
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"
    assert _state(draft) == DRAFT


def test_approval_locks_the_request_so_two_checkers_cannot_both_execute(pm, pm2, draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request = product_version_publish_submit(actor=pm, version=draft).request

    with CaptureQueriesContext(connection) as queries:
        approval_request_approve(request_id=request.pk, checker=pm2)

    locks = [
        q["sql"] for q in queries if 'FROM "autofin_approvalrequest"' in q["sql"]
        and "FOR UPDATE" in q["sql"]
    ]  # fmt: skip
    assert len(locks) == 1
    # The lock comes before any change the action makes.
    first_write = next(
        i for i, q in enumerate(queries) if q["sql"].startswith(("UPDATE", "INSERT"))
    )
    assert (
        queries.captured_queries.index(next(q for q in queries if q["sql"] == locks[0]))
        < first_write
    )
    third = UserFactory(roles=[Role.PRODUCT_MANAGER])
    with pytest.raises(ApprovalError) as exc:
        approval_request_approve(request_id=request.pk, checker=third)
    assert exc.value.code == "decided"


@pytest.mark.django_db(transaction=True)
def test_with_the_policy_off_the_page_publishes_in_its_own_transaction(client):
    # Outside a test transaction: the executor's row locks need the transaction it opens.
    import datetime as dt

    from autofin.models import PolicyValue
    from autofin.policy import POLICY_EPOCH

    PolicyValue.objects.create(
        key="four_eyes.product_publish",
        value="false",
        effective_from=POLICY_EPOCH + dt.timedelta(days=1),
        reason="test",
    )
    pm = UserFactory(roles=[Role.PRODUCT_MANAGER])
    product = product_create(
        actor=pm, code="fe2", name="四眼关闭贷", vehicle_kind="new", contract_type="loan",
        rules=RULES, rates=[(t, k, D("0.0600"), None) for t in (12, 24, 36) for k in "ABCD"],
    )  # fmt: skip
    client.force_login(pm)

    response = client.post(reverse("origination:product_publish", args=["fe2", 1]), follow=True)

    assert "已发布版本 1" in response.content.decode()
    version = product.versions.get(number=1)
    assert (version.status, version.published_by) == ("published", pm)
    assert not ApprovalRequest.objects.exists()


def test_the_admin_publish_action_submits_for_review(client, pm, pm2, draft):
    client.force_login(pm)

    response = client.post(
        reverse("admin:origination_productversion_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )

    assert "已提交复核" in response.content.decode()
    assert _state(draft) == DRAFT
    [request] = ApprovalRequest.objects.filter(status="pending")
    approval_request_approve(request_id=request.pk, checker=pm2)
    assert _state(draft)[0] == "published"


# --- API -----------------------------------------------------------------------------------------


def test_the_api_lists_what_will_change_and_decides_like_the_page(client, pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    client.force_login(pm2)

    [item] = client.get("/api/v1/approvals/").json()

    assert (item["id"], item["action"], item["maker"], item["may_check"], item["own"]) == (
        request.pk, "product_publish", "pm_maker", True, False,
    )  # fmt: skip
    assert {"label": "在售版本", "before": "—", "after": "v1", "changed": True} in item["changes"]
    client.force_login(pm)
    own = client.post(
        f"/api/v1/approvals/{request.pk}/approve/", {}, content_type="application/json"
    )
    assert (own.status_code, own.json()["code"]) == (403, "own_request")
    assert _state(draft) == DRAFT
    client.force_login(pm2)
    ok = client.post(
        f"/api/v1/approvals/{request.pk}/approve/", {"reason": "核对无误"},
        content_type="application/json",
    )  # fmt: skip
    assert (ok.status_code, ok.json()) == (200, {"id": request.pk, "status": "approved"})
    assert _state(draft)[0] == "published"
    again = client.post(f"/api/v1/approvals/{request.pk}/reject/", {"reason": "x"},
                        content_type="application/json")  # fmt: skip
    assert again.status_code == 409


def test_the_api_refuses_outsiders_and_a_reject_without_reason(client, pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    client.force_login(UserFactory(roles=[Role.CUSTOMER]))
    assert client.get("/api/v1/approvals/").status_code == 403
    url = f"/api/v1/approvals/{request.pk}/approve/"
    assert client.post(url, {}, content_type="application/json").status_code == 403
    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    assert client.get("/api/v1/approvals/").json() == []
    assert client.post(url, {}, content_type="application/json").status_code == 403
    client.force_login(pm2)
    bad = client.post(f"/api/v1/approvals/{request.pk}/reject/", {"reason": ""},
                      content_type="application/json")  # fmt: skip
    assert (bad.status_code, bad.json()["code"]) == (400, "reason")
    missing = client.post("/api/v1/approvals/999999/approve/", {}, content_type="application/json")
    assert missing.status_code == 404
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"
    assert _state(draft) == DRAFT


def test_the_card_names_the_product_by_its_name_not_its_code(client, pm, pm2, draft):
    request = product_version_publish_submit(actor=pm, version=draft).request
    assert request.target_repr == "四眼测试贷 v1"
    client.force_login(pm2)
    html = client.get(reverse("approvals")).content.decode()
    card = html[html.index(f'id="approval-{request.pk}"') :]
    title = re.sub(r"<[^>]+>", "", card[: card.index("</h3>")]).split(">", 1)[1].strip()
    assert title == "产品版本发布：四眼测试贷 v1"  # the name the checker knows, no code
