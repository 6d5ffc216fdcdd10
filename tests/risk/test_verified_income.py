"""Deciding on the verified income: when the authorised income sources show less than the
applicant declared and say how much, the decision is made on that income (approve, counter-offer
or decline, with V01 beside the outcome's reasons) instead of referring; it replays unchanged,
and the underwriter reads both incomes. Sandbox: TEST_ID_INCOME_BELOW's sources show half the
declared income."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation

from risk.adapters import TEST_ID_CLEAN, TEST_ID_INCOME_BELOW, SandboxIncome
from risk.facts import income_for_decision
from risk.rules import RULES, RuleContext
from risk.selectors.decisions import decision_details
from risk.selectors.findings import rule_rows, verification_rows
from risk.services import decision_make, decision_replay
from tests.risk.engine_support import make_facts

pytestmark = pytest.mark.django_db

CONSENT = {"ref": "consent:9", "given_at": "2026-01-05T10:00:00+08:00"}
V01 = "V01_INCOME_VERIFIED_LOWER"


def _facts(id_number: str, income: str, n: int) -> dict:
    # each application its own car, phone and account: one reused is a fraud signal
    facts = make_facts(
        id_number=id_number,
        vin=f"LSVAU2180N{n:07d}",
        phone=f"139{n:08d}",
        account=f"6222020200{n:09d}",
        applicant__income_verified=False,
        applicant__income_proof_provided=False,
        applicant__income_monthly=income,
    )
    facts["consents"]["income_tax"] = CONSENT
    return facts


def test_approved_on_the_verified_income_when_it_still_affords_the_deal(hand_scorecard):
    # declared 30,000, verified 15,000: the 36-month instalment (about 4,260) is within 50 %
    d = decision_make(application_ref="APP-V1", facts=_facts(TEST_ID_INCOME_BELOW, "30000.00", 1))
    assert (d.outcome, d.reason_codes) == ("approve", [V01])
    assert d.reasons[0]["evidence"] == {
        "declared_monthly_income": "30000.00",
        "verified_monthly_income": "15000.00",
        "income_sources_below": ["income_tax"],
    }
    assert (d.offer["amount_financed"], d.offer["term_months"]) == ("140000.00", 36)


def test_counter_offered_on_the_verified_income(hand_scorecard):
    # declared 12,000 (the instalment would be 35 % of it: approved were it true); verified
    # 6,000: 71 %, so the same amount over a longer term
    declared = decision_make(application_ref="APP-V2M", facts=_facts(TEST_ID_CLEAN, "12000.00", 3))
    assert declared.outcome == "approve"
    d = decision_make(application_ref="APP-V2", facts=_facts(TEST_ID_INCOME_BELOW, "12000.00", 4))
    assert d.outcome == "counter_offer"
    assert d.reason_codes == ["C01_COUNTER_OFFER", V01]
    assert d.offer["term_months"] > 36
    assert Decimal(d.offer["instalment"]) <= Decimal("3000.00")  # 50 % of 6,000


def test_declined_when_the_verified_income_affords_no_offer(hand_scorecard):
    # verified 750: 50 % of it finances less than the product's minimum amount over 60 months
    d = decision_make(application_ref="APP-V3", facts=_facts(TEST_ID_INCOME_BELOW, "1500.00", 5))
    assert (d.outcome, d.reason_codes) == ("decline", ["A01_AFFORDABILITY", V01])
    assert d.offer == {}


def test_a_decision_on_the_verified_income_replays_unchanged(hand_scorecard):
    d = decision_make(application_ref="APP-V4", facts=_facts(TEST_ID_INCOME_BELOW, "12000.00", 6))
    result = decision_replay(d.pk)
    assert result.matches, result.differences
    assert result.recomputed["reason_codes"] == ["C01_COUNTER_OFFER", V01]


class _BelowWithoutFigure(SandboxIncome):
    """A provider that says "below" without saying how much (as every answer stored before the
    figure existed)."""

    def verify(self, **kwargs):
        return {s: {"status": a["status"]} for s, a in super().verify(**kwargs).items()}


def test_below_without_a_figure_still_refers_and_replays(hand_scorecard, settings):
    settings.RISK_INCOME_ADAPTER = f"{__name__}._BelowWithoutFigure"
    d = decision_make(application_ref="APP-V5", facts=_facts(TEST_ID_INCOME_BELOW, "30000.00", 7))
    assert (d.outcome, d.reason_codes) == ("refer", ["R01_INCOME_UNVERIFIED"])
    assert d.inputs["income"] == {"income_tax": {"status": "below"}}
    assert decision_replay(d.pk).matches


@pytest.mark.parametrize(
    ("answers", "refers", "income"),
    [
        ({"income_tax": {"status": "below", "monthly_income": "9000.00"}}, False, "9000.00"),
        # the lowest figure any source shows is the income
        (
            {
                "income_tax": {"status": "below", "monthly_income": "9000.00"},
                "income_bank": {"status": "below", "monthly_income": "8000.00"},
                "income_social": {"status": "matched"},
            },
            False,
            "8000.00",
        ),
        # one source showing less without its figure: nothing verified, the declared income
        (
            {
                "income_tax": {"status": "below", "monthly_income": "9000.00"},
                "income_bank": {"status": "below"},
            },
            True,
            "20000.00",
        ),
        ({"income_tax": {"status": "matched"}}, False, "20000.00"),
    ],
)
def test_the_rule_and_the_income_decided_on(answers, refers, income):
    facts = {"applicant": {"income_monthly": "20000.00", "income_proof_provided": False}}
    ctx = RuleContext(facts=facts, inputs={"income": answers})
    hit = RULES["INCOME_UNVERIFIED"](ctx, {"max_unmatched_monthly_income": "30000"})
    assert (hit is not None) is refers
    assert income_for_decision(facts, {"income": answers}) == Decimal(income)


def test_the_underwriter_reads_both_incomes(hand_scorecard):
    decision_make(application_ref="APP-V6", facts=_facts(TEST_ID_INCOME_BELOW, "12000.00", 8))
    with translation.override("zh-hans"):
        details = decision_details(application_ref="APP-V6")
        rows = rule_rows(details)
        checks = verification_rows(details)
    v01 = next(r for r in rows if r["code"] == V01)
    assert v01["label"] == "核实收入低于申报收入，已按核实收入决策"
    assert v01["value"] == "说明（申报月收入 ¥12,000.00，核实月收入 ¥6,000.00）"
    assert v01["flag"] is False
    assert {
        "label": "收入核验：个人所得税",
        "value": "低于申报收入（月收入 ¥6,000.00）",
        "flag": True,
    } in checks
    # the debt-to-income figure the underwriter reads is on the verified income too
    instalment = next(
        Decimal(r["evidence"]["requested_instalment"])
        for r in details["reasons"]
        if r["code"] == "C01_COUNTER_OFFER"
    )
    assert details["debt_to_income"] == instalment / Decimal("6000.00")


def test_the_underwriter_reads_both_incomes_in_english(hand_scorecard):
    """The note's brackets were full-width Chinese ones on the English case page."""
    decision_make(application_ref="APP-V7", facts=_facts(TEST_ID_INCOME_BELOW, "12000.00", 8))
    with translation.override("en"):
        details = decision_details(application_ref="APP-V7")
        rows = rule_rows(details)
        checks = verification_rows(details)
    v01 = next(r for r in rows if r["code"] == V01)
    assert (
        v01["label"] == "Verified income below the declared income; decided on the verified income"
    )
    assert v01["value"] == (
        "Notes (Declared monthly income ¥12,000.00, verified monthly income ¥6,000.00)"
    )
    assert not [r for r in rows + checks if re.search(r"[\u4e00-\u9fff（）]", str(r["value"]))]
