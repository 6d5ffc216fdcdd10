"""A watch-list hit holds the funding (issue #17, "Done when"): an applicant whose name is a
pinyin spelling variant of a sanctioned person is screened at decision, the disbursement is
refused with a clear message and nothing is written, compliance clears the hit as a false
positive (audited), and the loan funds. A hit that appears after the disbursement was prepared
(the nightly re-screen) stops its release the same way."""

from __future__ import annotations

import pytest

from autofin.models import AuditEntry
from autofin.roles import Role
from origination.services.applications.aml import application_aml_check
from origination.services.facts import application_facts
from risk.models import ScreeningHit
from risk.services import screening_hit_decide, screening_run
from risk.services.watch_list import watch_list_load
from servicing.models.disbursement import Disbursement, PaymentAttempt, PaymentInstruction
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_create, disbursement_prepare
from servicing.services.disbursement.states import DisbursementError
from tests.factories import UserFactory
from tests.servicing.disbursement_support import STANDARD, make_facts
from tests.servicing.loan_helpers import make_loan

pytestmark = pytest.mark.django_db
HEADER = "list_type,external_ref,name,name_variants,id_number,birth_date,note\n"
# the loan factory's applicant is born on this day
BORN = "1988-03-09"


def _sanctions_list(tmp_path) -> None:
    path = tmp_path / "sanctions.csv"
    path.write_text(HEADER + f"sanctions,S-77,OUYANG Zhishan,,,{BORN},测试\n", encoding="utf-8")
    watch_list_load(path=path, source="test-sanctions", actor="test")


def _written():
    return (
        Disbursement.objects.count(),
        PaymentInstruction.objects.count(),
        PaymentAttempt.objects.count(),
        AuditEntry.objects.filter(action__startswith="disbursement").count(),
    )


def test_a_pinyin_variant_sanctions_hit_blocks_funding_until_compliance_clears_it(tmp_path):
    _sanctions_list(tmp_path)
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    seen = {}

    def at_funding(contract, cast):
        app = contract.application
        # what the automated decision does before asking risk (origination.tasks.decisions)
        application_aml_check(application=app, facts=application_facts(app))
        hit = ScreeningHit.objects.get(subject_ref=app.reference)
        assert (hit.entry.external_ref, hit.score, hit.status) == ("S-77", 100, "open")
        assert [p["reason"] for p in hit.explanation] == ["pinyin_variant", "same_dob"]
        before = _written()
        with pytest.raises(DisbursementError) as refused:
            disbursement_prepare(contract_id=contract.pk, actor=cast["maker"])
        assert refused.value.code == "aml_hold"
        assert refused.value.message == "该客户命中“制裁名单”筛查，待合规专员核查排除后才能放款。"
        assert _written() == before
        screening_hit_decide(
            hit_id=hit.pk, actor=officer, to_status="cleared", reason="出生地与证件信息均不符"
        )
        seen["hit"] = hit.pk

    loan = make_loan(
        customer=UserFactory(roles=[Role.CUSTOMER], phone="13700077001", display_name="欧阳子珊"),
        before_funding=at_funding,
    )
    assert loan.status == "active"
    cleared = AuditEntry.objects.get(action="aml_hit_decide", object_id=str(seen["hit"]))
    assert (cleared.from_state, cleared.to_state, cleared.reason) == (
        "open",
        "cleared",
        "出生地与证件信息均不符",
    )


@pytest.mark.usefixtures("disbursement_settings")
def test_a_hit_after_preparation_stops_the_release_until_cleared(
    tmp_path, dealer, customer, payees, maker, checker
):
    _sanctions_list(tmp_path)
    facts = {
        **make_facts(dealer=dealer, customer=customer, parts=STANDARD),
        "application_ref": "A-9",
    }
    d = disbursement_create(facts=facts, actor=maker)
    [hit] = screening_run(subject_ref="A-9", name="欧阳子珊", id_hash="", birth_date=None)
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    screening_hit_decide(hit_id=hit.pk, actor=officer, to_status="confirmed", reason="确认为本人")
    before = _written()
    with pytest.raises(DisbursementError) as refused:
        disbursement_approve(disbursement_id=d.pk, actor=checker)
    assert refused.value.code == "aml_hold"
    assert refused.value.message == "该客户已被合规确认命中“制裁名单”，不能放款。"
    d.refresh_from_db()
    assert (d.status, d.approved_by_id, _written()) == ("prepared", None, before)
    screening_hit_decide(hit_id=hit.pk, actor=officer, to_status="cleared", reason="名单已撤销")
    assert disbursement_approve(disbursement_id=d.pk, actor=checker).status == "released"
