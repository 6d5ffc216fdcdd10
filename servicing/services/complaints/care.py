"""Care messages (客户关怀短信): birthday, loan anniversary, payoff congratulations and the
insurance renewal reminder, queued set-based each night for the next day (the day they are read,
as the repayment reminders are), delivered only inside contact hours (not_before) and only to a
customer with an active MarketingConsent, once per event (dedupe_key).

Birthday without decrypting the ID book: origination stores the primary applicant's
`birth_date` in clear when the application is submitted (derived from the ID number there, the
one place that reads it); the nightly query matches its month and day on an index-free scan of
the applicants of active loans — no ID number is decrypted. A 29 February birthday is greeted on
28 February in a common year."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from autofin.notifications import next_contact_time
from servicing.eod.sql import CLOSED_SQL as _CLOSED
from servicing.eod.sql import REPAID_SQL, run

# one row per (customer, event): kind, the event's key, the text
EVENTS = f"""
SELECT DISTINCT ON (l.customer_id) l.customer_id, 'birthday' AS kind, %(year)s::text AS ekey,
       '【AutoFin】' || u.display_name || '，祝您生日快乐！感谢您一路相伴。' AS body
  FROM servicing_loan l
  JOIN autofin_user u ON u.id = l.customer_id
  JOIN origination_applicant a ON a.application_id = l.application_id AND a.role = 'primary'
 WHERE l.status NOT IN {_CLOSED} AND a.birth_date IS NOT NULL
   AND to_char(a.birth_date, 'MM-DD') = ANY(%(birthdays)s)
UNION ALL
SELECT l.customer_id, 'anniversary', l.id || ':' || %(year)s,
       '【AutoFin】感谢您与我们相伴 ' || (%(year)s - extract(year FROM l.value_date))::int
       || ' 年（合同 ' || l.contract_ref || '），祝您用车愉快！'
  FROM servicing_loan l
 WHERE l.status NOT IN {_CLOSED} AND l.value_date < %(day)s
   AND to_char(l.value_date, 'MM-DD') = ANY(%(birthdays)s)
UNION ALL
SELECT l.customer_id, 'payoff', l.id::text,
       '【AutoFin】恭喜您已结清合同 ' || l.contract_ref || '，感谢您的信任！'
  FROM servicing_loan l
 WHERE l.status IN {REPAID_SQL} AND l.closed_on = %(today)s
UNION ALL
SELECT l.customer_id, 'insurance', p.id::text,
       '【AutoFin】您的爱车（' || p.vin || '）车险将于 ' || to_char(p.ends_on, 'YYYY-MM-DD')
       || ' 到期，请及时续保，保险公司可自由选择。'
  FROM servicing_insurancepolicy p
  JOIN servicing_loan l ON l.id = p.loan_id
 WHERE p.ends_on = %(renew)s AND p.status = 'active' AND l.status NOT IN {_CLOSED}
"""  # noqa: S608 - SQL built from constants; values are bound


def care_messages_queue(*, business_date: dt.date) -> int:
    """Queue the care SMS for D+1 (business_date's events are read the next day)."""
    day = business_date + dt.timedelta(days=1)
    birthdays = [f"{day:%m-%d}"]
    if day.month == 2 and day.day == 28 and not _leap(day.year):
        birthdays.append("02-29")
    params = {
        "day": day,
        "today": business_date,
        "year": day.year,
        "birthdays": birthdays,
        "renew": day + dt.timedelta(days=30),
        "not_before": next_contact_time(timezone.now()),
    }
    return run(
        f"""
        INSERT INTO autofin_outboundmessage
            (created_at, channel, "to", subject, body, purpose, status, not_before, sent_at,
             gateway, provider_ref, error, attempts, dedupe_key)
        SELECT now(), 'sms', u.phone, '', e.body, 'care_' || e.kind, 'queued', %(not_before)s,
               NULL, '', '', '', 0, 'care:' || e.kind || ':' || e.customer_id || ':' || e.ekey
          FROM ({EVENTS}) e
          JOIN autofin_user u ON u.id = e.customer_id AND u.phone <> ''
         WHERE EXISTS (SELECT 1 FROM servicing_marketingconsent m
                        WHERE m.customer_id = e.customer_id AND m.withdrawn_at IS NULL)
        ON CONFLICT (dedupe_key) DO NOTHING
        """,  # noqa: S608 - SQL built from constants; values are bound
        params,
    )


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
