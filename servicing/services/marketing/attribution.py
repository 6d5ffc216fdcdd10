"""Attribution of what a campaign's contacts did next (the response history), set-based.

Rule (docs/marketing.md): for every contact of a launched campaign — treated AND hold-out, so
the two groups are measured alike — the customer's FIRST application submitted inside the
campaign window [starts_at, ends_at) (no end: starts_at + MARKETING_ATTRIBUTION_DAYS) is the
response: applied_at = its submission, approved_at = its decision when it was approved (still
approved, signed or funded), funded_at and loan_id = the loan made from it, revenue = that
loan's scheduled interest + fees (the lender's income, schedule in force). A funding after the
window still counts for an application made inside it, for MARKETING_ATTRIBUTION_DAYS after
the window closes; then the campaign's figures are final. Re-running gives the same figures.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction

from servicing.services.marketing.campaigns import WINDOW_END_SQL

_APPROVED = "('approved', 'counter_offered', 'contract_signed', 'funded')"

_ATTRIBUTE = f"""
WITH k AS (
    SELECT k.id, k.starts_at, {WINDOW_END_SQL} AS window_end
      FROM servicing_campaign k
     WHERE k.launched_at IS NOT NULL AND k.status IN ('running', 'done')
       AND {WINDOW_END_SQL} + make_interval(days => %(days)s) > %(now)s
), first_app AS (
    SELECT DISTINCT ON (c.id) c.id AS contact_id, a.id AS application_id, a.submitted_at,
           CASE WHEN a.status IN {_APPROVED} THEN a.decided_at END AS approved_at
      FROM servicing_campaigncontact c
      JOIN k ON k.id = c.campaign_id
      JOIN origination_application a
        ON a.customer_id = c.customer_id
       AND a.submitted_at >= k.starts_at AND a.submitted_at < k.window_end
       AND a.submitted_at <= %(now)s
     ORDER BY c.id, a.submitted_at, a.id
), x AS (
    SELECT f.*, l.id AS loan_id,
           CASE WHEN l.id IS NOT NULL THEN coalesce(a.funded_at, l.created_at) END AS funded_at,
           coalesce((SELECT sum(r.interest + r.fee) FROM servicing_loanschedulerow r
                      WHERE r.loan_id = l.id AND r.superseded_by_version IS NULL), 0) AS revenue
      FROM first_app f
      JOIN origination_application a ON a.id = f.application_id
      LEFT JOIN servicing_loan l ON l.application_id = f.application_id
)
UPDATE servicing_campaigncontact c
   SET applied_at = x.submitted_at, approved_at = x.approved_at, funded_at = x.funded_at,
       application_id = x.application_id, loan_id = x.loan_id, revenue = x.revenue
  FROM x
 WHERE c.id = x.contact_id
   AND (c.applied_at, c.approved_at, c.funded_at, c.application_id, c.loan_id, c.revenue)
       IS DISTINCT FROM
       (x.submitted_at, x.approved_at, x.funded_at, x.application_id, x.loan_id, x.revenue)
"""  # noqa: S608 - constant SQL; values are bound

_FINISH = f"""
UPDATE servicing_campaign k SET status = 'done'
 WHERE k.status = 'running' AND {WINDOW_END_SQL} <= %(now)s
"""  # noqa: S608 - constant SQL; values are bound


def attribution_refresh(*, now: dt.datetime) -> dict:
    """Fill the responses of every campaign still in its window (or its follow-up period) as of
    `now`; campaigns whose window has closed are marked done (they stay attributable)."""
    params = {"now": now, "days": settings.MARKETING_ATTRIBUTION_DAYS}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_ATTRIBUTE, params)
        attributed = cur.rowcount
        cur.execute(_FINISH, params)
        return {"attributed": attributed, "campaigns_done": cur.rowcount}
