"""Complaints (issue 21 §2): the SLA deadlines, the handling workflow and its authorisation, the
nightly escalation on breach, the collections pause, surveys, the monthly report and the care
messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from autofin.models import OutboundMessage
from autofin.roles import Role
from origination.models.applications import Applicant
from servicing.eod.sync_driver import eod_run_until
from servicing.models import Complaint, ComplaintEvent, Loan, MarketingConsent
from servicing.models.collections import CollectionCase, ContactAttempt
from servicing.models.surveys import SurveyInvitation
from servicing.selectors.collections import collections_queue
from servicing.services.collections import CollectionsError, contact_attempt_record
from servicing.services.complaints import ComplaintError
from servicing.services.complaints import workflow as wf
from servicing.services.complaints.batch import complaints_autoclose, complaints_escalate
from servicing.services.complaints.care import care_messages_queue
from servicing.services.complaints.pause import collections_paused
from servicing.services.complaints.report import complaint_report
from servicing.services.complaints.sla import acknowledge_due, resolve_due
from servicing.services.complaints.surveys import (
    survey_answer,
    survey_for_link,
    survey_link,
    surveys_invite_loans,
)
from tests.factories import UserFactory
from tests.servicing.loan_factory import VALUE_DATE, loan_through_funding
from tests.servicing.loan_helpers import set_day

pytestmark = pytest.mark.django_db

AT = timezone.make_aware


def _customer(phone="13911110001"):
    return UserFactory(roles=[Role.CUSTOMER], phone=phone)


def _complaint(customer=None, **kw):
    kw.setdefault("channel", "portal")
    kw.setdefault("category", "service")
    kw.setdefault("summary", "客服态度不好")
    return wf.complaint_create(customer=customer or _customer(), **kw)


def test_deadlines_one_working_day_over_a_weekend_and_fifteen_calendar_days():
    friday = AT(dt.datetime(2026, 12, 4, 16, 0))
    # the next working day is Monday 12-07: due by its end
    assert acknowledge_due(friday) == AT(dt.datetime.combine(dt.date(2026, 12, 7), dt.time.max))
    assert resolve_due(friday) == AT(dt.datetime.combine(dt.date(2026, 12, 19), dt.time.max))
    assert resolve_due(friday, 60) == AT(dt.datetime.combine(dt.date(2027, 2, 2), dt.time.max))
    # 2026-09-30 (Wed) → 10-01..07 are the National Day holidays, 10-10 (Sat) is worked
    assert acknowledge_due(AT(dt.datetime(2026, 9, 30, 10, 0))).date() == dt.date(2026, 10, 8)


def test_intake_numbers_the_complaint_and_writes_its_first_event():
    c = _complaint()
    year = timezone.localdate().year
    assert c.reference == f"TS-{year}-{c.pk:06d}"
    assert c.status == "received" and not c.pauses_collections
    assert list(c.events.values_list("kind", flat=True)) == ["received"]
    with pytest.raises(ComplaintError):
        _complaint(category="nonsense")
    assert Complaint.objects.count() == 1


def test_workflow_acknowledge_resolve_reopen_confirm_with_events_and_survey():
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    other = UserFactory(roles=[Role.SERVICING_AGENT])
    customer = _customer()
    c = _complaint(customer)
    wf.complaint_assign(complaint_id=c.pk, actor=agent, assignee=agent)
    # another agent cannot act on it; a customer cannot either; nothing changes
    with pytest.raises(ComplaintError, match="其他经办人"):
        wf.complaint_acknowledge(complaint_id=c.pk, actor=other)
    with pytest.raises(ComplaintError):
        wf.complaint_acknowledge(complaint_id=c.pk, actor=customer)
    c.refresh_from_db()
    assert c.status == "received" and c.acknowledged_at is None
    wf.complaint_acknowledge(complaint_id=c.pk, actor=agent)
    wf.complaint_resolve(complaint_id=c.pk, actor=agent, resolution="已致歉并培训相关人员。")
    # someone else's complaint: not found for this customer
    with pytest.raises(ComplaintError):
        wf.complaint_confirm(complaint_id=c.pk, customer=_customer("13911110002"))
    wf.complaint_reopen(complaint_id=c.pk, customer=customer, reason="没有回电")
    c.refresh_from_db()
    assert (c.status, c.resolved_at) == ("acknowledged", None)
    wf.complaint_resolve(complaint_id=c.pk, actor=agent, resolution="已回电并致歉。")
    wf.complaint_confirm(complaint_id=c.pk, customer=customer)
    c.refresh_from_db()
    assert c.status == "closed" and c.closed_at and c.customer_confirmed_at
    kinds = list(c.events.values_list("kind", flat=True))
    assert kinds == [
        "received",
        "assigned",
        "acknowledged",
        "resolved",
        "reopened",
        "resolved",
        "confirmed",
    ]
    inv = SurveyInvitation.objects.get(complaint=c)
    assert (inv.customer_id, inv.occasion) == (customer.pk, "complaint_closed")


def test_extension_to_thirty_by_the_agent_and_to_sixty_only_by_a_supervisor_with_notice():
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    boss = UserFactory(roles=[Role.CARE_SUPERVISOR])
    c = _complaint()
    wf.complaint_extend(complaint_id=c.pk, actor=agent, days=30, reason="需调取录音核实")
    c.refresh_from_db()
    assert c.resolve_due_at == resolve_due(c.received_at, 30)
    with pytest.raises(ComplaintError, match="客服主管"):
        wf.complaint_extend(complaint_id=c.pk, actor=agent, days=60, reason="涉及第三方")
    c.refresh_from_db()
    assert c.resolve_due_at == resolve_due(c.received_at, 30)
    assert not OutboundMessage.objects.filter(purpose="complaint_extended").exists()
    with pytest.raises(ComplaintError):
        wf.complaint_extend(complaint_id=c.pk, actor=boss, days=45, reason="x")
    wf.complaint_extend(complaint_id=c.pk, actor=boss, days=60, reason="涉及第三方")
    c.refresh_from_db()
    assert c.resolve_due_at == resolve_due(c.received_at, 60)
    assert c.extension_approved_by == boss
    sms = OutboundMessage.objects.get(purpose="complaint_extended")
    assert sms.to == c.customer.phone and c.reference in sms.body
    assert sms.not_before is not None  # held for contact hours when outside them


def test_a_complaint_breaching_its_sla_escalates_once_per_breach_and_tells_the_supervisors():
    boss = UserFactory(roles=[Role.CARE_SUPERVISOR], email="boss@example.com")
    c = _complaint()
    received = timezone.localtime(c.received_at).date()
    # the same day: nothing breached
    assert complaints_escalate(business_date=received) == 0
    late = timezone.localtime(c.acknowledge_due_at).date()
    assert complaints_escalate(business_date=late) == 1
    assert complaints_escalate(business_date=late) == 0  # a re-run raises nothing twice
    c.refresh_from_db()
    assert c.escalation_level == 1 and c.escalated_at
    assert c.events.filter(kind="escalated").count() == 1
    mail = OutboundMessage.objects.get(purpose="complaint_escalated")
    assert (mail.to, mail.channel) == (boss.email, "email") and c.reference in mail.subject
    # a missed fortnight caught up at once: the resolve deadline breached too → level 2
    past_resolve = timezone.localtime(c.resolve_due_at).date()
    assert complaints_escalate(business_date=past_resolve + dt.timedelta(days=3)) == 1
    c.refresh_from_db()
    assert c.escalation_level == 2
    assert OutboundMessage.objects.filter(purpose="complaint_escalated").count() == 2


def test_unanswered_resolution_closes_after_the_confirm_days(settings):
    settings.COMPLAINT_SLA = {**settings.COMPLAINT_SLA, "confirm_days": 7}
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    c = _complaint()
    wf.complaint_acknowledge(complaint_id=c.pk, actor=agent)
    wf.complaint_resolve(complaint_id=c.pk, actor=agent, resolution="已退还多收费用。")
    day = timezone.localtime(timezone.now()).date()
    assert complaints_autoclose(business_date=day + dt.timedelta(days=5)) == 0
    assert complaints_autoclose(business_date=day + dt.timedelta(days=7)) == 1
    c.refresh_from_db()
    assert c.status == "closed" and c.events.filter(kind="auto_closed").count() == 1
    assert SurveyInvitation.objects.filter(complaint=c).count() == 1
    assert complaints_autoclose(business_date=day + dt.timedelta(days=8)) == 0


def _overdue_case(loan):
    # the queue lists overdue loans' open cases (as the nightly delinquency step leaves them)
    Loan.objects.filter(pk=loan.pk).update(status="overdue")
    return CollectionCase.objects.create(
        loan=loan,
        queue="soft",
        bucket="M1",
        dpd=3,
        opened_on=VALUE_DATE,
        amount_overdue=Decimal("100.00"),
    )


def test_a_collections_complaint_escalates_and_pauses_contact_until_reviewed():
    collector = UserFactory(roles=[Role.COLLECTOR])
    customer = _customer("13911110003")
    loan = loan_through_funding(customer=customer, amount="50000.00", term=12)
    case = _overdue_case(loan)
    c = _complaint(customer, category="collection", loan=loan, summary="催收人员一天打了十次电话")
    assert c.pauses_collections and collections_paused(loan.pk)
    noon = AT(dt.datetime.combine(timezone.localdate(), dt.time(12, 0)))
    # contact refused with a clear message; nothing written
    with pytest.raises(CollectionsError, match="暂停催收"):
        contact_attempt_record(
            case_id=case.pk, collector=collector, party="third_party", channel="visit",
            outcome="no_answer", at=noon,
        )  # fmt: skip
    assert ContactAttempt.objects.count() == 0
    # the queue shows the pause
    assert [x.contact_paused for x in collections_queue(user=collector) if x.pk == case.pk] == [
        True
    ]
    # the SLA breach escalates the same complaint
    complaints_escalate(business_date=timezone.localtime(c.acknowledge_due_at).date())
    c.refresh_from_db()
    assert c.escalation_level == 1
    # an agent cannot clear the pause; a compliance officer can, and contact resumes
    with pytest.raises(ComplaintError):
        wf.collections_review(
            complaint_id=c.pk, actor=UserFactory(roles=[Role.SERVICING_AGENT]), note="x"
        )
    assert collections_paused(loan.pk)
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    wf.collections_review(complaint_id=c.pk, actor=officer, note="录音核查：未超频，恢复催收")
    assert not collections_paused(loan.pk)
    contact_attempt_record(
        case_id=case.pk, collector=collector, party="third_party", channel="visit",
        outcome="no_answer", at=noon,
    )  # fmt: skip
    assert ContactAttempt.objects.count() == 1
    assert ComplaintEvent.objects.filter(
        complaint=c, kind="collections_reviewed", actor=officer
    ).exists()


def test_a_collections_complaint_without_a_loan_pauses_nothing():
    assert not _complaint(category="collection").pauses_collections


def test_survey_link_answers_once_and_forged_links_find_nothing():
    customer = _customer()
    loan = loan_through_funding(customer=customer, amount="40000.00", term=12)
    assert surveys_invite_loans(business_date=VALUE_DATE) == 1
    assert surveys_invite_loans(business_date=VALUE_DATE) == 0
    inv = SurveyInvitation.objects.get(loan=loan)
    assert inv.occasion == "funded"
    signed = survey_link(inv).rstrip("/").rsplit("/", 1)[-1]
    assert survey_for_link(signed) == inv
    assert survey_for_link(signed[:-2] + "xx") is None
    assert survey_for_link(str(inv.token)) is None  # the bare token is not a signed link
    survey_answer(invitation=inv, score=4, comment="放款很快")
    with pytest.raises(ComplaintError):
        survey_answer(invitation=inv, score=1)
    inv.refresh_from_db()
    assert (inv.score, inv.comment) == (4, "放款很快")


def test_monthly_report_against_hand_computed_figures():
    month_start = AT(dt.datetime(2026, 3, 1))
    a, b = _customer("13911110011"), _customer("13911110012")

    def made(customer, category, channel, day, ack_h=None, res_d=None):
        c = _complaint(customer, category=category, channel=channel)
        received = month_start + dt.timedelta(days=day)
        Complaint.objects.filter(pk=c.pk).update(
            received_at=received,
            acknowledge_due_at=acknowledge_due(received),
            resolve_due_at=resolve_due(received),
            acknowledged_at=received + dt.timedelta(hours=ack_h) if ack_h is not None else None,
            resolved_at=received + dt.timedelta(days=res_d) if res_d is not None else None,
        )
        return c

    # March 2026: 4 complaints, a has 2 in March + 1 in last October (repeat), b has 1
    made(a, "collection", "portal", 2, ack_h=3, res_d=5)  # Tue: both on time
    made(a, "pricing", "phone", 9, ack_h=60, res_d=20)  # both late
    made(b, "pricing", "dealer", 16, ack_h=2, res_d=None)  # ack on time, resolve still open
    made(b, "service", "portal", 30, ack_h=None)  # 31 Mar: nothing due yet on 1 April
    old = _complaint(a)
    Complaint.objects.filter(pk=old.pk).update(received_at=AT(dt.datetime(2025, 10, 5)))
    feb = _complaint(b)
    Complaint.objects.filter(pk=feb.pk).update(received_at=AT(dt.datetime(2026, 2, 27)))
    inv1 = SurveyInvitation.objects.create(customer=a, occasion="funded")
    inv2 = SurveyInvitation.objects.create(customer=b, occasion="settled")
    SurveyInvitation.objects.filter(pk=inv1.pk).update(
        score=5, answered_at=month_start + dt.timedelta(days=3)
    )
    SurveyInvitation.objects.filter(pk=inv2.pk).update(
        score=2, answered_at=month_start + dt.timedelta(days=4)
    )

    r = complaint_report(month=dt.date(2026, 3, 1), now=AT(dt.datetime(2026, 4, 1, 9, 0)))

    assert r["total"] == 4
    cats = {str(k): n for k, n in r["by_category"]}
    assert (cats["定价收费"], cats["催收"], cats["服务态度"], cats["其他"]) == (2, 1, 1, 0)
    assert [n for _, n in r["by_channel"]] == [2, 1, 1]
    # acknowledge: 3 due or done (the 31st's is due 1 April 24:00), 2 on time → 66.7 %
    assert (r["ack"]["met"], r["ack"]["total"], r["ack"]["pct"]) == (2, 3, Decimal("66.7"))
    # resolve: the 2nd (on time), the 9th (late); the 16th is due 1 April (not yet) → 1/2
    assert (r["resolve"]["met"], r["resolve"]["total"], r["resolve"]["pct"]) == (
        1,
        2,
        Decimal("50.0"),
    )
    # a: 3 in the 12 months, b: 3 (Feb + 2 in March) → both repeat
    assert r["repeat_complainants"] == 2
    assert r["survey_avg"] == Decimal("3.50") and r["survey_count"] == 2


def test_care_messages_only_with_consent_once_and_in_contact_hours():
    with_consent = _customer("13911110021")
    without = _customer("13911110022")
    loan = loan_through_funding(customer=with_consent, amount="40000.00", term=24)
    loan_through_funding(customer=without, amount="40000.00", term=24)
    MarketingConsent.objects.create(customer=with_consent, given_via="portal")
    birth = Applicant.objects.get(application_id=loan.application_id, role="primary").birth_date
    assert birth is not None  # derived from the ID number when the application was submitted
    day_before = dt.date(2027, birth.month, birth.day) - dt.timedelta(days=1)
    assert care_messages_queue(business_date=day_before) >= 1
    sms = OutboundMessage.objects.filter(purpose="care_birthday")
    assert list(sms.values_list("to", flat=True)) == [with_consent.phone]
    assert sms.get().not_before is not None
    assert care_messages_queue(business_date=day_before) == 0  # once per event
    # the anniversary of the funding, a year on
    anniv_eve = VALUE_DATE.replace(year=VALUE_DATE.year + 1) - dt.timedelta(days=1)
    care_messages_queue(business_date=anniv_eve)
    assert (
        OutboundMessage.objects.filter(purpose="care_anniversary", to=with_consent.phone).count()
        == 1
    )
    assert not OutboundMessage.objects.filter(
        to=without.phone, purpose__startswith="care_"
    ).exists()


def test_the_nightly_overdue_reminders_skip_a_paused_loan(settings):
    settings.EOD_AUTO_DEBIT_SEND = False  # the test does not pay
    paused_customer, other_customer = _customer("13911110031"), _customer("13911110032")
    paused = loan_through_funding(customer=paused_customer, amount="50000.00", term=12)
    other = loan_through_funding(customer=other_customer, amount="50000.00", term=12)
    _complaint(paused_customer, category="collection", loan=paused, summary="催收用语不当")
    set_day(dt.date(2026, 2, 15))
    eod_run_until(target=dt.date(2026, 2, 19))  # instalment 1 due 02-15 unpaid: DPD reminders
    overdue = OutboundMessage.objects.filter(
        purpose="repayment_reminder", dedupe_key__contains=":dpd-"
    )
    assert overdue.filter(dedupe_key__startswith=f"reminder:{other.pk}:").exists()
    assert not overdue.filter(dedupe_key__startswith=f"reminder:{paused.pk}:").exists()
