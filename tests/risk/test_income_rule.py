"""R01: when declared income needs a human to verify it."""

import pytest

from risk.rules import RULES, RuleContext

PARAMS = {"max_unmatched_monthly_income": "30000"}


def _hit(applicant: dict):
    return RULES["INCOME_UNVERIFIED"](
        RuleContext(facts={"applicant": applicant}, inputs={}), PARAMS
    )


@pytest.mark.parametrize(
    ("applicant", "refers"),
    [
        ({"income_verified": True, "income_monthly": "90000"}, False),
        ({"income_proof_provided": True, "income_monthly": "30000.00"}, False),
        ({"income_proof_provided": True, "income_monthly": "30000.01"}, True),
        ({"income_proof_provided": False, "income_monthly": "8000"}, True),
        ({"income_monthly": "8000"}, True),
    ],
)
def test_income_refers_without_proof_or_above_the_ceiling(applicant, refers):
    hit = _hit(applicant)
    assert (hit is not None) is refers
    if refers:
        assert hit["ceiling"] == "30000"


def _with_sources(applicant: dict, answers: dict):
    return RULES["INCOME_UNVERIFIED"](
        RuleContext(facts={"applicant": applicant}, inputs={"income": answers}), PARAMS
    )


NO_PROOF = {"income_proof_provided": False, "income_monthly": "45000"}


@pytest.mark.parametrize(
    ("answers", "refers"),
    [
        # a data source bears the income out: no document needed, no ceiling
        ({"income_tax": {"status": "matched"}}, False),
        ({"income_tax": {"status": "not_found"}, "income_bank": {"status": "matched"}}, False),
        # any source showing less refers, even beside a match
        ({"income_tax": {"status": "matched"}, "income_bank": {"status": "below"}}, True),
        # nothing found: back to the documents (none here)
        ({"income_social": {"status": "not_found"}}, True),
        ({}, True),
    ],
)
def test_an_authorised_data_source_verifies_or_contradicts_the_income(answers, refers):
    hit = _with_sources(NO_PROOF, answers)
    assert (hit is not None) is refers
    if any((a or {}).get("status") == "below" for a in answers.values()):
        assert hit == {"income_verified": False, "income_sources_below": ["income_bank"]}
