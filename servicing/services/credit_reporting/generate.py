"""Generating the credit-reporting feed, set-based: one INSERT … SELECT per kind of record for the
whole book, no per-loan loop.

* `month_end_records`: every account open at the month's end or closed during the month gets
  its monthly record (基础段 + 月度表现段 + 相关还款责任人);
* `event_records`: the day's openings (with the collateral in its own record), closings
  (early settlement, payoff, charge-off) and status changes (into or out of arrears, a
  restructuring);
* `negative_notices_queue`: before that, a customer about to be reported overdue for the
  first time is sent the notice of 征信业管理条例 第15条; a negative record is `held` until
  that message has gone out (`held_release`), and the database refuses to let it past `held`
  without one.

Every statement is idempotent: originals are unique per loan, kind and report date
(`ON CONFLICT DO NOTHING`), notices per loan. The 24-month repayment status string of month M
is the string of the account's month M−1 record (its latest correction if corrected) shifted
by one, plus M's status: the monthly rows are the history, read once per account instead of
24 times. Layout and codes: docs/credit-reporting.md.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from autofin.notifications import next_contact_time
from servicing import loan_rules
from servicing.eod.sql import UNPAID, run

CLOSED = loan_rules.closed_sql()
REPAID = loan_rules.repaid_sql()
LEASES = "('direct_lease', 'sale_leaseback')"
FIVE_CATEGORY = (
    "(CASE x.classification "
    + " ".join(
        f"WHEN '{name}' THEN '{i}'"
        for i, name in enumerate(
            [n for _limit, n in loan_rules.CLASSIFICATIONS] + [loan_rules.CLASSIFICATION_OVER],
            start=1,
        )
    )
    + " ELSE '1' END)"
)
METHOD = (
    "(CASE l.method WHEN 'equal_instalment' THEN '11' WHEN 'equal_principal' THEN '12'"
    " WHEN 'interest_only' THEN '13' WHEN 'balloon' THEN '14' ELSE '90' END)"
)
NOTICE_BODY = (
    "'【AutoFin】您的合同 ' || l.contract_ref || ' 已逾期，应还 ' || a.arrears::text"
    " || ' 元。根据《征信业管理条例》第十五条，我司将依法向金融信用信息基础数据库报送您的"
    "逾期信息，请尽快还款；如有异议，可联系我司客服。'"
)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _previous_month(day: dt.date) -> dt.date:
    return (month_start(day) - dt.timedelta(days=1)).replace(day=1)


def negative_notices_queue(*, business_date: dt.date) -> int:
    """The first-negative notice for every overdue open loan not yet told, queued to be sent
    at the next contact time (the reminders' channel and quiet hours), and recorded."""
    return run(
        f"""
        WITH arrears AS (
            -- from the overdue loans not yet told (a night's few) to their rows by index: not
            -- a scan of the whole book's schedule rows for them
            SELECT x.loan_id, a.arrears
              FROM servicing_loandelinquency x
             CROSS JOIN LATERAL (
                    SELECT sum({UNPAID}) AS arrears
                      FROM servicing_loanschedulerow r
                     WHERE r.loan_id = x.loan_id AND r.superseded_by_version IS NULL
                       AND r.due_date < %(a)s) a
             WHERE x.dpd > 0
               AND NOT EXISTS (SELECT 1 FROM servicing_creditreportnotice n
                                WHERE n.loan_id = x.loan_id)),
        sent AS (
            INSERT INTO autofin_outboundmessage
                (created_at, channel, "to", subject, body, purpose, status, not_before, sent_at,
                 gateway, provider_ref, error, attempts, dedupe_key)
            SELECT now(), 'sms', u.phone, '', {NOTICE_BODY}, 'credit_report_notice', 'queued',
                   %(not_before)s, NULL, '', '', '', 0, 'credit-notice:' || l.id
              FROM arrears a
              JOIN servicing_loan l ON l.id = a.loan_id AND l.status NOT IN {CLOSED}
              JOIN autofin_user u ON u.id = l.customer_id AND u.phone <> ''
             WHERE a.arrears > 0
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id, dedupe_key)
        INSERT INTO servicing_creditreportnotice (loan_id, business_date, message_id, created_at)
        SELECT split_part(s.dedupe_key, ':', 2)::bigint, %(d)s, s.id, now() FROM sent s
        """,  # noqa: S608 - SQL built from constants; values are bound
        {
            "d": business_date,
            "a": business_date + dt.timedelta(days=1),
            "not_before": next_contact_time(timezone.now()),
        },
    )


def held_release() -> int:
    """Negative records whose notice has been delivered may go out; others wait."""
    return run(
        """
        UPDATE servicing_creditreportrecord c
           SET status = 'pending', notice_id = n.id
          FROM servicing_creditreportnotice n
          JOIN autofin_outboundmessage m ON m.id = n.message_id AND m.status = 'sent'
         WHERE c.status = 'held' AND n.loan_id = c.loan_id
        """
    )


# One record per selected account (CTE `sel`: loan_id, kind, event). Aliases: l the loan,
# x its delinquency, s its schedule figures, last its maturity row, p its month's repayments,
# ap the borrower.
RECORDS_INSERT = f"""
WITH sel AS ({{selection}}),
sched AS (
    -- only the rows that count: due by the report date and unpaid, or due this month
    SELECT r.loan_id,
           coalesce(sum(r.principal + r.interest + r.fee)
                    FILTER (WHERE r.due_date >= %(m0)s), 0) AS amount_due,
           count(*) FILTER (WHERE {UNPAID} > 0) AS periods,
           coalesce(sum({UNPAID}), 0) AS arrears
      FROM servicing_loanschedulerow r
     WHERE r.superseded_by_version IS NULL AND r.due_date < %(a)s
       AND (r.status <> 'paid' OR r.due_date >= %(m0)s)
       AND {{scope_r}}
     GROUP BY r.loan_id),
paid AS (
    SELECT p.loan_id, sum(p.amount) AS amount
      FROM servicing_repayment p
     WHERE p.status = 'posted' AND p.received_on BETWEEN %(m0)s AND %(d)s
       AND {{scope_p}}
     GROUP BY p.loan_id),
prev AS (
    SELECT DISTINCT ON (c.loan_id) c.loan_id, c.status_24m
      FROM servicing_creditreportrecord c
     WHERE c.kind = 'monthly' AND c.month = %(prev)s AND c.status <> 'corrected'
       AND {{scope_c}}
     ORDER BY c.loan_id, c.id DESC),
rel AS (
    SELECT ra.application_id,
           jsonb_agg(jsonb_build_object(
               'responsibility', CASE ra.role WHEN 'co_applicant' THEN '1' ELSE '2' END,
               'name', ra.name, 'id_type', '10', 'id_number_encrypted', ra.id_number_enc)
               ORDER BY ra.id) AS people
      FROM origination_applicant ra
     WHERE ra.role IN ('co_applicant', 'guarantor') AND {{scope_a}}
     GROUP BY ra.application_id),
base AS (
    SELECT sel.loan_id, sel.kind, sel.event, l.contract_ref, l.value_date, l.amount_financed,
           l.term_months, {METHOD} AS method, l.status, l.principal_outstanding,
           coalesce(k.contract_type, 'loan') AS contract_type,
           coalesce(ap.name, '') AS name, coalesce(ap.id_number_enc, '') AS id_enc,
           coalesce(rel.people, '[]'::jsonb) AS related,
           coalesce(last.due_date, l.first_due_date) AS due_date,
           coalesce(s.amount_due, 0) AS amount_due, coalesce(p.amount, 0) AS amount_paid,
           CASE WHEN l.status NOT IN {CLOSED} AND coalesce(x.dpd, 0) > 0
                THEN coalesce(s.periods, 0) ELSE 0 END AS periods,
           CASE WHEN l.status NOT IN {CLOSED} AND coalesce(x.dpd, 0) > 0
                THEN coalesce(s.arrears, 0) ELSE 0 END AS arrears,
           CASE WHEN l.status IN {CLOSED} THEN '' ELSE {FIVE_CATEGORY} END AS five,
           l.first_due_date, n.id AS notice_id, m.status AS notice_status,
           prev.status_24m AS prev_24m,
           CASE WHEN sel.kind = 'collateral' THEN jsonb_build_object(
               'type', '01', 'vin', l.vin, 'vehicle', l.vehicle, 'plate', l.plate,
               'value', coalesce(dd.contract_facts ->> 'vehicle_price', ''),
               'registration', l.mortgage_status) ELSE '{{}}'::jsonb END AS collateral
      FROM sel
      JOIN servicing_loan l ON l.id = sel.loan_id
      LEFT JOIN servicing_loandelinquency x ON x.loan_id = l.id
      LEFT JOIN sched s ON s.loan_id = l.id
      -- the maturity: the current schedule's last row (one probe of its unique index)
      LEFT JOIN LATERAL (
            SELECT r.due_date FROM servicing_loanschedulerow r
             WHERE r.loan_id = l.id AND r.schedule_version = l.schedule_version
               AND r.superseded_by_version IS NULL
             ORDER BY r.instalment_no DESC LIMIT 1) last ON TRUE
      LEFT JOIN paid p ON p.loan_id = l.id
      LEFT JOIN prev ON prev.loan_id = l.id
      LEFT JOIN origination_contract k ON k.contract_ref = l.contract_ref
      LEFT JOIN origination_applicant ap
             ON ap.application_id = l.application_id AND ap.role = 'primary'
      LEFT JOIN rel ON rel.application_id = l.application_id
      LEFT JOIN servicing_disbursement dd ON dd.loan_id = l.id AND sel.kind = 'collateral'
      LEFT JOIN servicing_creditreportnotice n ON n.loan_id = l.id
      LEFT JOIN autofin_outboundmessage m ON m.id = n.message_id),
graded AS (
    SELECT b.*,
           CASE WHEN b.status IN {REPAID} THEN 'C' WHEN b.status = 'charged_off' THEN 'B'
                WHEN b.periods > 0 THEN least(b.periods, 7)::text
                WHEN b.first_due_date > %(d)s THEN '*' ELSE 'N' END AS status_char
      FROM base b)
INSERT INTO servicing_creditreportrecord
    (batch_id, loan_id, kind, month, report_date, corrects_id, account_id, business_type, name,
     id_type, id_number_enc, open_date, due_date, amount, currency, term_months,
     repayment_method, guarantee_type, balance, amount_due, amount_paid, overdue_periods,
     overdue_amount, five_category, status_char, status_24m, event, related, collateral,
     status, notice_id, submitted_at, feedback_code, feedback_message, corrected_by_id)
SELECT %(batch)s, g.loan_id, g.kind, %(m0)s, %(d)s, NULL, g.contract_ref,
       CASE WHEN g.contract_type IN {LEASES} THEN '92' ELSE '21' END, g.name, '10', g.id_enc,
       g.value_date, g.due_date, g.amount_financed, 'CNY', g.term_months, g.method,
       CASE WHEN g.contract_type <> 'direct_lease' THEN '2'
            WHEN jsonb_array_length(g.related) > 0 THEN '3' ELSE '4' END,
       g.principal_outstanding, g.amount_due, g.amount_paid, g.periods, g.arrears, g.five,
       g.status_char, right(coalesce(g.prev_24m, repeat('/', 24)), 23) || g.status_char,
       g.event, g.related, g.collateral,
       CASE WHEN g.periods > 0 AND g.notice_status IS DISTINCT FROM 'sent' THEN 'held'
            ELSE 'pending' END,
       CASE WHEN g.notice_status = 'sent' THEN g.notice_id END, NULL, '', '', NULL
  FROM graded g
ON CONFLICT DO NOTHING
"""  # noqa: S608 - SQL built from constants; values are bound


def _records_insert(
    *, batch_id: int, business_date: dt.date, selection: str, whole_book: bool = False
) -> int:
    # The whole book's month: every qualifying schedule row in one scan and hash aggregate
    # (restricting them to `sel` makes the planner probe the index a million times); a day's
    # few events: only their loans' rows, last month's records and co-applicants — not the
    # whole book's, every night.
    scopes = {
        "{scope_r}": "r.loan_id IN (SELECT loan_id FROM sel)",
        "{scope_p}": "p.loan_id IN (SELECT loan_id FROM sel)",
        "{scope_c}": "c.loan_id IN (SELECT loan_id FROM sel)",
        "{scope_a}": "ra.application_id IN (SELECT sl.application_id FROM sel"
        " JOIN servicing_loan sl ON sl.id = sel.loan_id)",
    }
    sql = RECORDS_INSERT.replace("{selection}", selection)
    for key, scope in scopes.items():
        sql = sql.replace(key, "TRUE" if whole_book else scope)
    return run(
        sql,
        {
            "batch": batch_id,
            "d": business_date,
            "a": business_date + dt.timedelta(days=1),
            "m0": month_start(business_date),
            "prev": _previous_month(business_date),
        },
    )


def month_end_records(*, batch_id: int, business_date: dt.date) -> int:
    """The monthly record of every account open at the month's end or closed in the month."""
    selection = f"""
        SELECT l.id AS loan_id, 'monthly' AS kind, '' AS event FROM servicing_loan l
         WHERE l.value_date <= %(d)s
           AND (l.status NOT IN {CLOSED} OR l.closed_on BETWEEN %(m0)s AND %(d)s)
    """  # noqa: S608 - SQL built from constants
    return _records_insert(
        batch_id=batch_id, business_date=business_date, selection=selection, whole_book=True
    )


def event_records(*, batch_id: int, business_date: dt.date) -> int:
    """The day's openings (and their collateral), closings and status changes."""
    selection = f"""
        SELECT l.id AS loan_id, 'opening' AS kind, '' AS event FROM servicing_loan l
         WHERE l.value_date = %(d)s
        UNION ALL
        SELECT l.id, 'collateral', '' FROM servicing_loan l
          LEFT JOIN origination_contract k ON k.contract_ref = l.contract_ref
         WHERE l.value_date = %(d)s AND coalesce(k.contract_type, 'loan') <> 'direct_lease'
        UNION ALL
        SELECT l.id, 'closing',
               CASE l.status WHEN 'settled_early' THEN 'early_settlement'
                             WHEN 'charged_off' THEN 'charge_off'
                             WHEN 'repurchased' THEN 'repurchase' ELSE '' END
          FROM servicing_loan l
         WHERE l.closed_on = %(d)s AND l.status IN {CLOSED}
        UNION ALL
        SELECT DISTINCT c.loan_id, 'status_change',
               CASE WHEN c.to_status = 'restructured' THEN 'restructuring' ELSE '' END
          FROM servicing_loanstatuschange c
         WHERE c.to_status NOT IN {CLOSED}
           AND ((c.business_date = %(a)s AND c.actor_label = 'eod')
                OR (c.business_date = %(d)s AND c.to_status = 'restructured'))
    """  # noqa: S608 - SQL built from constants
    return _records_insert(batch_id=batch_id, business_date=business_date, selection=selection)
