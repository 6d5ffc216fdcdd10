"""Business policy: values in force by date, append-only and audited, parsed strictly."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from autofin.models import PolicyValue
from autofin.policy import POLICIES, policy_set, policy_value
from tests.audit_trail import audit_trail_for

pytestmark = pytest.mark.django_db


def test_every_declared_key_has_its_initial_value_after_migrate():
    for key, policy in POLICIES.items():
        assert policy_value(key, on=dt.date(2026, 1, 1)) == policy.parse(policy.initial)


def test_a_new_value_applies_from_its_date_and_is_audited(django_user_model):
    admin = django_user_model.objects.create_user("risk_admin", password="x-Pass-123456")
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
