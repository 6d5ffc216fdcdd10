"""What the bureau returns changes decisions (the sandbox bureau's documented test IDs): debts
against the debt-to-income cap of the tier, the court's lists as hard rules; and every query
needs the bureau consent and is logged with its purpose."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from autofin.business_date import business_date_current
from autofin.policy import policy_set
from risk.adapters import (
    TEST_ID_CLEAN,
    TEST_ID_COURT,
    TEST_ID_DELINQUENT,
    TEST_ID_DISHONEST,
    TEST_ID_INDEBTED,
    TEST_ID_THIN,
    SandboxBureau,
)
from risk.models import BureauQuery, Decision, ScoreRecord
from risk.selectors.decisions import decision_details
from risk.services import (
    POST_LOAN,
    BureauConsentMissing,
    bureau_query,
    decision_make,
    decision_replay,
)
from tests.factories import UserFactory
from tests.risk.engine_support import make_facts

pytestmark = pytest.mark.django_db

INCOME = "10000.00"  # 140,000 over 36 months at tier A (5.99 %) is 4,258.44 a month


def _facts(ref: str, id_number: str, **changes) -> dict:
    """Facts of one applicant: its own phone, account and car, so no anti-fraud check links
    the applications of a test."""
    n = sum(ord(c) * (i + 1) for i, c in enumerate(ref)) % 10**6
    changes.setdefault("applicant__income_monthly", INCOME)
    return make_facts(
        id_number=id_number,
        phone=f"1391{n:07d}",
        account=f"62220202{n:011d}",
        vin=f"LSVAU2180N{n:07d}",
        **changes,
    )


def _decide(ref: str, id_number: str, **changes) -> Decision:
    return decision_make(application_ref=ref, facts=_facts(ref, id_number, **changes))


def test_bureau_debts_over_the_cap_decline_where_the_clean_file_is_approved(hand_scorecard):
    clean = _decide("APP-DTI-CLEAN", TEST_ID_CLEAN)
    # 4,258.44 / 10,000 = 42.6 %: within the instalment cap (50 %) and tier A's DTI cap (60 %)
    assert (clean.outcome, clean.tier, clean.reason_codes) == ("approve", "A", [])

    indebted = _decide("APP-DTI-DEBT", TEST_ID_INDEBTED)
    # Same score and tier; (6,000 + 4,258.44) / 10,000 = 102.6 % > 60 %, and the debts alone
    # take all of the cap (60 % of 10,000 = 6,000): no smaller loan fits, so no counter offer.
    assert (indebted.score, indebted.tier) == (clean.score, "A")
    assert (indebted.outcome, indebted.reason_codes) == ("decline", ["A03_DEBT_TO_INCOME"])
    evidence = indebted.reasons[0]["evidence"]
    assert evidence["failures"] == ["debt_to_income"]
    assert (evidence["debt_to_income"], evidence["max_dti"]) == ("1.0258", "0.60")
    assert evidence["monthly_debt_payments"] == "6000.00"
    assert indebted.inputs["dti_caps"] == {"A": "0.60", "B": "0.55", "C": "0.50", "D": "0.45"}
    assert indebted.offer == {}


def test_a_counter_offer_leaves_room_for_the_bureau_debts(hand_scorecard):
    # Income 15,000: tier A's cap is 9,000 a month, the debts take 6,000, leaving 3,000. The
    # requested 36 months (4,258.44) and 48 months (3,287.39) do not fit; 60 months does.
    d = _decide("APP-DTI-CO", TEST_ID_INDEBTED, applicant__income_monthly="15000.00")
    assert (d.outcome, d.reason_codes) == ("counter_offer", ["C01_COUNTER_OFFER"])
    assert d.reasons[0]["evidence"]["failures"] == ["debt_to_income"]
    assert (d.offer["term_months"], d.offer["amount_financed"]) == (60, "140000.00")
    instalment = Decimal(d.offer["instalment"])
    assert instalment == Decimal("2706.02")
    assert Decimal("6000.00") + instalment <= Decimal("9000.00")


def test_court_enforcement_declines_a_file_otherwise_clean(hand_scorecard):
    d = _decide("APP-COURT", TEST_ID_COURT)
    assert (d.outcome, d.reason_codes) == ("decline", ["D06_COURT_ENFORCEMENT"])
    assert d.score == 600  # the score is clean: the court's list alone declines
    assert d.reasons[0]["evidence"] == {"court_enforcement": True}
    assert d.offer == {} and d.annual_rate is None


def test_dishonest_debtor_declines_with_both_court_lists(hand_scorecard):
    d = _decide("APP-SHIXIN", TEST_ID_DISHONEST)
    assert (d.outcome, d.reason_codes) == (
        "decline",
        ["D06_COURT_ENFORCEMENT", "D07_DISHONEST_DEBTOR"],
    )
    assert d.inputs["bureau"]["dishonest_debtor"] is True


def test_delinquent_file_is_declined_by_the_court_rule_before_its_score(hand_scorecard):
    d = _decide("APP-DELQ", TEST_ID_DELINQUENT)
    assert (d.outcome, d.score, d.reason_codes) == ("decline", 450, ["D06_COURT_ENFORCEMENT"])


def test_customer_text_names_no_list(hand_scorecard):
    d = _decide("APP-TXT", TEST_ID_DISHONEST)
    texts = {r["explanation"] for r in d.reasons}
    assert texts == {"申请人信用记录不符合要求"}
    assert not any(word in "".join(texts) for word in ("失信", "被执行", "法院"))


def test_replay_gives_the_same_answer_after_the_cap_changes(hand_scorecard):
    declined = _decide("APP-RP-DTI", TEST_ID_INDEBTED)
    court = _decide("APP-RP-COURT", TEST_ID_COURT)
    analyst = UserFactory(roles=["risk_analyst"])
    policy_set(
        key="risk.dti_cap.A",
        value="1.20",
        effective_from=business_date_current(),
        actor=analyst,
        reason="测试：放宽上限",
    )
    for d in (declined, court):
        result = decision_replay(d.pk)
        assert result.matches, result.differences
    # The new cap applies to the next decision: the same applicant now fits.
    again = _decide("APP-RP-DTI-2", TEST_ID_INDEBTED)
    assert again.outcome == "approve"
    assert again.inputs["dti_caps"]["A"] == "1.20"


def test_a_decision_stored_before_the_caps_replays_without_them(hand_scorecard):
    d = _decide("APP-OLD", TEST_ID_INDEBTED)
    inputs = dict(d.inputs)
    del inputs["dti_caps"]
    # As decided before the cap existed: the instalment cap alone, no A03.
    Decision.objects.filter(pk=d.pk).update(
        inputs=inputs, outcome="approve", reasons=[], offer={}, annual_rate=None
    )
    result = decision_replay(d.pk)
    assert result.recomputed["outcome"] == "approve"
    assert result.recomputed["reason_codes"] == []


def test_underwriter_reads_the_findings_in_plain_words(hand_scorecard):
    _decide("APP-FIND", TEST_ID_INDEBTED)
    details = decision_details(application_ref="APP-FIND")
    rules = next(g for g in details["findings"] if g["key"] == "rules")["rows"]
    assert rules == [
        {
            "label": "负债收入比超过上限（征信月还款加本次月供）",
            "value": "拒绝（负债收入比 102.6%，上限 60.0%，征信月还款 ¥6,000.00）",
            "flag": True,
            "code": "A03_DEBT_TO_INCOME",
        }
    ]
    _decide("APP-FIND-2", TEST_ID_DISHONEST)
    details = decision_details(application_ref="APP-FIND-2")
    groups = {g["key"]: g["rows"] for g in details["findings"]}
    bureau = {r["label"]: (r["value"], r["flag"]) for r in groups["bureau"]}
    assert bureau["失信被执行人"] == ("有", True)
    assert bureau["法院被执行记录"] == ("有", True)
    assert [r["label"] for r in groups["rules"]] == [
        "征信显示法院被执行记录（被执行人）",
        "征信显示列入失信被执行人名单",
    ]


# --- consent and the query log ------------------------------------------------------------


class CountingBureau:
    """The sandbox bureau, counting the reports asked (class-level: a new instance per call)."""

    calls = 0

    def report(self, **kwargs):
        CountingBureau.calls += 1
        return SandboxBureau().report(**kwargs)


class FailingBureau:
    def report(self, **kwargs):
        raise ConnectionError("bureau unreachable")


COUNTING = "tests.risk.test_bureau.CountingBureau"


@pytest.mark.parametrize(
    "consents",
    [
        {},
        {"credit_bureau": {"ref": "", "given_at": "2026-01-05T10:00:00+08:00"}},
        {"credit_bureau": {"ref": "consent:9", "withdrawn_at": "2026-01-06T10:00:00+08:00"}},
        {"automated_decision": {"ref": "consent:2"}},
    ],
)
def test_without_the_bureau_consent_nothing_is_queried_logged_or_decided(hand_scorecard, consents):
    CountingBureau.calls = 0
    facts = make_facts(id_number=TEST_ID_CLEAN)
    facts["consents"] = consents
    with (
        override_settings(RISK_BUREAU_ADAPTER=COUNTING),
        pytest.raises(BureauConsentMissing, match="no credit-bureau consent"),
    ):
        decision_make(application_ref="APP-NOCONSENT", facts=facts)
    assert CountingBureau.calls == 0
    assert BureauQuery.objects.count() == 0
    assert Decision.objects.count() == 0
    assert ScoreRecord.objects.count() == 0


def test_each_decision_query_is_logged_once_with_purpose_pre_loan(hand_scorecard):
    CountingBureau.calls = 0
    with override_settings(RISK_BUREAU_ADAPTER=COUNTING):
        _decide("APP-LOG", TEST_ID_CLEAN)
        _decide("APP-LOG", TEST_ID_CLEAN)  # the stored decision: the bureau is not asked again
        _decide("APP-LOG-THIN", TEST_ID_THIN)
    assert CountingBureau.calls == 2
    rows = list(BureauQuery.objects.order_by("id").values())
    assert [
        (r["subject_ref"], r["purpose"], r["consent_ref"], r["requested_by"], r["status"])
        for r in rows
    ] == [
        ("APP-LOG", "pre_loan", "consent:1", "risk-engine", "answered"),
        ("APP-LOG-THIN", "pre_loan", "consent:1", "risk-engine", "answered"),
    ]
    assert [r["found"] for r in rows] == [True, False]
    assert rows[0]["id_hash"] == make_facts(id_number=TEST_ID_CLEAN)["applicant"]["id_hash"]


def test_a_post_funding_recheck_logs_purpose_post_loan(db):
    id_hash = make_facts(id_number=TEST_ID_COURT)["applicant"]["id_hash"]
    report = bureau_query(
        id_hash=id_hash,
        purpose=POST_LOAN,
        subject_ref="LN-0001",
        consent={"ref": "consent:7"},
        requested_by="loan-recheck",
    )
    assert report["court_enforcement"] is True
    row = BureauQuery.objects.get()
    assert (row.purpose, row.get_purpose_display(), row.subject_ref, row.status) == (
        "post_loan",
        "贷后管理",
        "LN-0001",
        "answered",
    )


def test_a_failed_query_stays_on_record(db):
    with (
        override_settings(RISK_BUREAU_ADAPTER="tests.risk.test_bureau.FailingBureau"),
        pytest.raises(ConnectionError),
    ):
        bureau_query(
            id_hash="h" * 64,
            purpose=POST_LOAN,
            subject_ref="LN-0002",
            consent={"ref": "consent:8"},
            requested_by="loan-recheck",
        )
    row = BureauQuery.objects.get()
    assert (row.status, row.found, row.error) == (
        "failed",
        None,
        "ConnectionError: bureau unreachable",
    )


def test_an_unknown_purpose_is_refused_before_anything(db):
    with pytest.raises(ValueError, match="purpose"):
        bureau_query(
            id_hash="h" * 64,
            purpose="marketing",
            subject_ref="X",
            consent={"ref": "consent:1"},
            requested_by="someone",
        )
    assert BureauQuery.objects.count() == 0


def test_the_underwriter_reads_the_ratio_risk_decided_on(hand_scorecard):
    _decide("APP-CASE-DEBT", TEST_ID_INDEBTED)
    _decide("APP-CASE-CLEAN", TEST_ID_CLEAN)
    _decide("APP-CASE-COURT", TEST_ID_COURT)
    _decide("APP-CASE-THIN", TEST_ID_THIN)
    dti = {
        ref: decision_details(application_ref=ref)["debt_to_income"]
        for ref in ("APP-CASE-DEBT", "APP-CASE-CLEAN", "APP-CASE-COURT", "APP-CASE-THIN")
    }
    assert dti == {
        "APP-CASE-DEBT": Decimal("1.025844"),  # (6,000 + 4,258.44 at tier A) / 10,000
        "APP-CASE-CLEAN": Decimal("0.425844"),
        "APP-CASE-COURT": Decimal("0.4258"),  # declined unpriced: the quoted 4,258.00
        "APP-CASE-THIN": None,  # no bureau file, no debts known
    }
