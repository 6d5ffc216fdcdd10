"""USCC validation, onboarding and the dealer lifecycle (transitions, roles, audit)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from stdnum.cn import uscc as stdnum_uscc

from autofin.models import AuditEntry
from dealers.models.dealers import Dealer, DealerStatus
from dealers.rules import DealerError
from dealers.seed import uscc_make
from dealers.selectors import dealer_can_submit, dealer_funds_account, dealer_risk_facts
from dealers.services import dealer_onboard, dealer_transition, uscc_clean
from tests.audit_trail import audit_trail_for

pytestmark = pytest.mark.django_db


def test_uscc_make_gives_codes_stdnum_accepts():
    code = uscc_make("310115", 1234)
    assert code == "91310115MA0001234" + stdnum_uscc.calc_check_digit("91310115MA0001234")
    assert stdnum_uscc.is_valid(code)
    assert uscc_clean(code.lower()) == code


def test_uscc_known_valid_example_passes_with_spaces():
    assert uscc_clean("9111 0000 6000 3734 1L") == "91110000600037341L"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91110000600037341A", "uscc_checksum"),  # wrong check character
        ("91310115MA00012340", "uscc_checksum"),
        ("9111000060003734", "uscc_format"),  # too short
        ("9111000060003734IL", "uscc_format"),  # I is not in the alphabet
        ("", "uscc_format"),
    ],
)
def test_uscc_invalid_examples_are_refused_with_a_specific_message(value, code):
    with pytest.raises(DealerError) as exc:
        uscc_clean(value)
    assert exc.value.code == code
    assert exc.value.field == "uscc"


def test_onboard_creates_an_applied_dealer_with_an_audit_row(am):
    dealer = dealer_onboard(
        actor=am,
        legal_name="南京金陵汽车销售服务有限公司",
        uscc=uscc_make("320105", 77),
        dealer_type="four_s",
        province="江苏省",
        city="南京市",
        account_manager=am,
    )
    assert dealer.status == DealerStatus.APPLIED
    trail = list(audit_trail_for(dealer))
    assert [(a.action, a.to_state, a.actor_id) for a in trail] == [
        ("dealer_onboard", "applied", am.pk)
    ]


def test_onboard_refuses_a_bad_uscc_and_creates_nothing(am):
    with pytest.raises(DealerError):
        dealer_onboard(
            actor=am,
            legal_name="南京金陵汽车销售服务有限公司",
            uscc="91320105MA00000770",
            dealer_type="four_s",
            province="江苏省",
            city="南京市",
        )
    assert Dealer.objects.count() == 0


def test_full_lifecycle_by_account_manager_and_system_admin(make_dealer, am, sysadmin):
    dealer = make_dealer(status=DealerStatus.APPLIED)
    dealer_transition(actor=am, dealer=dealer, to_status="under_review", reason="资料齐全")
    dealer_transition(actor=am, dealer=dealer, to_status="active", reason="审核通过")
    dealer_transition(actor=am, dealer=dealer, to_status="suspended", reason="逾期率上升")
    dealer_transition(actor=sysadmin, dealer=dealer, to_status="terminated", reason="合作终止")
    dealer.refresh_from_db()
    assert dealer.status == "terminated"
    rows = [
        (a.from_state, a.to_state, a.reason)
        for a in audit_trail_for(dealer).filter(action="dealer_transition")
    ]
    assert rows == [
        ("applied", "under_review", "资料齐全"),
        ("under_review", "active", "审核通过"),
        ("active", "suspended", "逾期率上升"),
        ("suspended", "terminated", "合作终止"),
    ]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("applied", "active"),
        ("applied", "terminated"),
        ("terminated", "active"),
        ("suspended", "under_review"),
        ("active", "active"),
    ],
)
def test_illegal_transitions_are_refused_and_nothing_changes(make_dealer, sysadmin, start, target):
    dealer = make_dealer(status=start)
    audits = AuditEntry.objects.count()
    with pytest.raises(DealerError) as exc:
        dealer_transition(actor=sysadmin, dealer=dealer, to_status=target, reason="试试")
    assert exc.value.code == "illegal_transition"
    dealer.refresh_from_db()
    assert dealer.status == start
    assert AuditEntry.objects.count() == audits


def test_account_manager_may_not_terminate_an_active_dealer(make_dealer, am):
    dealer = make_dealer(status="active")
    with pytest.raises(PermissionDenied):
        dealer_transition(actor=am, dealer=dealer, to_status="terminated", reason="终止")
    dealer.refresh_from_db()
    assert dealer.status == "active"


def test_other_account_manager_may_not_touch_a_dealer_not_theirs(make_dealer, am2):
    dealer = make_dealer(status="active")
    with pytest.raises(PermissionDenied):
        dealer_transition(actor=am2, dealer=dealer, to_status="suspended", reason="x")
    dealer.refresh_from_db()
    assert dealer.status == "active"


def test_dealer_staff_may_not_transition(make_dealer, make_staff):
    dealer = make_dealer(status="applied")
    staff = make_staff(dealer, "dealer_admin")
    with pytest.raises(PermissionDenied):
        dealer_transition(actor=staff.user, dealer=dealer, to_status="under_review", reason="x")


def test_a_reason_is_required(make_dealer, am):
    dealer = make_dealer(status="applied")
    with pytest.raises(DealerError) as exc:
        dealer_transition(actor=am, dealer=dealer, to_status="under_review", reason="  ")
    assert exc.value.field == "reason"


@pytest.mark.parametrize(
    ("status", "can_submit"),
    [
        ("applied", False),
        ("under_review", False),
        ("active", True),
        ("suspended", False),
        ("terminated", False),
    ],
)
def test_only_active_dealers_can_submit(make_dealer, status, can_submit):
    dealer = make_dealer(status=status)
    assert dealer_can_submit(dealer.pk) is can_submit
    # no verified account yet: nobody can receive funds
    assert dealer_funds_account(dealer.pk) is None


def test_risk_facts_are_plain_values(make_dealer):
    dealer = make_dealer(status="active", dealer_type="used")
    assert dealer_risk_facts(dealer_id=dealer.pk) == {
        "dealer_id": dealer.pk,
        "status": "active",
        "grade": None,
        "grade_as_of": None,
        "can_submit": True,
        "can_receive_funds": False,
        "dealer_type": "used",
        "region": {"province": "上海市", "city": "上海市"},
    }
