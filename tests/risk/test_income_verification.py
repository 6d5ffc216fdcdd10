"""Income verification through the IncomeVerification adapter (sandbox test identities in
risk/adapters.py): asked only of the sources the customer authorised, its answer stored with
the decision and read by R01 (and, when a source shows less, by the decision on that income)."""

from __future__ import annotations

import pytest

from risk.adapters import TEST_ID_CLEAN, TEST_ID_INCOME_BELOW, TEST_ID_THIN
from risk.selectors.decisions import decision_details
from risk.selectors.findings import verification_rows
from risk.services import decision_make
from tests.risk.engine_support import make_facts

pytestmark = pytest.mark.django_db

CONSENT = {"ref": "consent:9", "given_at": "2026-01-05T10:00:00+08:00"}
UNPROVEN = {"applicant__income_verified": False, "applicant__income_proof_provided": False}


def _facts(id_number: str, *sources: str) -> dict:
    # each application its own car and phone: a repeated VIN or phone is a fraud signal
    n = len(sources) + len(id_number) + sum(map(ord, "".join(sources)))
    facts = make_facts(
        id_number=id_number, vin=f"LSVAU2180N{n:07d}", phone=f"139{n:08d}", **UNPROVEN
    )
    for source in sources:
        facts["consents"][source] = CONSENT
    return facts


def test_a_matched_source_approves_what_the_documents_alone_would_refer(hand_scorecard):
    referred = decision_make(application_ref="APP-I0", facts=_facts(TEST_ID_CLEAN))
    assert referred.outcome == "refer"
    assert referred.reason_codes == ["R01_INCOME_UNVERIFIED"]
    assert referred.inputs["income"] == {}  # no consent: nothing asked

    approved = decision_make(application_ref="APP-I1", facts=_facts(TEST_ID_CLEAN, "income_tax"))
    assert (approved.outcome, approved.reason_codes) == ("approve", [])
    assert approved.inputs["income"] == {"income_tax": {"status": "matched"}}


def test_only_the_authorised_sources_are_asked(hand_scorecard):
    d = decision_make(
        application_ref="APP-I2", facts=_facts(TEST_ID_CLEAN, "income_social", "income_bank")
    )
    assert sorted(d.inputs["income"]) == ["income_bank", "income_social"]


def test_a_source_showing_less_income_decides_on_it_and_the_underwriter_reads_why(
    hand_scorecard,
):
    # declared 30,000, the source shows 15,000: still affords the deal (tests/risk/
    # test_verified_income.py has the counter-offer and the decline)
    d = decision_make(application_ref="APP-I3", facts=_facts(TEST_ID_INCOME_BELOW, "income_tax"))
    assert (d.outcome, d.reason_codes) == ("approve", ["V01_INCOME_VERIFIED_LOWER"])
    assert d.inputs["income"] == {"income_tax": {"status": "below", "monthly_income": "15000.00"}}
    rows = verification_rows(decision_details(application_ref="APP-I3"))
    label, value = "收入核验：个人所得税", "低于申报收入（月收入 ¥15,000.00）"
    assert {"label": label, "value": value, "flag": True} in rows


def test_no_record_at_the_source_falls_back_to_the_documents(hand_scorecard):
    d = decision_make(application_ref="APP-I4", facts=_facts(TEST_ID_THIN, "income_tax"))
    assert d.inputs["income"] == {"income_tax": {"status": "not_found"}}
    assert "R01_INCOME_UNVERIFIED" in d.reason_codes
