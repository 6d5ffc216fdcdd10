"""Business policy: values in force by date, append-only and audited, parsed strictly."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from autofin.models import PolicyValue
from autofin.policy import POLICIES, policy_set, policy_value
from autofin.roles import Role, roles_sync
from tests.audit_trail import audit_trail_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_declared_key_has_its_initial_value_after_migrate():
    for key, policy in POLICIES.items():
        assert policy_value(key, on=dt.date(2026, 1, 1)) == policy.parse(policy.initial)


def test_a_new_value_applies_from_its_date_and_is_audited():
    roles_sync()
    admin = UserFactory(roles=[Role.RISK_ANALYST])
    key = "servicing.charge_off_dpd"
    row = policy_set(
        key=key, value="150", effective_from=dt.date(2026, 7, 1), actor=admin, reason="新核销政策"
    )
    assert policy_value(key, on=dt.date(2026, 6, 30)) == 180
    assert policy_value(key, on=dt.date(2026, 7, 1)) == 150
    (entry,) = audit_trail_for(row)
    assert (entry.from_state, entry.to_state, entry.actor_id) == ("180", "150", admin.pk)


@pytest.mark.parametrize("bad", ["1,5", "1_000", "１２", "-5", "abc", "NaN", "12.5"])
def test_bad_values_are_refused_and_nothing_is_written(bad):
    before = PolicyValue.objects.count()
    with pytest.raises(ValidationError):
        policy_set(
            key="servicing.charge_off_dpd",
            value=bad,
            effective_from=dt.date(2026, 7, 1),
            actor="test",
            reason="x",
        )
    assert PolicyValue.objects.count() == before


def test_money_threshold_is_a_decimal():
    value = policy_value("servicing.manual_repayment_approval_threshold", on=dt.date(2026, 1, 1))
    assert value == Decimal("50000.00") and isinstance(value, Decimal)


# --- Editable by the roles that own each key, through the admin, and by no one else ------------

ADD = "/admin/autofin/policyvalue/add/"


def _admin_add(client, key, value, reason="季度政策调整"):
    return client.post(
        ADD, {"key": key, "value": value, "effective_from": "2026-07-01", "reason": reason}
    )


def _a_value_within_bounds(policy) -> str:
    """A value other than the usual defaults that the key's own bounds accept."""
    if policy.kind is bool:
        return "false"
    value = Decimal("7") if policy.kind is int else Decimal("1234.56")
    if policy.minimum is not None and value < policy.minimum:
        value = policy.minimum
    if policy.maximum is not None and value > policy.maximum:
        value = policy.maximum
    return str(int(value)) if policy.kind is int else str(value)


@pytest.mark.parametrize("owner", sorted({p.owner for p in POLICIES.values()}))
def test_each_owning_role_sets_its_keys_in_the_admin_and_the_new_value_rules(client, owner):
    roles_sync()
    person = UserFactory(roles=[owner])
    client.force_login(person)
    key = next(k for k, p in POLICIES.items() if p.owner == owner)
    value = _a_value_within_bounds(POLICIES[key])
    assert client.get(ADD).status_code == 200
    assert _admin_add(client, key, value).status_code == 302
    assert policy_value(key, on=dt.date(2026, 7, 1)) == POLICIES[key].parse(value)
    (entry,) = audit_trail_for(PolicyValue.objects.get(key=key, effective_from="2026-07-01"))
    assert (entry.actor_id, entry.to_state) == (person.pk, value)


def test_a_role_cannot_set_a_key_another_role_owns_in_the_admin_or_the_service(client):
    roles_sync()
    finance = UserFactory(roles=[Role.FINANCE_APPROVER])
    key = "servicing.charge_off_dpd"  # the risk analysts'
    assert POLICIES[key].owner == Role.RISK_ANALYST
    before = list(PolicyValue.objects.values_list("pk", flat=True))
    client.force_login(finance)
    page = _admin_add(client, key, "90")
    # refused by the form: the key is not among the finance approver's choices
    assert page.status_code == 200 and 'value="servicing.charge_off_dpd"' not in page.text
    assert "不在可用的选项中" in page.text
    with pytest.raises(PermissionDenied):
        policy_set(key=key, value="90", effective_from=dt.date(2026, 7, 1), actor=finance,
                   reason="越权")  # fmt: skip
    assert list(PolicyValue.objects.values_list("pk", flat=True)) == before
    assert policy_value(key, on=dt.date(2026, 7, 1)) == 180


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.AUDITOR, Role.SERVICING_AGENT])
def test_roles_owning_no_policy_cannot_add_a_value(client, role):
    roles_sync()
    client.force_login(UserFactory(roles=[role]))
    before = PolicyValue.objects.count()
    assert client.get(ADD).status_code in (302, 403)
    assert _admin_add(client, "servicing.charge_off_dpd", "90").status_code in (302, 403)
    assert PolicyValue.objects.count() == before
