"""Step 7 — reminders: SMS and e-mail three days and one day before a due date, and on days
past due 1, 3 and 7.

The messages are for the next business day D+1 (the day they are read): T-3 for rows due D+4,
T-1 for rows due D+2, DPD 1/3/7 for loans whose dpd (as of D+1) is 1, 3 or 7. They are queued
set-based — one INSERT per chunk into the outbound messages, exactly the rows
`notification_send(respect_quiet_hours=True, dedupe_key=...)` would store — with `not_before` at
the next contact time (08:00–21:00 Beijing), so the periodic sender delivers them only inside
contact hours. A loan paid online since the delinquency step gets no overdue reminder, nor one
whose collection contact is paused by a collections complaint awaiting review.
dedupe_key = "reminder:<loan>:<D>:<kind>:<channel>": a re-run queues nothing
twice.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autofin.notifications import next_contact_time
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, UNPAID, open_rows_sql, run
from servicing.services.complaints.pause import collections_paused_sql

TARGETS = f"""
SELECT l.id AS loan_id, l.contract_ref, u.phone, u.email, t.kind, t.due_date, t.amount
  FROM servicing_loan l
  JOIN autofin_user u ON u.id = l.customer_id
  JOIN LATERAL (
        SELECT CASE WHEN r.due_date = %(t3)s THEN 't-3' ELSE 't-1' END AS kind,
               r.due_date, {UNPAID} AS amount
          FROM servicing_loanschedulerow r
         WHERE r.loan_id = l.id AND r.superseded_by_version IS NULL AND r.status <> 'paid'
           AND r.due_date IN (%(t3)s, %(t1)s) AND {UNPAID} > 0
        UNION ALL
        SELECT 'dpd-' || d.dpd, d.oldest_due_date, a.amount
          FROM servicing_loandelinquency d
          CROSS JOIN LATERAL (
                SELECT sum({UNPAID}) AS amount FROM servicing_loanschedulerow r
                 WHERE r.loan_id = l.id AND r.superseded_by_version IS NULL
                   AND r.status <> 'paid' AND r.due_date <= %(d)s) a
         WHERE d.loan_id = l.id AND d.dpd IN (1, 3, 7)
           AND a.amount > 0  -- paid online since the delinquency step: no reminder
           AND NOT {collections_paused_sql("l.id")}  -- a collections complaint awaits review
       ) t ON TRUE
 WHERE l.id BETWEEN %(lo)s AND %(hi)s
   AND l.status NOT IN {CLOSED_SQL}
   -- the loans with a reminder to send, through their indexes: the rows falling due, the DPD
   AND (l.id IN ({open_rows_sql("r.due_date IN (%(t3)s, %(t1)s)")})
        OR l.id IN (SELECT x.loan_id FROM servicing_loandelinquency x
                     WHERE x.loan_id BETWEEN %(lo)s AND %(hi)s AND x.dpd IN (1, 3, 7)))
"""  # noqa: S608 - SQL built from constants; values are bound

BODY = """CASE WHEN x.kind LIKE 'dpd-%%'
    THEN '【AutoFin】您的贷款合同 ' || x.contract_ref || ' 已逾期 ' || substr(x.kind, 5)
         || ' 天，应还 ' || x.amount::text || ' 元，请尽快还款，以免产生更多罚息。'
    ELSE '【AutoFin】您的贷款合同 ' || x.contract_ref || ' 将于 ' || to_char(x.due_date, 'YYYY-MM-DD')
         || ' 还款 ' || x.amount::text || ' 元，请确保扣款账户余额充足。' END"""


@register(code="reminders", label=_("还款提醒"), position=70)
def reminders_chunk(ctx: StepContext, lo: int, hi: int) -> dict:

    d = ctx.business_date
    params = {
        "d": d,
        "t3": d + dt.timedelta(days=4),
        "t1": d + dt.timedelta(days=2),
        "lo": lo,
        "hi": hi,
        "not_before": next_contact_time(timezone.now()),
        "day": d.isoformat(),
    }
    queued = run(
        f"""
        INSERT INTO autofin_outboundmessage
            (created_at, channel, "to", subject, body, purpose, status, not_before, sent_at,
             gateway, provider_ref, error, attempts, dedupe_key)
        SELECT now(), c.channel, c.addr, c.subject, {BODY}, 'repayment_reminder', 'queued',
               %(not_before)s, NULL, '', '', '', 0,
               'reminder:' || x.loan_id || ':' || %(day)s || ':' || x.kind || ':' || c.channel
          FROM ({TARGETS}) x
          CROSS JOIN LATERAL (
                SELECT 'sms' AS channel, x.phone AS addr, '' AS subject WHERE x.phone <> ''
                UNION ALL
                SELECT 'email', x.email, '还款提醒' WHERE x.email <> ''
               ) c
        ON CONFLICT (dedupe_key) DO NOTHING
        """,  # noqa: S608 - SQL built from constants; values are bound
        params,
    )
    return {"queued": queued}
