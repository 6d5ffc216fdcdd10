"""Customer facts (`CustomerFact`): one set-based statement per night over every customer with
a loan. Segments, offers and the next-best-offer model read these columns, so each fact has
this one definition.

`customer_facts_refresh` computes every customer's figures in one statement into a temporary
table, then upserts them: a re-run of the same business day writes the same rows, and a customer
whose loans all closed keeps a row (their history matters for the next car).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from servicing import loan_rules
from servicing.eod.sql import temp_table

_COMPUTE = """
WITH loans AS (
    SELECT l.id, l.customer_id, l.status, l.value_date, l.closed_on,
           l.principal_outstanding, l.product_rules ->> 'vehicle_kind' AS vehicle_kind,
           l.status NOT IN {closed} AS is_active
      FROM servicing_loan l
     WHERE l.customer_id IS NOT NULL
), rows AS (
    -- not joined to `loans`: read only through `loans LEFT JOIN rows`, so the loans it would
    -- drop never match anyway; one scan and hash aggregate of the rows, no join and sort
    SELECT r.loan_id,
           count(*) FILTER (WHERE r.status = 'paid') AS paid,
           max(r.due_date) AS last_due
      FROM servicing_loanschedulerow r
     WHERE r.superseded_by_version IS NULL
     GROUP BY r.loan_id
), per_customer AS (
    SELECT loans.customer_id,
           count(*) FILTER (WHERE loans.is_active) AS loans_active,
           count(*) FILTER (WHERE NOT loans.is_active) AS loans_closed,
           min(loans.value_date) AS first_funded_on,
           coalesce(sum(rows.paid), 0) AS instalments_paid,
           coalesce(max(d.dpd) FILTER (WHERE loans.is_active), 0) AS current_dpd,
           coalesce(max(d.max_dpd), 0) AS max_dpd_ever,
           coalesce(sum(loans.principal_outstanding) FILTER (WHERE loans.is_active), 0)
               AS principal_outstanding,
           min(rows.last_due) FILTER (WHERE loans.is_active) AS next_maturity,
           max(loans.closed_on) FILTER (WHERE loans.status = 'settled_early') AS settled_early_on,
           max(loans.closed_on) FILTER (WHERE loans.status = 'paid_off') AS paid_off_on,
           bool_or(loans.vehicle_kind = 'nev' AND loans.is_active) AS has_nev,
           (array_agg(loans.vehicle_kind ORDER BY loans.value_date DESC, loans.id DESC))[1]
               AS vehicle_kind
      FROM loans
      LEFT JOIN rows ON rows.loan_id = loans.id
      LEFT JOIN servicing_loandelinquency d ON d.loan_id = loans.id
     GROUP BY loans.customer_id
), policies AS (
    SELECT loans.customer_id, min(p.ends_on) AS ends_on
      FROM servicing_insurancepolicy p
      JOIN loans ON loans.id = p.loan_id AND loans.is_active
     WHERE p.status = 'active' AND p.ends_on >= %(today)s
     GROUP BY loans.customer_id
)
SELECT c.*, p.ends_on AS insurance_ends_on
  FROM per_customer c
  LEFT JOIN policies p ON p.customer_id = c.customer_id
"""

_UPSERT = """
INSERT INTO servicing_customerfact AS f (
    customer_id, computed_on, loans_active, loans_closed, first_funded_on, instalments_paid,
    current_dpd, max_dpd_ever, principal_outstanding, months_to_maturity, settled_early_on,
    paid_off_on, has_nev, vehicle_kind, insurance_ends_on, marketing_consent
)
SELECT c.customer_id, %(today)s, c.loans_active, c.loans_closed, c.first_funded_on,
       c.instalments_paid, c.current_dpd, c.max_dpd_ever, c.principal_outstanding,
       CASE WHEN c.next_maturity IS NULL THEN NULL
            ELSE (extract(year FROM age(c.next_maturity, %(today)s)) * 12
                  + extract(month FROM age(c.next_maturity, %(today)s)))::int END,
       c.settled_early_on, c.paid_off_on, coalesce(c.has_nev, false),
       coalesce(c.vehicle_kind, ''), c.insurance_ends_on,
       EXISTS (SELECT 1 FROM servicing_marketingconsent m
                WHERE m.customer_id = c.customer_id AND m.withdrawn_at IS NULL)
  FROM eod_customer_facts c
ON CONFLICT (customer_id) DO UPDATE SET
    computed_on = EXCLUDED.computed_on, loans_active = EXCLUDED.loans_active,
    loans_closed = EXCLUDED.loans_closed, first_funded_on = EXCLUDED.first_funded_on,
    instalments_paid = EXCLUDED.instalments_paid, current_dpd = EXCLUDED.current_dpd,
    max_dpd_ever = EXCLUDED.max_dpd_ever, principal_outstanding = EXCLUDED.principal_outstanding,
    months_to_maturity = EXCLUDED.months_to_maturity,
    settled_early_on = EXCLUDED.settled_early_on, paid_off_on = EXCLUDED.paid_off_on,
    has_nev = EXCLUDED.has_nev, vehicle_kind = EXCLUDED.vehicle_kind,
    insurance_ends_on = EXCLUDED.insurance_ends_on,
    marketing_consent = EXCLUDED.marketing_consent
"""


def customer_facts_refresh(*, business_date: dt.date) -> int:
    """Recompute every customer's facts as of `business_date`; returns the rows written."""
    params = {"today": business_date}
    with transaction.atomic(), connection.cursor() as cur:
        # one statement over the whole book: its per-loan aggregate and per-customer sort fit
        # in memory instead of spilling to disk in batches (the default is 4 MB)
        cur.execute("SET LOCAL work_mem = '64MB'")
        # Computed apart from the upsert, into a temporary table: PostgreSQL plans a statement
        # that writes a table in parallel only as CREATE TABLE AS, so the scan of every schedule
        # row runs on the cores the batch leaves idle while this one-chunk step runs (an
        # INSERT … SELECT runs on one).
        temp_table("eod_customer_facts", _COMPUTE.format(closed=loan_rules.closed_sql()), params)
        cur.execute(_UPSERT, params)
        return cur.rowcount
