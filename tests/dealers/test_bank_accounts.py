"""Settlement accounts: name must match, encrypted at rest, maker-checker by two back-office users."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from autofin.crypto import decrypt, keyed_hash
from autofin.roles import Role
from dealers.models.accounts import BankAccountChange, SettlementAccount
from dealers.rules import DealerError
from dealers.selectors import dealer_funds_account, dealer_risk_facts, dealer_settlement_account
from dealers.services import (
    bank_account_change_approve,
    bank_account_change_prepare,
    bank_account_change_reject,
)
from tests.audit_trail import audit_trail_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NUMBER = "6222 0212 3456 7890 123"


@pytest.fixture
def dealer(make_dealer):
    return make_dealer(name="苏州园区奥达汽车销售服务有限公司")


@pytest.fixture
def checker(db):
    return UserFactory(roles=[Role.FINANCE_APPROVER])


def _prepare(actor, dealer, **kw):
    return bank_account_change_prepare(
        actor=actor,
        dealer=dealer,
        account_name=kw.pop("account_name", "苏州园区奥达汽车销售服务有限公司"),
        bank_name="招商银行",
        branch_name="苏州分行",
        account_number=kw.pop("account_number", NUMBER),
        reason="新开户",
        **kw,
    )


def test_prepare_stores_the_number_encrypted_hashed_and_masked(dealer, am):
    change = _prepare(am, dealer)
    assert change.account_number_masked == "6222***********0123"
    assert decrypt(change.account_number_enc) == "6222021234567890123"
    assert change.account_number_hash == keyed_hash(NUMBER)
    assert "6222021234567890123" not in change.account_number_enc


def test_account_name_must_match_the_legal_name(dealer, am):
    with pytest.raises(DealerError) as exc:
        _prepare(am, dealer, account_name="苏州奥达汽车有限公司")
    assert exc.value.code == "name_mismatch"
    assert BankAccountChange.objects.count() == 0
    # full-width vs half-width brackets and spaces do not matter
    d2 = dealer
    d2.legal_name = "奥达汽车（苏州）有限公司"
    d2.save()
    assert _prepare(am, d2, account_name="奥达汽车(苏州) 有限公司").status == "pending"


def test_maker_cannot_approve_own_change_and_nothing_changes(dealer, am):
    change = _prepare(am, dealer)
    with pytest.raises(DealerError) as exc:
        bank_account_change_approve(actor=am, change_id=change.pk)
    assert exc.value.code == "same_user"
    change.refresh_from_db()
    assert change.status == "pending" and change.approved_by is None
    assert SettlementAccount.objects.count() == 0
    assert dealer_settlement_account(dealer_id=dealer.pk) is None


def test_database_refuses_maker_equal_checker(dealer, am):
    change = _prepare(am, dealer)
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccountChange.objects.filter(pk=change.pk).update(approved_by=am)


def test_checker_approval_activates_the_account_and_replaces_the_old(dealer, am, checker):
    first = bank_account_change_approve(actor=checker, change_id=_prepare(am, dealer).pk)
    second_change = _prepare(am, dealer, account_number="6214 8300 0000 1111")
    assert (
        dealer_settlement_account(dealer_id=dealer.pk)["account_id"] == first.pk
    )  # until approved
    second = bank_account_change_approve(
        actor=checker, change_id=second_change.pk, reason="核对无误"
    )
    first.refresh_from_db()
    assert (first.active, second.active, second.verified) == (False, True, True)
    assert dealer_settlement_account(dealer_id=dealer.pk) == {
        "account_id": second.pk,
        "dealer_id": dealer.pk,
        "account_name": "苏州园区奥达汽车销售服务有限公司",
        "bank_name": "招商银行",
        "branch_name": "苏州分行",
        "account_number": "6214830000001111",
        "account_number_masked": "6214********1111",
    }
    second_change.refresh_from_db()
    assert (second_change.status, second_change.approved_by_id, second_change.prepared_by_id) == (
        "approved",
        checker.pk,
        am.pk,
    )
    actions = [a.action for a in audit_trail_for(second_change)]
    assert actions == ["bank_account_change_prepare", "bank_account_change_approve"]
    assert [a.action for a in audit_trail_for(first)] == [
        "settlement_account_activate",
        "settlement_account_deactivate",
    ]
    assert dealer_funds_account(dealer.pk) is not None
    assert dealer_risk_facts(dealer_id=dealer.pk)["can_receive_funds"] is True


def test_one_pending_change_at_a_time_and_reject(dealer, am, checker):
    change = _prepare(am, dealer)
    with pytest.raises(DealerError):
        _prepare(am, dealer)
    bank_account_change_reject(actor=checker, change_id=change.pk, reason="户名与开户许可证不符")
    change.refresh_from_db()
    assert change.status == "rejected"
    assert SettlementAccount.objects.count() == 0
    with pytest.raises(DealerError):  # decided once
        bank_account_change_approve(actor=checker, change_id=change.pk)


def test_dealer_staff_and_foreign_managers_cannot_prepare(dealer, make_staff, am2):
    staff = make_staff(dealer, "dealer_admin")
    with pytest.raises(PermissionDenied):
        _prepare(staff.user, dealer)
    with pytest.raises(PermissionDenied):
        _prepare(am2, dealer)
    assert BankAccountChange.objects.count() == 0
