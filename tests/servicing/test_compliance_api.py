"""The compliance queue over the API, with the pages' authorization: the compliance officer lists,
reads and decides screening hits and AML alerts; the auditor reads and is refused every decision
(on the API and on the pages alike) with nothing changed; other staff and customers see nothing.
The schema at /api/schema/ carries the operations."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from autofin.models import AuditEntry
from autofin.roles import Role
from risk.models import ScreeningHit
from risk.services import screening_run
from risk.services.watch_list import SANDBOX_FILE, SANDBOX_SOURCE, watch_list_load
from servicing.models.aml import AmlAlert
from servicing.services.aml.monitoring import aml_monitor_day
from servicing.services.repayments.manual import repayment_manual_approve, repayment_manual_submit
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 3, 9)
API = "/api/v1/compliance"


@pytest.fixture
def cases():
    """A sanctions hit on a pinyin spelling and a large-value cash alert."""
    watch_list_load(path=SANDBOX_FILE, source=SANDBOX_SOURCE, actor="test")
    screening_run(subject_ref="APP-2026-0007", name="欧阳子珊", id_hash="",
                  birth_date=dt.date(1975, 3, 8))  # fmt: skip
    loan = make_loan()
    set_day(MONDAY)
    maker, checker = (
        UserFactory(roles=[Role.SERVICING_AGENT]),
        UserFactory(roles=[Role.SERVICING_AGENT]),
    )
    r = repayment_manual_submit(loan_id=loan.pk, amount="60000.00", evidence="柜台现金",
                                actor=maker, payment_channel="cash")  # fmt: skip
    repayment_manual_approve(repayment_id=r.pk, actor=checker)
    aml_monitor_day(business_date=MONDAY)
    return ScreeningHit.objects.get(), AmlAlert.objects.get(), loan


def _client(*roles) -> APIClient:
    c = APIClient()
    c.force_authenticate(UserFactory(roles=list(roles)))
    return c


def _state(hit, alert) -> tuple:
    hit.refresh_from_db()
    alert.refresh_from_db()
    return (hit.status, hit.decided_by_id, alert.status, alert.investigator_id,
            alert.decided_by_id, AuditEntry.objects.count())  # fmt: skip


def test_the_compliance_officer_lists_reads_and_decides(cases):
    hit, alert, loan = cases
    api = _client(Role.COMPLIANCE_OFFICER)
    [row] = api.get(f"{API}/hits/").json()["results"]
    assert (row["id"], row["subject_name"], row["list_type"], row["list_type_label"], row["score"],
            row["status"]) == (hit.pk, "欧阳子珊", "sanctions", "制裁名单", 100, "open")  # fmt: skip
    detail = api.get(f"{API}/hits/{hit.pk}/").json()
    assert [p["label"] for p in detail["explanation"]][-1] == "出生日期一致"
    assert detail["entry_name"] == "OUYANG Zhishan"

    r = api.post(f"{API}/hits/{hit.pk}/decide/", {"decision": "cleared",
                 "reason": "证件号码与出生地均不符，系同音不同人"}, format="json")  # fmt: skip
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["status_label"]) == ("cleared", "已排除（误报）")
    hit.refresh_from_db()
    assert (hit.status, hit.decision_reason) == ("cleared", "证件号码与出生地均不符，系同音不同人")
    assert api.get(f"{API}/hits/").json()["results"] == []  # the open queue is empty
    assert len(api.get(f"{API}/hits/?all=1").json()["results"]) == 1

    [a] = api.get(f"{API}/alerts/").json()["results"]
    assert (a["id"], a["kind"], a["contract_ref"], a["amount"], a["report_due"]) == (
        alert.pk, "large_cash", loan.contract_ref, "60000.00", "2026-03-16",
    )  # fmt: skip
    assert api.post(f"{API}/alerts/{alert.pk}/investigate/").json()["status"] == "investigating"
    r = api.post(f"{API}/alerts/{alert.pk}/decide/",
                 {"decision": "confirmed", "decision_text": "已核实现金缴存"}, format="json")  # fmt: skip
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["decided_on"], body["amount"]) == (
        "confirmed",
        "2026-03-09",
        "60000.00",
    )
    assert body["explained"][0].startswith("当日累计 ¥60,000.00（1 笔）")
    alert.refresh_from_db()
    assert (alert.status, alert.amount) == ("confirmed", D("60000.00"))


def test_refusals_change_nothing(cases):
    hit, alert, _loan = cases
    officer = _client(Role.COMPLIANCE_OFFICER)
    before = _state(hit, alert)
    # the officer: a decision without a reason, an unknown case, a move the state forbids
    r = officer.post(f"{API}/hits/{hit.pk}/decide/", {"decision": "cleared", "reason": " "},
                     format="json")  # fmt: skip
    assert r.status_code == 400
    assert officer.post(f"{API}/hits/999999/decide/", {"decision": "cleared", "reason": "x"},
                        format="json").status_code == 404  # fmt: skip
    assert officer.get(f"{API}/alerts/999999/").status_code == 404
    assert _state(hit, alert) == before

    auditor = _client(Role.AUDITOR)
    assert auditor.get(f"{API}/hits/").json()["results"][0]["id"] == hit.pk
    assert auditor.get(f"{API}/alerts/{alert.pk}/").json()["status"] == "open"
    for path, body in (
        (f"/hits/{hit.pk}/decide/", {"decision": "confirmed", "reason": "审计员试图确认"}),
        (f"/alerts/{alert.pk}/investigate/", {}),
        (f"/alerts/{alert.pk}/decide/", {"decision": "dismissed", "decision_text": "x"}),
    ):
        assert auditor.post(API + path, body, format="json").status_code == 403
    for roles in ([Role.SERVICING_AGENT], [Role.RISK_ANALYST], [Role.CUSTOMER]):
        other = _client(*roles)
        assert other.get(f"{API}/hits/").status_code == 403
        assert other.get(f"{API}/alerts/{alert.pk}/").status_code == 403
        assert other.post(f"{API}/alerts/{alert.pk}/investigate/").status_code == 403
    assert APIClient().get(f"{API}/hits/").status_code in (401, 403)
    assert _state(hit, alert) == before


def test_the_pages_apply_the_same_rule(cases, client):
    hit, alert, _loan = cases
    before = _state(hit, alert)
    client.force_login(UserFactory(roles=[Role.AUDITOR]))
    assert client.get("/compliance/").status_code == 200
    page = client.get(f"/compliance/hits/{hit.pk}/")
    assert page.status_code == 200 and "只读：处理由合规专员完成。" in page.content.decode()
    assert 'name="to_status"' not in page.content.decode()
    assert client.post(f"/compliance/hits/{hit.pk}/",
                       {"to_status": "cleared", "reason": "审计员"}).status_code == 403  # fmt: skip
    assert client.get(f"/compliance/alerts/{alert.pk}/").status_code == 200
    assert client.post(f"/compliance/alerts/{alert.pk}/decide/",
                       {"action": "investigate"}).status_code == 403  # fmt: skip
    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    assert client.get("/compliance/").status_code == 403
    assert _state(hit, alert) == before


def test_the_schema_carries_the_compliance_operations(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    ops = {op["operationId"] for p in schema["paths"].values() for op in p.values()
           if isinstance(op, dict) and "operationId" in op}  # fmt: skip
    assert {
        "compliance_hits_list", "compliance_hits_detail", "compliance_hits_decide",
        "compliance_alerts_list", "compliance_alerts_detail", "compliance_alerts_investigate",
        "compliance_alerts_decide",
    } <= ops  # fmt: skip
