"""Reading the product → GL mapping: the rule that picks a line's GL account, written once as SQL
and joined wherever lines are read for the general ledger (the period's GL extract and GL trial
balance), and the mapping's rows for its page.

The rule: among the ACTIVE rows for the line's role (its chart account) effective on the
entry's business date, the most specific wins — the loan's product code, then its product line
(vehicle kind), then the row for all products — and among rows as specific, the latest date. No
row: the role's own account. Resolution happens when lines are read for the GL, never when they
are posted, so the posting hot path is untouched and a mapping dated in an open period applies
to that period's extract as a whole (docs/decisions/0013-product-gl-mapping.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections

from servicing.models.gl_mapping import GlMapping

PRIMARY = DEFAULT_DB_ALIAS

# aliases the caller provides: jl the line, je its entry, a its chart account, ln its loan (LEFT
# JOIN, NULL for a line without one); yields ga, the line's GL account
GL_ACCOUNT_JOIN = """
  LEFT JOIN LATERAL (
        SELECT m.account_id
          FROM servicing_glmapping m
         WHERE m.status = 'active' AND m.role_code = a.code
           AND m.effective_from <= je.business_date
           AND ((m.product_code <> ''
                 AND m.product_code = coalesce(ln.product_rules ->> 'product_code', ''))
             OR (m.product_code = '' AND m.vehicle_kind <> ''
                 AND m.vehicle_kind = coalesce(ln.product_rules ->> 'vehicle_kind', ''))
             OR (m.product_code = '' AND m.vehicle_kind = ''))
         ORDER BY (m.product_code <> '') DESC, (m.vehicle_kind <> '') DESC, m.effective_from DESC
         LIMIT 1) gm ON TRUE
  JOIN servicing_ledgeraccount ga ON ga.id = coalesce(gm.account_id, a.id)
"""

LINES_FROM = f"""
  FROM servicing_journalline jl
  JOIN servicing_journalentry je ON je.id = jl.entry_id
  JOIN servicing_ledgeraccount a ON a.id = jl.account_id
  LEFT JOIN servicing_loan ln ON ln.id = jl.loan_id
  {GL_ACCOUNT_JOIN}
"""  # noqa: S608 - built from constants


def gl_extract_lines(first: dt.date, last: dt.date) -> Iterator[tuple]:
    """Every journal line dated first..last in posting order, with its chart account and its GL
    account, streamed from the primary by a server-side cursor."""
    connection = connections[PRIMARY]
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"""
            SELECT je.business_date, je.id, je.source_type, je.source_id, a.code, a.name,
                   jl.side, jl.amount, jl.loan_id, jl.dealer_id, je.description, ga.code, ga.name
            {LINES_FROM}
             WHERE je.business_date BETWEEN %s AND %s
             ORDER BY je.business_date, je.id, jl.id
            """,  # noqa: S608 - built from constants; values are bound
            [first, last],
        )
        while batch := cursor.fetchmany(5000):
            yield from batch


def gl_trial_balance(as_of: dt.date) -> list[tuple]:
    """(GL code, name, type, normal side, debit, credit) per GL account over every line dated up
    to `as_of`: the trial balance the general ledger files, by mapped account."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(
            f"""
            SELECT ga.code, ga.name, ga.account_type, ga.normal_side,
                   coalesce(sum(jl.amount) FILTER (WHERE jl.side = 'D'), 0.00),
                   coalesce(sum(jl.amount) FILTER (WHERE jl.side = 'C'), 0.00)
            {LINES_FROM}
             WHERE je.business_date <= %s
             GROUP BY ga.code, ga.name, ga.account_type, ga.normal_side, ga.sort_order
             ORDER BY ga.sort_order, ga.code
            """,  # noqa: S608 - built from constants; values are bound
            [as_of],
        )
        return cursor.fetchall()


def gl_mappings() -> list[GlMapping]:
    return list(
        GlMapping.objects.using(PRIMARY)
        .select_related("role", "account", "created_by", "approved_by")
        .order_by("role__sort_order", "role_id", "product_code", "vehicle_kind", "-effective_from")
    )
