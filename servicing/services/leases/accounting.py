"""Lease accounting (decision 0014): the gross-up at commencement and its release as interest
accrues, and 直租's input VAT and deferred output VAT.

- Commencement (`lease_commence`, called once by funding): Dr lease_payments_unearned /
  Cr unearned_finance_income the lease's total scheduled interest; 直租 also Dr vat_input /
  Cr vat_output_deferred the car's purchase VAT (the asset's `purchase_vat`, or, before the
  asset register has the car, round(amount financed x r / (1 + r)) at the 有形动产 rate).
- Release: the unearned finance income of a lease is, at every moment, its scheduled interest
  not yet accrued (`UNACCRUED_SQL`: the interest of the rows in force due after
  `accrued_through`, less what was posted for the current period). Whatever moves that figure
  (the nightly accrual, the per-loan accrual, a prepayment that re-prices the rest, an early
  settlement that cancels the rest, a restructure) is followed by a sync that posts the
  difference: Dr unearned_finance_income / Cr lease_payments_unearned (the other way round if
  the figure grew). The nightly accrual does it set-based (`SYNC_LINES_SQL`); the per-loan
  paths call `lease_unearned_sync`. A closed lease's figure is zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from autofin.money import ZERO
from servicing import loan_rules
from servicing.eod.sql import one
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.leases import LeaseAsset
from servicing.models.loans import Loan
from servicing.services.invoicing import vat_rate
from servicing.services.leases.vat import LEASE_VAT_KIND, is_lease, tax_inclusive_part
from servicing.services.ledger.posting import journal_post

LEASE_TYPES = tuple(LEASE_VAT_KIND)
LEASE_TYPES_SQL = "(" + ", ".join(f"'{t}'" for t in LEASE_TYPES) + ")"
SOURCE_TYPE = "lease"

# The lease sub-ledger's unearned finance income of loan `l` (alias): scheduled interest not
# yet accrued; zero once the lease is closed.
UNACCRUED_SQL = f"""
CASE WHEN l.status IN {loan_rules.closed_sql()} THEN 0 ELSE
  coalesce((SELECT sum(s.interest) FROM servicing_loanschedulerow s
             WHERE s.loan_id = l.id AND s.superseded_by_version IS NULL
               AND s.due_date > l.accrued_through), 0) - l.accrual_period_posted
END
"""  # noqa: S608 - SQL built from constants

# The ledger's unearned finance income of loan `l` (credit balance).
UNEARNED_BALANCE_SQL = """
coalesce((SELECT sum(CASE jl.side WHEN 'C' THEN jl.amount ELSE -jl.amount END)
            FROM servicing_journalline jl
            JOIN servicing_ledgeraccount la ON la.id = jl.account_id
           WHERE jl.loan_id = l.id AND la.code = 'unearned_finance_income'), 0)
"""


def release_lines_sql(accrued: str) -> str:
    """The nightly release's ledger lines (code, side, amount, loan_id), set-based: for each
    lease of [%(lo)s, %(hi)s] that `accrued` (SQL on alias l) selects, and each closed one
    (charged off by the batch, repurchased...) whose unearned finance income the path that
    closed it did not clear — a closed lease's figure is zero, so its delta is its whole
    balance, and a cleared one has none. Each delta is computed once and gives its two lines
    (delta > 0 releases income)."""
    return f"""
SELECT v.code, v.side, abs(rel.delta) AS amount, rel.loan_id
  FROM (SELECT l.id AS loan_id, ({UNEARNED_BALANCE_SQL}) - ({UNACCRUED_SQL}) AS delta
          FROM servicing_loan l
         WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.contract_type IN {LEASE_TYPES_SQL}
           AND (l.status IN {loan_rules.closed_sql()} OR {accrued})) rel
 CROSS JOIN LATERAL (
        VALUES ('unearned_finance_income', CASE WHEN rel.delta > 0 THEN 'D' ELSE 'C' END),
               ('lease_payments_unearned', CASE WHEN rel.delta > 0 THEN 'C' ELSE 'D' END)
       ) AS v(code, side)
 WHERE rel.delta <> 0
"""  # noqa: S608 - SQL built from constants; values are bound


def _pair(debit: str, credit: str, amount: Decimal, loan_id: int) -> list[tuple]:
    """Dr `debit` / Cr `credit` the amount (a negative amount the other way round)."""
    if not amount:
        return []
    d, c = ("D", "C") if amount > 0 else ("C", "D")
    return [(debit, d, abs(amount), loan_id), (credit, c, abs(amount), loan_id)]


def lease_unaccrued_interest(loan_id: int) -> Decimal:
    """The lease sub-ledger's unearned finance income of one loan."""
    found = one(f"SELECT {UNACCRUED_SQL} FROM servicing_loan l WHERE l.id = %s", [loan_id])  # noqa: S608
    return found[0] if found else ZERO


def _unearned_balance(loan_id: int) -> Decimal:
    return one(f"SELECT {UNEARNED_BALANCE_SQL} FROM servicing_loan l WHERE l.id = %s", [loan_id])[0]  # noqa: S608


def purchase_vat_of(loan: Loan, on: dt.date) -> Decimal:
    """直租: the car's input VAT — the asset register's figure, or before the car is registered,
    the tax inside the amount financed (the lessor buys the car for it)."""
    asset_vat = LeaseAsset.objects.filter(loan=loan).values_list("purchase_vat", flat=True).first()
    if asset_vat:
        return asset_vat
    rate = vat_rate(kind=LEASE_VAT_KIND["direct_lease"], on=on)
    return tax_inclusive_part(loan.amount_financed, rate)


def lease_commence(*, loan: Loan, on: dt.date, actor: Any) -> None:
    """The lease's commencement entry (nothing for a loan); once per loan."""
    if not is_lease(loan):
        return
    interest = lease_unaccrued_interest(loan.pk)
    lines = _pair(A.LEASE_PAYMENTS_UNEARNED, A.UNEARNED_FINANCE_INCOME, interest, loan.pk)
    if loan.contract_type == "direct_lease":
        vat = purchase_vat_of(loan, on)
        lines += _pair(A.VAT_INPUT, A.VAT_OUTPUT_DEFERRED, vat, loan.pk)
    if lines:
        journal_post(
            business_date=on, source_type=SOURCE_TYPE, source_id=loan.pk, lines=lines,
            idempotency_key=f"lease-commence:{loan.pk}",
            description=memo("lease_commence", ref=loan.contract_ref), actor=actor,
            loan_id=loan.pk,
        )  # fmt: skip


def lease_unearned_sync(*, loan: Loan, on: dt.date, actor: Any, key: str) -> Decimal:
    """Post the difference between the ledger's unearned finance income of a lease and its
    sub-ledger figure (the release, positive, or a re-gross-up); `key` names what moved it
    (idempotent per key). Returns the amount released."""
    if not is_lease(loan):
        return ZERO
    delta = _unearned_balance(loan.pk) - lease_unaccrued_interest(loan.pk)
    lines = _pair(A.UNEARNED_FINANCE_INCOME, A.LEASE_PAYMENTS_UNEARNED, delta, loan.pk)
    if lines:
        journal_post(
            business_date=on, source_type=SOURCE_TYPE, source_id=loan.pk, lines=lines,
            idempotency_key=f"lease-release:{loan.pk}:{key}"[:64],
            description=memo("lease_unearned_release"), actor=actor, loan_id=loan.pk,
        )  # fmt: skip
    return delta


def _balance_sql(code: str, normal: str) -> str:
    return f"""coalesce((SELECT sum(CASE jl.side WHEN '{normal}' THEN jl.amount ELSE -jl.amount END)
            FROM servicing_journalline jl
            JOIN servicing_ledgeraccount la ON la.id = jl.account_id
           WHERE jl.loan_id = l.id AND la.code = '{code}'), 0)"""  # noqa: S608 - constants


def lease_compare_sql(scope: str) -> str:
    """(loan_id, component, stored, ledger) for every lease in `scope` whose unearned finance
    income or lease payments unearned differ from its scheduled interest not yet accrued (the
    nightly reconciliation's lease components; written-off leases are left out as there)."""
    return f"""
        SELECT x.loan_id, c.component, c.stored, c.ledger
          FROM (SELECT l.id AS loan_id, ({UNACCRUED_SQL}) AS unaccrued,
                       {_balance_sql("unearned_finance_income", "C")} AS ufi,
                       {_balance_sql("lease_payments_unearned", "D")} AS lpu
                  FROM servicing_loan l
                 WHERE l.id {scope} AND l.contract_type IN {LEASE_TYPES_SQL}
                   AND l.status NOT IN {loan_rules.written_off_sql()}) x
         CROSS JOIN LATERAL (VALUES ('lease_unearned', x.unaccrued, x.ufi),
                                    ('lease_receivable', x.unaccrued, x.lpu))
               AS c(component, stored, ledger)
         WHERE c.stored <> c.ledger
    """  # noqa: S608 - SQL built from constants; values are bound
