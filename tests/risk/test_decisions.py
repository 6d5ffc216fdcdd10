"""decision_make end to end: outcomes with exact reason codes, counter-offers, idempotency,
replay, review requests, champion / challenger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autofin.business_date import business_date_current
from autofin.crypto import keyed_hash
from autofin.models import AuditEntry
from autofin.pricing import build_schedule
from autofin.roles import Role
from risk.adapters import (
    TEST_ID_DELINQUENT,
    TEST_ID_MISMATCH,
    TEST_ID_THIN,
    TEST_PHONE_DEACTIVATED,
)
from risk.models import (
    BlacklistEntry,
    Decision,
    DecisionReviewRequest,
    FraudHit,
    ScorecardVersion,
    ScoreRecord,
    SeenFact,
    Strategy,
)
from risk.services import (
    decision_make,
    decision_replay,
    decision_review_request,
    scorecard_challenger_set,
)
from risk.services.scorecards import traffic_bucket
from tests import approvals_support
from tests.audit_trail import audit_trail_for
from tests.factories import UserFactory
from tests.risk.engine_support import HAND_ARTEFACT, make_facts

pytestmark = pytest.mark.django_db


def _instalment(amount: str, rate: str, term: int) -> Decimal:
    s = build_schedule(
        amount_financed=Decimal(amount),
        annual_rate=Decimal(rate),
        term_months=term,
        method="equal_instalment",
        value_date=business_date_current(),
        day_count="30/360",
    )
    return max(r.instalment for r in s.rows)


def test_clean_application_is_approved_at_tier_a_rate(hand_scorecard):
    d = decision_make(application_ref="APP-1", facts=make_facts())
    assert d.outcome == "approve"
    assert d.score == 600 and d.tier == "A"
    assert d.reasons == []
    assert [c["code"] for c in d.conditions] == ["MORTGAGE_REGISTRATION"]
    assert d.annual_rate == Decimal("0.059900")
    assert d.offer["amount_financed"] == "140000.00"
    assert d.offer["term_months"] == 36
    assert d.offer["instalment"] == "4258.44"
    assert Decimal(d.offer["instalment"]) == _instalment("140000", "0.0599", 36)
    # Limit: the tightest of amount max 500,000, LTV cap 0.80 x 200,000 = 160,000, down payment
    # 20 % -> 160,000, and 50 % of 30,000 income over 36 months at 5.99 % (~493,000).
    assert d.suggested_limit == Decimal("160000.00")
    assert d.scorecard_version == hand_scorecard
    assert d.facts["deal"]["price"] == "200000.00"
    assert d.inputs["bureau"]["max_dpd_24m"] == 0
    assert ScoreRecord.objects.filter(application_ref="APP-1", role="champion").count() == 1
    entry = audit_trail_for(d).get()
    assert (entry.action, entry.to_state, entry.actor_label) == (
        "decision_make",
        "approve",
        "risk-engine",
    )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"applicant__age_at_maturity": 66}, "D01_AGE"),
        ({"applicant__age": 17}, "D01_AGE"),
        ({"id_number": TEST_ID_MISMATCH}, "D03_ID_MISMATCH"),
        ({"deal__ltv": "0.8500"}, "D04_LTV_CAP"),
        ({"dealer__status": "suspended"}, "D05_DEALER_SUSPENDED"),
    ],
)
def test_hard_rules_decline_with_their_reason_code(hand_scorecard, kwargs, code):
    d = decision_make(application_ref="APP-D", facts=make_facts(**kwargs))
    assert d.outcome == "decline"
    assert d.reason_codes == [code]
    assert d.reasons[0]["kind"] == "decline"
    assert d.offer == {} and d.annual_rate is None


def test_blacklisted_id_is_declined(hand_scorecard):
    BlacklistEntry.objects.create(
        kind="id_number", value_hash=keyed_hash("110101198001010011"), reason="fraud"
    )
    d = decision_make(application_ref="APP-BL", facts=make_facts(id_number="110101198001010011"))
    assert (d.outcome, d.reason_codes) == ("decline", ["D02_BLACKLIST"])
    assert d.reasons[0]["evidence"] == {"kinds": ["id_number"]}
    assert d.reasons[0]["explanation"] == "申请人信息命中风险名单"


def test_low_score_is_declined(hand_scorecard):
    # The thin file scores 520 (the missing bin); the delinquent test ID is declined earlier,
    # by the court-enforcement rule (tests/risk/test_bureau.py).
    Strategy.objects.filter(product_line="new").update(decline_below=530)
    d = decision_make(application_ref="APP-LOW", facts=make_facts(id_number=TEST_ID_THIN))
    assert (d.outcome, d.score, d.tier, d.reason_codes) == ("decline", 520, "D", ["S01_SCORE_LOW"])


@pytest.mark.parametrize(
    ("kwargs", "codes"),
    [
        ({"applicant__income_verified": False}, ["R01_INCOME_UNVERIFIED"]),
        ({"dealer__grade": "D"}, ["R02_DEALER_GRADE"]),
        ({"deal__vehicle": {"kind": "new", "msrp": "180000.00"}}, ["R03_PRICE_ABOVE_GUIDE"]),
        ({"phone": TEST_PHONE_DEACTIVATED}, ["R05_PHONE_STATUS"]),
        ({"id_number": TEST_ID_THIN}, ["S02_SCORE_REVIEW"]),
        (
            {"applicant__income_verified": False, "dealer__grade": "D"},
            ["R01_INCOME_UNVERIFIED", "R02_DEALER_GRADE"],
        ),
    ],
)
def test_referrals_give_their_reason_codes(hand_scorecard, kwargs, codes):
    d = decision_make(application_ref="APP-R", facts=make_facts(**kwargs))
    assert d.outcome == "refer"
    assert d.reason_codes == codes


def test_price_above_guide_evidence(hand_scorecard):
    d = decision_make(
        application_ref="APP-P",
        facts=make_facts(deal__vehicle={"kind": "new", "msrp": "180000.00"}),
    )
    assert d.reasons[0]["evidence"] == {
        "price": "200000.00",
        "guide_price": "180000.00",
        "over_pct": "11.11",
    }


def test_co_applicant_required_above_the_amount(hand_scorecard):
    facts = make_facts(
        deal__price="450000.00",
        deal__down_payment="110000.00",
        deal__amount_financed="340000.00",
        deal__ltv="0.7556",
        deal__vehicle={"kind": "new", "msrp": "450000.00"},
    )
    d = decision_make(application_ref="APP-CO", facts=facts)
    assert (d.outcome, d.reason_codes) == ("refer", ["R04_CO_APPLICANT_MISSING"])
    # The same car on a second application would be an anti-fraud referral: another car.
    facts["deal"]["vin_hash"] = keyed_hash("LSVAU2180N2000002")
    facts["co_applicant"]["present"] = True
    d2 = decision_make(application_ref="APP-CO2", facts=facts)
    assert (d2.outcome, d2.reason_codes) == ("approve", [])


def test_no_scorecard_refers(rule_set):
    d = decision_make(application_ref="APP-NS", facts=make_facts())
    assert (d.outcome, d.reason_codes, d.score, d.scorecard_version) == (
        "refer",
        ["N01_NO_SCORECARD"],
        None,
        None,
    )


def test_unaffordable_instalment_gets_a_counter_offer_that_passes(hand_scorecard):
    # 140,000 over 36 months at 5.99 % is ~4,258 a month; 50 % of 5,000 is 2,500. Even 60
    # months (~2,706) is too much, so the amount comes down at the requested 36 months.
    facts = make_facts(applicant__income_monthly="5000.00")
    d = decision_make(application_ref="APP-C", facts=facts)
    assert d.outcome == "counter_offer"
    assert d.reason_codes == ["C01_COUNTER_OFFER"]
    # No debts at the bureau: the debt-to-income ratio (cap 60 % at tier A) is the
    # instalment's, and fails with it.
    assert d.reasons[0]["evidence"]["failures"] == ["affordability", "debt_to_income"]
    offer = d.offer
    assert offer["term_months"] == 36
    amount = Decimal(offer["amount_financed"])
    assert amount == Decimal("82100.00")
    assert Decimal(offer["down_payment"]) == Decimal("117900.00")
    instalment = Decimal(offer["instalment"])
    assert instalment == Decimal("2497.27")
    assert instalment == _instalment("82100", "0.0599", 36)
    assert instalment <= Decimal("2500.00")
    assert _instalment("82200", "0.0599", 36) > Decimal("2500.00")  # the largest that fits
    # The offer passes the rules: deciding it again approves it.
    accepted = make_facts(
        applicant__income_monthly="5000.00",
        deal__amount_financed=offer["amount_financed"],
        deal__down_payment=offer["down_payment"],
        deal__ltv=offer["ltv"],
        deal__term_months=offer["term_months"],
        vin="LSVAU2180N2000009",
    )
    d2 = decision_make(application_ref="APP-C2", facts=accepted)
    assert d2.outcome == "approve"
    assert d2.suggested_limit == Decimal("82100.00")


def test_counter_offer_prefers_a_longer_term_when_that_is_enough(hand_scorecard):
    # 4,258 a month at 36 months; 8,000 income allows 4,000: 48 months (~3,288) fits.
    d = decision_make(
        application_ref="APP-T", facts=make_facts(applicant__income_monthly="8000.00")
    )
    assert d.outcome == "counter_offer"
    assert (d.offer["term_months"], d.offer["amount_financed"]) == (48, "140000.00")
    # The largest instalment of the schedule: the last one absorbs the rounding residue.
    assert d.offer["instalment"] == "3287.39"
    assert Decimal(d.offer["instalment"]) == _instalment("140000", "0.0599", 48)


def test_no_feasible_offer_declines_for_affordability(hand_scorecard):
    facts = make_facts(applicant__income_monthly="1000.00", product_rules__amount_min="100000.00")
    d = decision_make(application_ref="APP-A", facts=facts)
    assert (d.outcome, d.reason_codes) == ("decline", ["A01_AFFORDABILITY"])


def test_decision_make_is_idempotent(hand_scorecard):
    facts = make_facts()
    first = decision_make(application_ref="APP-I", facts=facts, idempotency_key="k-1")
    audits = AuditEntry.objects.count()
    seen = SeenFact.objects.count()
    again = decision_make(application_ref="APP-I", facts=facts)
    by_key = decision_make(
        application_ref="APP-I", facts=make_facts(applicant__age=40), idempotency_key="k-1"
    )
    assert again.pk == first.pk == by_key.pk
    assert Decision.objects.filter(application_ref="APP-I").count() == 1
    assert ScoreRecord.objects.filter(application_ref="APP-I").count() == 1
    assert AuditEntry.objects.count() == audits
    assert SeenFact.objects.count() == seen
    assert FraudHit.objects.count() == 0


def test_replay_recomputes_and_detects_a_changed_decision(hand_scorecard):
    d = decision_make(
        application_ref="APP-RP", facts=make_facts(applicant__income_monthly="5000.00")
    )
    result = decision_replay(d.pk)
    assert result.matches, result.differences
    Decision.objects.filter(pk=d.pk).update(score=999, outcome="approve")
    result = decision_replay(d.pk)
    assert not result.matches
    assert result.differences["score"] == {"stored": 999, "recomputed": 600}
    assert result.differences["outcome"] == {"stored": "approve", "recomputed": "counter_offer"}


def test_review_request_is_recorded_with_an_audit_row(hand_scorecard):
    d = decision_make(application_ref="APP-RV", facts=make_facts(id_number=TEST_ID_DELINQUENT))
    req = decision_review_request(decision_id=d.pk, reason="我的逾期记录已结清")
    assert DecisionReviewRequest.objects.get() == req
    assert req.status == "open"
    actions = [a.action for a in audit_trail_for(d)]
    assert actions == ["decision_make", "decision_review_request"]


def test_review_request_needs_a_reason(hand_scorecard):
    d = decision_make(application_ref="APP-RV2", facts=make_facts())
    with pytest.raises(ValueError):
        decision_review_request(decision_id=d.pk, reason="  ")
    assert DecisionReviewRequest.objects.count() == 0


def _challenger(champion: ScorecardVersion, points: float) -> ScorecardVersion:
    art = {**HAND_ARTEFACT, "variables": [dict(HAND_ARTEFACT["variables"][0])]}
    art["variables"][0]["bins"] = [dict(b, points=points) for b in art["variables"][0]["bins"]]
    return ScorecardVersion.objects.create(
        scorecard=champion.scorecard, version=2, artefact=art, report={}, test_auc=0.72
    )


def test_challenger_scores_its_share_in_shadow(hand_scorecard, django_user_model):
    analyst = django_user_model.objects.create(username="ana")
    challenger = _challenger(hand_scorecard, 700.0)
    scorecard_challenger_set(version_id=challenger.pk, share=Decimal("0.5"), actor=analyst)
    refs = [f"APP-CC-{i}" for i in range(12)]
    for ref in refs:
        decision_make(application_ref=ref, facts=make_facts())
    shadowed = {ref for ref in refs if traffic_bucket(ref) < Decimal("0.5")}
    assert 0 < len(shadowed) < len(refs)
    got = set(
        ScoreRecord.objects.filter(role="challenger").values_list("application_ref", flat=True)
    )
    assert got == shadowed
    for d in Decision.objects.filter(application_ref__in=refs):
        # The champion decides; the challenger's score is only recorded.
        assert d.score == 600 and d.scorecard_version_id == hand_scorecard.pk
        assert d.inputs.get("challenger_scores", {}) == (
            {str(challenger.pk): 700} if d.application_ref in shadowed else {}
        )


def test_promote_makes_the_challenger_champion_with_audit_rows(hand_scorecard):
    analyst = UserFactory(username="ana2", roles=[Role.RISK_ANALYST])
    checker = approvals_support.second_person(analyst)
    challenger = _challenger(hand_scorecard, 700.0)
    scorecard_challenger_set(version_id=challenger.pk, share=Decimal("0.2"), actor=analyst)
    approvals_support.scorecard_promote(
        version_id=challenger.pk, maker=analyst, checker=checker, reason="验证集表现更好"
    )
    hand_scorecard.refresh_from_db()
    challenger.refresh_from_db()
    assert (hand_scorecard.status, challenger.status) == ("retired", "champion")
    assert challenger.challenger_share == 0
    trail = audit_trail_for(challenger)
    assert [(a.action, a.from_state, a.to_state) for a in trail] == [
        ("scorecard_challenger_set", "candidate", "challenger"),
        ("scorecard_promote", "challenger", "champion"),
    ]
    assert trail.last().actor == checker and trail.last().reason == "验证集表现更好"
    assert trail.last().data["four_eyes"]["maker"] == "ana2"
    d = decision_make(application_ref="APP-AFTER", facts=make_facts())
    assert (d.score, d.scorecard_version_id) == (700, challenger.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_make_one_decision(hand_scorecard):
    import threading

    from django.db import connection

    facts = make_facts()
    results, errors = [], []
    barrier = threading.Barrier(4)

    def call():
        try:
            barrier.wait()
            results.append(decision_make(application_ref="APP-RACE", facts=facts).pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    assert Decision.objects.filter(application_ref="APP-RACE").count() == 1
    assert ScoreRecord.objects.filter(application_ref="APP-RACE").count() == 1
    assert SeenFact.objects.filter(application_ref="APP-RACE", kind="id_number").count() == 1
