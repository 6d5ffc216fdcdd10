"""Anti-fraud checks across the book: each check, its FraudHit row and the referral it causes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from autofin.crypto import keyed_hash
from risk.models import FraudHit, SeenFact
from risk.selectors.fraud import fraud_hits_by_dealer
from risk.services import decision_make
from tests.risk.engine_support import make_facts

pytestmark = pytest.mark.django_db

ID_A = "110101198501010012"
ID_B = "110101198601010013"
ID_C = "110101198701010014"


def _decide(ref, **kwargs):
    return decision_make(application_ref=ref, facts=make_facts(**kwargs))


def test_same_id_at_another_dealer_within_the_window(hand_scorecard):
    first = _decide("F1-1", id_number=ID_A, vin="VIN-F1-1", dealer__dealer_id=1)
    assert first.outcome == "approve"
    second = _decide("F1-2", id_number=ID_A, vin="VIN-F1-2", dealer__dealer_id=2)
    assert (second.outcome, second.reason_codes) == ("refer", ["F01_ID_MULTI_DEALER"])
    hit = FraudHit.objects.get(application_ref="F1-2")
    assert hit.check_code == "FRAUD_ID_MULTI_DEALER" and hit.dealer_id == 2
    assert hit.evidence == {
        "days": 30,
        "kinds": ["id_number", "phone"],
        "other_dealers": [1],
        "applications": ["F1-1"],
    }


def test_same_id_at_another_dealer_outside_the_window_is_no_hit(hand_scorecard):
    _decide("F1-3", id_number=ID_A, vin="VIN-F1-3", dealer__dealer_id=1)
    SeenFact.objects.filter(application_ref="F1-3").update(
        seen_at=timezone.now() - dt.timedelta(days=31)
    )
    d = _decide("F1-4", id_number=ID_A, vin="VIN-F1-4", dealer__dealer_id=2)
    assert d.outcome == "approve"
    assert FraudHit.objects.count() == 0


def test_same_id_at_the_same_dealer_is_no_hit(hand_scorecard):
    _decide("F1-5", id_number=ID_A, vin="VIN-F1-5")
    d = _decide("F1-6", id_number=ID_A, vin="VIN-F1-6")
    assert d.outcome == "approve"


def test_phone_shared_by_different_applicants(hand_scorecard):
    _decide("F2-1", id_number=ID_A, phone="13712345678", account="acct-1", vin="VIN-F2-1")
    d = _decide("F2-2", id_number=ID_B, phone="13712345678", account="acct-2", vin="VIN-F2-2")
    assert d.reason_codes == ["F02_SHARED_PHONE"]
    assert FraudHit.objects.get(application_ref="F2-2").evidence == {
        "applicants": 2,
        "applications": ["F2-1"],
    }


def test_bank_account_shared_by_different_applicants(hand_scorecard):
    _decide("F3-1", id_number=ID_A, phone="13700000011", account="6222 0000 1111", vin="VIN-F3-1")
    d = _decide(
        "F3-2", id_number=ID_B, phone="13700000012", account="6222-0000-1111", vin="VIN-F3-2"
    )
    assert d.reason_codes == ["F03_SHARED_BANK_ACCOUNT"]


def test_same_vin_financed_twice(hand_scorecard):
    _decide("F4-1", id_number=ID_A, phone="13700000021", account="a21", vin="LSVAU2180N2999999")
    d = _decide("F4-2", id_number=ID_B, phone="13700000022", account="a22", vin="LSVAU2180N2999999")
    assert d.reason_codes == ["F04_VIN_REUSED"]
    assert FraudHit.objects.get(application_ref="F4-2").evidence == {"applications": ["F4-1"]}


def test_salesperson_velocity_above_the_daily_limit(hand_scorecard):
    ids = [f"1101011990010{i:05d}" for i in range(11)]
    outcomes = []
    for i, id_number in enumerate(ids):
        d = _decide(
            f"F5-{i}",
            id_number=id_number,
            phone=f"1370000{i:04d}",
            account=f"acct-v{i}",
            vin=f"VIN-F5-{i}",
            salesperson_id=77,
        )
        outcomes.append(d.reason_codes)
    assert outcomes[:10] == [[]] * 10
    assert outcomes[10] == ["F05_SALES_VELOCITY"]
    assert FraudHit.objects.get(application_ref="F5-10").evidence == {
        "salesperson_id": 77,
        "applications_today": 11,
        "max_per_day": 10,
    }


def test_document_reused_by_another_applicant(hand_scorecard):
    doc = "a" * 64
    _decide(
        "F6-1", id_number=ID_A, phone="13700000031", account="a31", vin="VIN-F6-1", documents=[doc]
    )
    d = _decide(
        "F6-2",
        id_number=ID_B,
        phone="13700000032",
        account="a32",
        vin="VIN-F6-2",
        documents=["b" * 64, doc],
    )
    assert d.reason_codes == ["F06_DOCUMENT_REUSED"]
    assert FraudHit.objects.get(application_ref="F6-2").evidence == {
        "documents": ["aaaaaaaaaaaa"],
        "applications": ["F6-1"],
    }


def test_seen_facts_store_hashes_only(hand_scorecard):
    _decide(
        "F7-1",
        id_number=ID_C,
        phone="13700000041",
        account="a41",
        vin="VIN-F7-1",
        documents=["c" * 64],
    )
    rows = dict(SeenFact.objects.filter(application_ref="F7-1").values_list("kind", "value_hash"))
    assert rows == {
        "id_number": keyed_hash(ID_C),
        "phone": keyed_hash("13700000041"),
        "bank_account": keyed_hash("a41"),
        "vin": keyed_hash("VIN-F7-1"),
        "document": "c" * 64,
    }


def test_fraud_hits_by_dealer(hand_scorecard):
    _decide("F8-1", id_number=ID_A, vin="VIN-F8-1", dealer__dealer_id=1)
    _decide("F8-2", id_number=ID_A, vin="VIN-F8-2", dealer__dealer_id=2)
    _decide("F8-3", id_number=ID_A, vin="VIN-F8-3", dealer__dealer_id=3)
    _decide(
        "F8-4",
        id_number=ID_B,
        phone="13700000051",
        account="a51",
        vin="VIN-F8-1",
        dealer__dealer_id=3,
    )
    since = timezone.now() - dt.timedelta(days=1)
    assert fraud_hits_by_dealer(since=since) == {2: 1, 3: 2}
    assert fraud_hits_by_dealer(since=timezone.now() + dt.timedelta(seconds=1)) == {}
