"""Small SQL helpers shared by the set-based steps: locking a chunk's loans in id order, posting
one ledger entry per chunk from a temp table of lines, bulk status-change history and audit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from servicing import loan_rules
from servicing.eod.registry import StepContext
from servicing.models.loans import Loan

# generated from the one definition (servicing.loan_rules): ``status NOT IN {CLOSED_SQL}``
CLOSED_SQL = loan_rules.closed_sql()
REPAID_SQL = loan_rules.repaid_sql()
# amount unpaid of a schedule row (alias r)
UNPAID = (
    "((r.principal - r.principal_paid) + (r.interest - r.interest_paid)"
    " + (r.fee - r.fee_paid) + (r.penalty - r.penalty_paid))"
)


def open_rows_sql(
    due: str, columns: str = "r.loan_id", *, unpaid: bool = True, bound: bool = False
) -> str:
    """SELECT `columns` of the schedule rows in force and not paid (alias r) whose due date meets
    `due` (SQL on r.due_date) and, when `unpaid`, with something left to pay (UNPAID > 0), of the
    loans in [%(lo)s, %(hi)s] — in two arms, one per partial index of migration
    servicing/0048: the rows not yet fallen due (`pending`, by due date then loan) and the
    arrears (every other unpaid status, by loan), so a chunk reads the rows that matter to it
    instead of every row of its loans.

    `bound`: `due` is a bound (`r.due_date <= %(d)s`), not a date or a short list of them. Rows
    still pending by D are none once the due step has run, but the planner, taking status and
    due date for independent, expects a quarter of the book and would read every row of the
    range by the loan index to find them. So the pending arm runs only when the book has any: a
    one-time check of the due-date index, in its order — an index scan, which marks the entries
    left by rows since fallen due as dead for the next chunks, where a bitmap scan would visit
    their heap rows again in every chunk."""
    cond = f"r.superseded_by_version IS NULL AND {due}" + (f" AND {UNPAID} > 0" if unpaid else "")
    pending = f"r.status = 'pending' AND {cond}"
    # the inner alias r hides the outer one: the check reads the whole book, once a statement
    first_pending = f"SELECT 1 FROM servicing_loanschedulerow r WHERE {pending}"  # noqa: S608
    gate = f" AND ({first_pending} ORDER BY r.due_date LIMIT 1) IS NOT NULL" if bound else ""
    return f"""
        SELECT {columns} FROM servicing_loanschedulerow r
         WHERE {pending} AND r.loan_id BETWEEN %(lo)s AND %(hi)s{gate}
        UNION ALL
        SELECT {columns} FROM servicing_loanschedulerow r
         WHERE r.status NOT IN ('paid', 'pending') AND r.loan_id BETWEEN %(lo)s AND %(hi)s
           AND {cond}
    """  # noqa: S608 - SQL built from constants; values are bound


def run(sql: str, params: Any = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def rows(sql: str, params: Any = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def one(sql: str, params: Any = None) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def locked_loans_sql(condition: str = "TRUE", columns: str = "l.id") -> str:
    """The open loans of [%(lo)s, %(hi)s] meeting `condition` (SQL on alias l), locked FOR
    UPDATE in id order — the same order, Loan row first, as every online money path (see
    servicing.eod). A step may use it as a CTE to lock and read its loans in one statement."""
    return f"""
        SELECT {columns} FROM servicing_loan l
         WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.status NOT IN {CLOSED_SQL}
           AND ({condition})
         ORDER BY l.id
           FOR UPDATE OF l
    """  # noqa: S608 - SQL built from constants; values are bound


def lock_loans(lo: int, hi: int, condition: str = "TRUE", params: dict | None = None) -> list[int]:
    """Lock the open loans of [lo, hi] meeting `condition` (`locked_loans_sql`); their ids."""
    return [r[0] for r in rows(locked_loans_sql(condition), {"lo": lo, "hi": hi, **(params or {})})]


def temp_table(name: str, select_sql: str, params: Any = None) -> int:
    """(Re)create a temp table from a query; dropped at commit."""
    run(f"DROP TABLE IF EXISTS {name}")
    return run(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {select_sql}", params)


def post_lines(
    *,
    ctx: StepContext,
    step: str,
    lines_sql: str,
    params: dict,
    source_type: str,
    description: str,
    lo: int,
    hi: int,
    keys: Sequence[str] = ("loan_id",),
) -> int | None:
    """Post ONE ledger entry for the chunk from `lines_sql` (columns: code, side, amount and
    the sub-ledger `keys`, loan_id by default; amounts > 0): one INSERT for the header, one for
    every line (the ledger's statement-level guard checks them as a set). Nothing is posted
    without lines. Returns the entry id or None."""
    temp_table("eod_lines", lines_sql, params)
    found = one(
        "SELECT count(*), coalesce(sum(CASE side WHEN 'D' THEN amount ELSE -amount END), 0) FROM eod_lines"
    )
    if not found or not found[0]:
        return None
    if found[1] != 0:
        raise ValueError(f"{step}: chunk lines do not balance ({found[1]})")
    key = f"eod:{ctx.business_date.isoformat()}:{step}:{lo}-{hi}"
    entry_id = one(
        """
        INSERT INTO servicing_journalentry
            (business_date, source_type, source_id, loan_id, description, idempotency_key,
             reverses_id, created_by_id, created_by_label)
        VALUES (%s, %s, %s, NULL, %s, %s, NULL, NULL, %s)
        RETURNING id
        """,
        [ctx.business_date, source_type, key[:64], description[:255], key, ctx.actor],
    )[0]
    if any(not k.isidentifier() for k in keys):
        raise ValueError(f"{step}: bad sub-ledger columns {keys!r}")
    columns = "".join(f", {k}" for k in keys)
    values = "".join(f", x.{k}" for k in keys)
    run(
        f"""
        INSERT INTO servicing_journalline
            (entry_id, account_id, side, amount, business_date{columns})
        SELECT %s, a.id, x.side, x.amount, %s{values}
          FROM eod_lines x JOIN servicing_ledgeraccount a ON a.code = x.code
        """,  # noqa: S608 - column names checked above; values are bound
        [entry_id, ctx.business_date],
    )
    return entry_id


def status_changes_record(
    *, ctx: StepContext, changes: Sequence[tuple[int, str, str, str]], reason: str = ""
) -> None:
    """History rows and audit rows for loan status changes (loan_id, contract_ref, from, to),
    as `loan_status_set` writes them one by one: status date D+1 (the next business date)."""
    if not changes:
        return

    ct = ContentType.objects.get_for_model(Loan, for_concrete_model=False).pk
    ids = [c[0] for c in changes]
    refs = [c[1] for c in changes]
    froms = [c[2] for c in changes]
    tos = [c[3] for c in changes]
    data = json.dumps({"business_date": ctx.next_date.isoformat()})
    run(
        """
        INSERT INTO servicing_loanstatuschange
            (loan_id, from_status, to_status, business_date, reason, actor_label, created_at)
        SELECT u.id, u.f, u.t, %s, %s, %s, now()
          FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[]) AS u(id, f, t)
        """,
        [ctx.next_date, reason, ctx.actor, ids, froms, tos],
    )
    audit_bulk(
        ct=ct,
        ids=ids,
        reprs=refs,
        action="loan_status",
        froms=froms,
        tos=tos,
        actor=ctx.actor,
        reason=reason,
        data=data,
    )


def audit_bulk(
    *,
    ct: int,
    ids: Sequence[int],
    reprs: Sequence[str],
    action: str,
    froms: Sequence[str],
    tos: Sequence[str],
    actor: str,
    reason: str = "",
    data: str = "{}",
) -> None:
    """Audit rows in one INSERT (what autofin.audit.audit_record writes, for a set)."""
    if not ids:
        return
    run(
        """
        INSERT INTO autofin_auditentry
            (created_at, actor_id, actor_label, content_type_id, object_id, object_repr, action,
             from_state, to_state, reason, data)
        SELECT now(), NULL, %s, %s, u.id::text, left(u.r, 200), %s, u.f, u.t, %s, %s::jsonb
          FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[]) AS u(id, r, f, t)
        """,
        [actor, ct, action, reason, data, list(ids), list(reprs), list(froms), list(tos)],
    )


def content_type_id(model) -> int:
    return ContentType.objects.get_for_model(model, for_concrete_model=False).pk
