"""Telematics (#20): the GPS provider's signed webhook stores an event once (a replayed request
is refused, a redelivered event id ignored, a bad signature or stale timestamp refused with 401),
and only for a loan with the separate location consent; the nightly step turns a car offline
past the rule's days, a geofence exit and the outside feeds into early-warning hits with
suggested actions (owner, due date), once; the court-list match opens its actions too; the loan
page shows the last position and events, the owner's queue closes an action."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from autofin.crypto import decrypt
from autofin.integrations.http import H_SIGNATURE, H_TIMESTAMP, signature
from autofin.roles import Role
from origination.models.applications import Applicant
from origination.services.applications.consents import application_consents_give
from risk.models import EarlyWarningHit
from risk.services.early_warning import early_warning_evaluate
from servicing.eod.registry import StepContext
from servicing.eod.steps.court_lists import court_lists_step
from servicing.eod.steps.telematics import telematics_chunk
from servicing.models.collateral_checks import LoanExternalFacts
from servicing.models.collections import LoanRiskProfile
from servicing.models.telematics import EarlyWarningAction, TelematicsEvent, VehiclePosition
from servicing.telematics_adapters import SandboxGpsProvider, telematics_path
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan, set_day

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)
GPS = SandboxGpsProvider()


def _located(contract, _cast):
    application_consents_give(
        actor=contract.application.customer, application=contract.application, kinds=["location"]
    )


@pytest.fixture
def loan():
    made = make_loan(before_funding=_located)
    set_day(DAY)
    return made


def _post(client, headers, body):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(telematics_path(), data=body, content_type="application/json", **extra)


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _ctx(day: dt.date = DAY) -> StepContext:
    return StepContext(business_date=day, batch_id=0, step_id=0)


def test_a_signed_push_is_stored_once_and_bad_or_stale_signatures_are_refused(client, loan):
    event = GPS.event(vin=loan.vin, lat="31.230416", lon="121.473701", place_name="上海市黄浦区",
                      occurred_at=_at(DAY - dt.timedelta(days=1)))  # fmt: skip
    headers, body = GPS.signed([event])

    answer = _post(client, headers, body)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"accepted": 1, "duplicate": 0, "no_consent": 0}
    stored = TelematicsEvent.objects.get()
    assert (stored.loan_id, stored.kind, str(stored.latitude)) == (loan.pk, "position", "31.230416")
    position = VehiclePosition.objects.get(vin=loan.vin)
    assert (position.loan_id, str(position.longitude)) == (loan.pk, "121.473701")

    # the same request again (its nonce seen): refused, nothing stored
    assert _post(client, headers, body).status_code == 401
    # the provider redelivers the event under a fresh signature: ignored as a duplicate
    again = _post(client, *GPS.signed([event]))
    assert again.json() == {"accepted": 0, "duplicate": 1, "no_consent": 0}
    # a bad signature, and a correctly signed but stale message: 401, nothing stored
    other = GPS.event(vin=loan.vin, kind="tamper")
    headers, body = GPS.signed([other])
    assert _post(client, {**headers, H_SIGNATURE: "0" * 64}, body).status_code == 401
    stale = str(int(time.time()) - 3600)
    headers, body = GPS.signed([other])
    headers[H_TIMESTAMP] = stale
    headers[H_SIGNATURE] = signature(
        secret="sandbox-telematics-secret", method="POST", path=telematics_path(),
        timestamp=stale, nonce=headers["X-AutoFin-Nonce"], body=body,
    )  # fmt: skip
    assert _post(client, headers, body).status_code == 401
    assert TelematicsEvent.objects.count() == 1
    # an older position never moves the car back
    GPS.push(
        [GPS.event(vin=loan.vin, lat="30", lon="120", occurred_at=_at(DAY - dt.timedelta(days=5)))]
    )
    position.refresh_from_db()
    assert str(position.latitude) == "31.230416"


def test_without_the_location_consent_nothing_is_stored(client):
    plain = make_loan()
    set_day(DAY)
    answer = _post(client, *GPS.signed([GPS.event(vin=plain.vin, lat="31.2", lon="121.4")]))
    assert answer.json() == {"accepted": 0, "duplicate": 0, "no_consent": 1}
    assert not TelematicsEvent.objects.exists() and not VehiclePosition.objects.exists()


def test_a_car_offline_past_the_rule_raises_a_strong_warning_with_actions_once(loan):
    GPS.push(
        [
            GPS.event(
                vin=loan.vin, lat="31.2", lon="121.4", occurred_at=_at(DAY - dt.timedelta(days=8))
            )
        ]
    )

    assert telematics_chunk(_ctx(), loan.pk, loan.pk) == {
        "loans": 1, "hits": 1, "raised": 1, "actions": 3,
    }  # fmt: skip
    [hit] = EarlyWarningHit.objects.all()
    assert (hit.loan_ref, hit.rule_code, hit.strength) == (
        loan.contract_ref,
        "GPS_OFFLINE",
        "strong",
    )
    assert hit.evidence["gps_offline_days"] == 8
    assert LoanRiskProfile.objects.get(loan=loan).level == "high"
    actions = {
        (a.action, a.owner, a.due_date, a.status)
        for a in EarlyWarningAction.objects.filter(loan=loan, rule_code="GPS_OFFLINE")
    }
    assert actions == {
        ("gps_check", "servicing_agent", DAY + dt.timedelta(days=1), "open"),
        ("call", "servicing_agent", DAY + dt.timedelta(days=2), "open"),
        ("visit", "collector", DAY + dt.timedelta(days=5), "open"),
    }
    # a re-run, and the next night with the car still offline: no hit or action twice
    assert telematics_chunk(_ctx(), loan.pk, loan.pk)["hits"] == 0
    next_day = DAY + dt.timedelta(days=1)
    set_day(next_day)
    assert telematics_chunk(_ctx(next_day), loan.pk, loan.pk)["hits"] == 0
    assert (EarlyWarningHit.objects.count(), EarlyWarningAction.objects.count()) == (1, 3)


def test_a_geofence_exit_raises_the_gps_alert_and_the_next_event_raises_again(loan):
    GPS.push([GPS.event(vin=loan.vin, lat="31.2", lon="121.4", occurred_at=_at(DAY)),
              GPS.event(vin=loan.vin, kind="long_stay", place_kind="scrap_yard",
                        place_name="某报废车回收场", occurred_at=_at(DAY, 9))])  # fmt: skip
    result = telematics_chunk(_ctx(), loan.pk, loan.pk)
    assert (result["hits"], result["actions"]) == (1, 3)
    [hit] = EarlyWarningHit.objects.filter(rule_code="GPS_ALERT")
    assert hit.evidence["events"][0]["place_kind"] == "scrap_yard"
    assert telematics_chunk(_ctx(), loan.pk, loan.pk)["hits"] == 0
    # a new event while the actions are open: a new hit, no second open action of a kind
    GPS.push([GPS.event(vin=loan.vin, kind="geofence_exit", occurred_at=_at(DAY, 10))])
    assert telematics_chunk(_ctx(), loan.pk, loan.pk)["hits"] == 1
    assert EarlyWarningHit.objects.filter(rule_code="GPS_ALERT").count() == 2
    assert EarlyWarningAction.objects.filter(rule_code="GPS_ALERT").count() == 3


def test_outside_feed_facts_hit_once_per_check_date():
    facts = {"phone_status": "owner_changed", "phone_checked_on": "2026-03-01",
             "bureau_deteriorated": True, "bureau_checked_on": "2026-03-01",
             "ltv_current": "1.08", "valued_on": "2026-03-01"}  # fmt: skip
    hits = early_warning_evaluate(loan_ref="L-EXT", facts=facts)
    assert {h.rule_code for h in hits} == {"PHONE_DEACTIVATED", "BUREAU_DETERIORATED", "LTV_HIGH"}
    assert hits.level == "high"
    assert early_warning_evaluate(loan_ref="L-EXT", facts=facts) == []
    later = early_warning_evaluate(
        loan_ref="L-EXT", facts={**facts, "phone_checked_on": "2026-04-01"}
    )
    assert [h.rule_code for h in later] == ["PHONE_DEACTIVATED"]


def test_a_court_list_match_by_id_hash_opens_the_strong_rules_actions_once(tmp_path, settings):
    on_list = make_loan()
    set_day(DAY)
    borrower = Applicant.objects.get(application_id=on_list.application_id, role="primary")
    (tmp_path / "court_enforcement_20260310.csv").write_text(
        "case_no,name,id_number,court,filed_on,amount\n"
        f"(2026)沪0115执9号,{borrower.name},{decrypt(borrower.id_number_enc)},上海市浦东新区人民法院,2026-03-02,9000.00\n",
        encoding="utf-8",
    )
    settings.COURT_LIST_DROP_DIR = str(tmp_path)
    assert court_lists_step(_ctx(), 0, 0)["raised"] == 1
    [hit] = EarlyWarningHit.objects.all()
    assert (hit.rule_code, hit.strength) == ("COURT_ENFORCEMENT", "strong")
    actions = set(EarlyWarningAction.objects.filter(loan=on_list).values_list("action", "owner"))
    assert actions == {("freeze_top_up", "servicing_agent"), ("gps_check", "servicing_agent"),
                       ("early_collection", "collector")}  # fmt: skip
    court_lists_step(_ctx(), 0, 0)
    assert (EarlyWarningHit.objects.count(), EarlyWarningAction.objects.count()) == (1, 3)


def test_the_loan_page_shows_the_position_and_the_owner_closes_actions(client, loan):
    GPS.push([GPS.event(vin=loan.vin, lat="31.2", lon="121.4", place_name="上海市浦东新区",
                        occurred_at=_at(DAY - dt.timedelta(days=9))),
              GPS.event(vin=loan.vin, kind="tamper", occurred_at=_at(DAY - dt.timedelta(days=9), 13))])  # fmt: skip
    telematics_chunk(_ctx(), loan.pk, loan.pk)
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    client.force_login(agent)
    page = client.get(reverse("servicing:loan_detail", args=[loan.pk])).content.decode()
    assert "31.200000, 121.400000" in page and "上海市浦东新区" in page
    assert "设备拆除或破坏" in page and "核查 GPS 设备与车辆位置" in page

    queue = client.get(reverse("servicing:warning_actions")).content.decode()
    mine = EarlyWarningAction.objects.filter(owner="servicing_agent").order_by("id")
    theirs = EarlyWarningAction.objects.get(rule_code="GPS_OFFLINE", owner="collector")
    assert loan.contract_ref in queue and "上门走访" not in queue  # the collector's, not shown
    # the collector's action: refused to the agent, nothing changed
    url = reverse("servicing:warning_action_close", args=[theirs.pk])
    assert client.post(url, {"outcome": "已核实"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == "open" and theirs.closed_by is None
    # without an outcome: refused, still open
    first = mine.first()
    client.post(reverse("servicing:warning_action_close", args=[first.pk]), {"outcome": " "})
    first.refresh_from_db()
    assert first.status == "open"
    client.post(
        reverse("servicing:warning_action_close", args=[first.pk]), {"outcome": "设备已恢复上线"}
    )
    first.refresh_from_db()
    assert (first.status, first.closed_by, first.outcome) == ("done", agent, "设备已恢复上线")
    done = client.get(reverse("servicing:warning_actions") + "?status=done").content.decode()
    assert "设备已恢复上线" in done
    # a customer has no queue
    client.force_login(loan.customer)
    assert client.get(reverse("servicing:warning_actions")).status_code == 403


def test_the_outside_feeds_are_read_from_the_book_checks(loan):
    """The monthly book checks' per-loan facts (phone, bureau, current LTV) feed the step."""
    LoanExternalFacts.objects.create(
        loan=loan, phone_status="deactivated", phone_checked_on=DAY, bureau_deteriorated=False,
        bureau_checked_on=DAY, vehicle_value=D("100000.00"), ltv_current=D("0.8500"),
        valued_on=DAY,
    )  # fmt: skip
    result = telematics_chunk(_ctx(), loan.pk, loan.pk)
    assert (result["hits"], result["raised"], result["actions"]) == (1, 1, 3)
    [hit] = EarlyWarningHit.objects.all()
    assert (hit.rule_code, hit.evidence["phone_status"]) == ("PHONE_DEACTIVATED", "deactivated")
    assert set(EarlyWarningAction.objects.values_list("action", "owner")) == {
        ("call", "servicing_agent"), ("visit", "collector"), ("freeze_top_up", "servicing_agent"),
    }  # fmt: skip
    assert telematics_chunk(_ctx(), loan.pk, loan.pk)["hits"] == 0
    # next month's valuation puts the car under water: the weak LTV rule, once
    LoanExternalFacts.objects.filter(loan=loan).update(
        ltv_current=D("1.1200"), valued_on=DAY + dt.timedelta(days=1)
    )
    assert [h.rule_code for h in EarlyWarningHit.objects.all()] == ["PHONE_DEACTIVATED"]
    assert telematics_chunk(_ctx(), loan.pk, loan.pk)["hits"] == 1
    assert EarlyWarningHit.objects.filter(rule_code="LTV_HIGH").count() == 1
