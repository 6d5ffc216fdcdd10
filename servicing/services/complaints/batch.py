"""The nightly complaint work, set-based and catch-up safe (servicing.eod.steps.complaints).

Escalation: a complaint's level is the number of its deadlines breached (acknowledge, resolve)
as of the end of the business day; a row whose level would rise is raised, stamped and gets a
ComplaintEvent, and every care supervisor with an e-mail is told once per complaint and level
(dedupe_key). Re-running the same day, or running a missed day later, raises nothing twice.

Auto-close: a resolution the customer has not answered within COMPLAINT_SLA["confirm_days"]
closes with a note, and its satisfaction survey is invited."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from autofin.notifications import next_contact_time
from servicing.eod.sql import run, temp_table


def breaches_sql(cut: str, table: str = "c") -> str:
    """The one definition of a complaint's breached deadlines (0, 1 or 2) at the time bound to
    the placeholder `cut`: acknowledged late or not yet past its deadline; resolved likewise.
    The nightly escalation and the agents' queue (breached first) both read it."""
    return f"""(CASE WHEN coalesce({table}.acknowledged_at, {cut}) > {table}.acknowledge_due_at
                     AND {table}.acknowledge_due_at < {cut} THEN 1 ELSE 0 END
             + CASE WHEN coalesce({table}.resolved_at, {cut}) > {table}.resolve_due_at
                     AND {table}.resolve_due_at < {cut} THEN 1 ELSE 0 END)"""


BREACHES = breaches_sql("%(cut)s")


def _cutoff(business_date: dt.date) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(business_date + dt.timedelta(days=1), dt.time.min)
    )


def complaints_escalate(*, business_date: dt.date) -> int:
    params = {
        "cut": _cutoff(business_date),
        "not_before": next_contact_time(timezone.now()),
        "url": settings.SITE_URL.rstrip("/") + "/servicing/complaints/",
    }
    escalated = temp_table(
        "eod_escalated",
        f"""
        SELECT c.id, c.reference, {BREACHES} AS escalation_level,
               c.resolve_due_at < %(cut)s AS resolve
          FROM servicing_complaint c
         WHERE c.status <> 'closed' AND {BREACHES} > c.escalation_level
        """,  # noqa: S608 - SQL built from constants; values are bound
        params,
    )
    run(
        """
        UPDATE servicing_complaint c SET escalation_level = e.escalation_level, escalated_at = %(cut)s
          FROM eod_escalated e WHERE c.id = e.id
        """,
        params,
    )
    run(
        """
        INSERT INTO servicing_complaintevent (complaint_id, at, actor_id, kind, note)
        SELECT e.id, now(), NULL, 'escalated',
               CASE WHEN e.resolve THEN '办结超时' ELSE '受理超时' END || '，升级至第 '
               || e.escalation_level || ' 级'
          FROM eod_escalated e
        """,
        params,
    )
    run(
        """
        INSERT INTO autofin_outboundmessage
            (created_at, channel, "to", subject, body, purpose, status, not_before, sent_at,
             gateway, provider_ref, error, attempts, dedupe_key)
        SELECT now(), 'email', u.email, '投诉超时升级 ' || e.reference,
               '投诉 ' || e.reference || ' 已超过'
               || CASE WHEN e.resolve THEN '办结' ELSE '受理' END || '时限，升级至第 '
               || e.escalation_level || ' 级，请及时处理：' || %(url)s,
               'complaint_escalated', 'queued', %(not_before)s, NULL, '', '', '', 0,
               'complaint-escalated:' || e.id || ':' || e.escalation_level || ':' || u.id
          FROM eod_escalated e
          CROSS JOIN autofin_user u
          JOIN autofin_user_groups ug ON ug.user_id = u.id
          JOIN auth_group g ON g.id = ug.group_id AND g.name = 'care_supervisor'
         WHERE u.is_active AND u.email <> ''
        ON CONFLICT (dedupe_key) DO NOTHING
        """,
        params,
    )
    return escalated


def complaints_autoclose(*, business_date: dt.date) -> int:
    """Close resolutions unanswered for the confirm days; invite their surveys."""
    params = {
        "cut": _cutoff(business_date),
        "days": settings.COMPLAINT_SLA["confirm_days"],
    }
    closed = temp_table(
        "eod_autoclosed",
        """
        SELECT c.id, c.customer_id FROM servicing_complaint c
         WHERE c.status = 'resolved'
           AND c.resolved_at + make_interval(days => %(days)s) <= %(cut)s
        """,
        params,
    )
    run(
        """
        UPDATE servicing_complaint c SET status = 'closed', closed_at = %(cut)s
          FROM eod_autoclosed e WHERE c.id = e.id
        """,
        params,
    )
    run(
        """
        INSERT INTO servicing_complaintevent (complaint_id, at, actor_id, kind, note)
        SELECT id, now(), NULL, 'auto_closed', '客户逾期未确认处理结果，系统自动办结'
          FROM eod_autoclosed
        """,
    )
    run(
        """
        INSERT INTO servicing_surveyinvitation
            (customer_id, occasion, complaint_id, token, created_at, sent_at, score, comment,
             answered_at)
        SELECT customer_id, 'complaint_closed', id, gen_random_uuid(), now(), NULL, NULL, '', NULL
          FROM eod_autoclosed
        ON CONFLICT (complaint_id) WHERE complaint_id IS NOT NULL DO NOTHING
        """,
        params,
    )
    return closed
