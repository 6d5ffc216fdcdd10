"""Step 10.5 — reconciliation (对账) of every loan's stored figures with its ledger balances.

Three paths write a loan's stored figures (the ORM services, the hot-path SQL, the batch's SQL)
next to their ledger postings; this step proves they still agree. Per chunk, in ONE statement
(one snapshot: an online posting commits its figures and its entry together, so it is seen
whole or not at all), each open or closed loan but a written-off one (charged off, repurchased) is compared, component
by component, with the balances of the ledger lines carrying its id:

* principal            the loan's `principal_outstanding`          principal receivable
* schedule_principal   unpaid principal of the rows in force        principal receivable
* interest             interest due and posted less paid           interest receivable + the
                                                                    off-balance interest of a
                                                                    non-accrual loan
* fee / penalty        due less paid                               fee / penalty receivable
* suspense             the loan's `suspense_balance`                customer suspense
* lease_unearned / lease_receivable (leases only): the scheduled interest not yet
  accrued, against unearned finance income and lease payments unearned (decision 0014)

The stored side is `servicing.selectors.loans.loan_figures_sql`, the very query `loan_figures`
runs. Each difference is a `LedgerBreak` row (unique per date, loan and component) and goes on
the list of the day's `FinanceTask` for finance (opened once). Finalize looks again at the loans
with open breaks — a retry after finance corrected them finds them equal and marks them
resolved — and any left FAIL the step: the batch stops, the business date does not advance,
and the batch page lists the breaks.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from servicing import loan_rules
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import one, rows, run, temp_table
from servicing.selectors.loans import loan_figures_sql
from servicing.services.leases.accounting import lease_compare_sql


class ReconciliationError(Exception):
    pass


# (component, stored column of FIGURES_SQL, ledger column below)
COMPONENTS = (
    ("principal", "principal", "principal_receivable"),
    ("schedule_principal", "schedule_principal", "principal_receivable"),
    ("interest", "interest", "interest"),
    ("fee", "fee", "fee_receivable"),
    ("penalty", "penalty", "penalty_receivable"),
    ("suspense", "suspense", "customer_suspense"),
)

LEDGER = """
SELECT jl.loan_id,
       sum(x.amount) FILTER (WHERE a.code = 'principal_receivable') AS principal_receivable,
       sum(x.amount) FILTER (WHERE a.code IN ('interest_receivable', 'off_balance_interest'))
           AS interest,
       sum(x.amount) FILTER (WHERE a.code = 'fee_receivable') AS fee_receivable,
       sum(x.amount) FILTER (WHERE a.code = 'penalty_receivable') AS penalty_receivable,
       sum(x.amount) FILTER (WHERE a.code = 'customer_suspense') AS customer_suspense
  FROM servicing_journalline jl
  JOIN servicing_ledgeraccount a ON a.id = jl.account_id
  CROSS JOIN LATERAL (
        SELECT CASE WHEN jl.side = a.normal_side THEN jl.amount ELSE -jl.amount END AS amount
       ) x
 WHERE jl.loan_id {scope}
   AND a.code IN ('principal_receivable', 'interest_receivable', 'off_balance_interest',
                  'fee_receivable', 'penalty_receivable', 'customer_suspense')
 GROUP BY jl.loan_id
"""


def compare_sql(scope: str) -> str:
    """(loan_id, component, stored, ledger) for every difference among the loans in `scope`."""
    values = ", ".join(
        f"('{code}', f.{stored}, coalesce(g.{ledger}, 0))" for code, stored, ledger in COMPONENTS
    )
    return f"""
        WITH f AS ({loan_figures_sql(scope=scope)}), g AS ({LEDGER.format(scope=scope)})
        SELECT f.loan_id, c.component, c.stored, c.ledger
          FROM f LEFT JOIN g ON g.loan_id = f.loan_id
          CROSS JOIN LATERAL (VALUES {values}) AS c(component, stored, ledger)
         WHERE c.stored <> c.ledger
        UNION ALL {lease_compare_sql(scope)}
    """  # noqa: S608 - SQL built from constants; values are bound


BREAKS_RECORD = """
INSERT INTO servicing_ledgerbreak
    (business_date, loan_id, component, stored, ledger, resolved_on, created_at)
SELECT %(d)s, b.loan_id, b.component, b.stored, b.ledger, NULL, now() FROM eod_breaks b
ON CONFLICT (business_date, loan_id, component)
DO UPDATE SET stored = excluded.stored, ledger = excluded.ledger, resolved_on = NULL
"""

TASK_OPEN = """
INSERT INTO servicing_financetask (kind, business_date, status, detail, created_at)
SELECT 'ledger_reconciliation', %(d)s, 'open',
       jsonb_build_object('breaks', coalesce(jsonb_agg(jsonb_build_object(
           'loan_id', b.loan_id, 'contract_ref', l.contract_ref, 'component', b.component,
           'stored', b.stored::text, 'ledger', b.ledger::text,
           'difference', (b.stored - b.ledger)::text) ORDER BY b.loan_id, b.component),
           '[]'::jsonb)), now()
  FROM eod_breaks b JOIN servicing_loan l ON l.id = b.loan_id
ON CONFLICT (kind, business_date) DO UPDATE
   SET status = 'open',
       detail = jsonb_build_object('breaks',
                   (servicing_financetask.detail -> 'breaks') || (excluded.detail -> 'breaks'))
"""


def reconciliation_finalize(ctx: StepContext) -> dict:
    """Look again at the loans with open breaks of D: those now equal are resolved; any left
    fail the step (and so the batch)."""
    d = ctx.business_date
    loan_ids = [
        r[0]
        for r in rows(
            "SELECT DISTINCT loan_id FROM servicing_ledgerbreak"
            " WHERE business_date = %s AND resolved_on IS NULL ORDER BY loan_id",
            [d],
        )
    ]
    if not loan_ids:
        return {"open_breaks": 0}
    temp_table("eod_breaks", compare_sql("= ANY(%(ids)s)"), {"ids": loan_ids})
    run(
        """
        UPDATE servicing_ledgerbreak k SET resolved_on = %s
         WHERE k.business_date = %s AND k.resolved_on IS NULL
           AND NOT EXISTS (SELECT 1 FROM eod_breaks b
                            WHERE b.loan_id = k.loan_id AND b.component = k.component)
        """,
        [d, d],
    )
    left = rows(
        """
        SELECT l.contract_ref, b.component, b.stored, b.ledger
          FROM eod_breaks b JOIN servicing_loan l ON l.id = b.loan_id
         ORDER BY b.loan_id, b.component
        """
    )
    if not left:
        run(
            "UPDATE servicing_financetask SET status = 'done'"
            " WHERE kind = 'ledger_reconciliation' AND business_date = %s",
            [d],
        )
        return {"open_breaks": 0, "resolved": len(loan_ids)}
    shown = "; ".join(f"{ref} {comp} 账户 {s} 总账 {g}" for ref, comp, s, g in left[:10])
    more = f" 等 {len(left)} 处" if len(left) > 10 else ""
    raise ReconciliationError(f"贷款账户与总账不符：{shown}{more}")


@register(
    code="reconciliation",
    label=_("贷款账户与总账对账"),
    position=105,
    finalize=reconciliation_finalize,
)
def reconciliation_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    params = {"lo": lo, "hi": hi, "d": ctx.business_date}
    temp_table("eod_breaks", compare_sql("BETWEEN %(lo)s AND %(hi)s"), params)
    found = one("SELECT count(*), count(DISTINCT loan_id) FROM eod_breaks")
    if found[0]:
        run(BREAKS_RECORD, params)
        run(TASK_OPEN, params)
    loans = one(
        "SELECT count(*) FROM servicing_loan"  # noqa: S608 - statuses are loan_rules' constants
        f" WHERE id BETWEEN %(lo)s AND %(hi)s AND status NOT IN {loan_rules.written_off_sql()}",
        params,
    )[0]
    return {"loans": loans, "differences": found[0], "loans_differing": found[1]}
