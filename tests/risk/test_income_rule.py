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
