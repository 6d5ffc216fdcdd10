"""Step 4b — LPR repricing (利率重定价) of floating-rate loans.

A floating-rate loan (`rate_basis = 'lpr'`) carries the LPR tenor and the contract's spread.
Its repricing date is each anniversary of the value date (贷款发放对应日); the new rate applies
from the first instalment period that begins on or after it, i.e. the batch reprices the loan on
the first of its due dates on or after `next_repricing_date`. Repricing at a period boundary means
no period is priced at two rates: the period ending D was trued up at the old rate by the accrual
step, and the accrual from D+1 runs on the new row at the new rate.

For the open LPR loans of the chunk with `next_repricing_date` <= D and an instalment in force due
on D (locked in id order, as every step):

* the LPR is the one in force on the repricing date (the latest published on or before it) for
  the loan's tenor; new rate = LPR + spread, to 6 places;
* the customer's rate: the new rate; for an OEM-subsidised loan (customer rate below the lender
  rate) the lower of the subsidised rate and the new rate — the OEM carries the difference;
* if it differs from the schedule's rate, the instalments due after D are re-amortised by the
  pricing engine over the same number of months and the same due dates, on the principal they
  still carry (a new schedule version; the old rows are kept, superseded, as a restructure does);
  rows already due are untouched. If a future row is already part-paid the loan is not repriced
  (`skipped`, visible on the loan page) — re-amortising would rewrite a payment;
* the lender rate and the penalty rate (lender rate x (1 + the product's penalty markup)) follow;
  `next_repricing_date` moves one year on; a `LoanRepricing` row records the LPR, the spread,
  both rates, both instalments and both versions; the customer gets an SMS in contact hours.

Nothing is posted: a rate change moves future interest only. Idempotent: the loan's
`next_repricing_date` moves in the chunk's transaction, and `LoanRepricing` is unique per loan
and repricing date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from autofin.notifications import next_contact_time
from autofin.pricing import (
    Method,
    PricingError,
    add_months,
    penalty_rate,
    quantize_rate,
    reamortize,
)
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import audit_bulk, content_type_id, lock_loans, rows, run
from servicing.models.loans import Loan, LoanRepricing, LoanScheduleRow, RepricingOutcome
from servicing.services.loans.schedule import penalty_markup_of, schedule_rows_build

DUE_TODAY = (
    "l.rate_basis = 'lpr' AND l.next_repricing_date <= %(d)s"
    " AND EXISTS (SELECT 1 FROM servicing_loanschedulerow r WHERE r.loan_id = l.id"
    " AND r.superseded_by_version IS NULL AND r.due_date = %(d)s)"
)


def lpr_in_force(tenor: str, on: dt.date, cache: dict) -> tuple[Decimal, dt.date] | None:
    """The LPR in force on a date, read per chunk (`cache`): not origination's
    `lpr_rate_current`, whose answers are kept for seconds across calls for quoting — a
    repricing takes what is recorded when it runs."""
    key = (tenor, on)
    if key not in cache:
        found = rows(
            "SELECT rate, effective_date FROM origination_lprrate"
            " WHERE tenor = %s AND effective_date <= %s ORDER BY effective_date DESC LIMIT 1",
            [tenor, on],
        )
        cache[key] = found[0] if found else None
    return cache[key]


def _new_rates(loan: dict, lpr: Decimal) -> tuple[Decimal, Decimal]:
    """(lender rate, customer's schedule rate) after repricing."""
    lender = quantize_rate(lpr + Decimal(loan["spread"]) / 10000)
    customer = lender
    if loan["customer_rate"] is not None and loan["customer_rate"] < loan["annual_rate"]:
        customer = min(loan["customer_rate"], lender)
    return lender, customer


LOANS = """
SELECT l.id, l.contract_ref, u.phone, l.lpr_tenor, l.lpr_spread_bps,
       l.next_repricing_date, l.schedule_rate, l.annual_rate, l.customer_rate,
       l.product_rules ->> 'penalty_markup', l.method, l.day_count,
       l.fee_per_instalment, l.balloon_amount, l.schedule_version
  FROM servicing_loan l JOIN autofin_user u ON u.id = l.customer_id
 WHERE l.id = ANY(%s)
"""
LOAN_KEYS = ("id", "ref", "phone", "tenor", "spread", "repricing_date", "schedule_rate",
             "annual_rate", "customer_rate", "penalty_markup", "method", "day_count", "fee",
             "balloon", "version")  # fmt: skip

FUTURE_ROWS = """
SELECT r.loan_id, r.id, r.instalment_no, r.due_date, r.principal, r.instalment,
       r.principal_paid + r.interest_paid + r.fee_paid + r.penalty_paid AS paid
  FROM servicing_loanschedulerow r
 WHERE r.loan_id = ANY(%s) AND r.superseded_by_version IS NULL AND r.due_date > %s
 ORDER BY r.loan_id, r.instalment_no
"""


def _loans_read(ids: list[int], d: dt.date) -> dict[int, dict]:
    """The chunk's loans (as dicts) with their rows due after D (`future`)."""
    loans = {}
    for r in rows(LOANS, [ids]):
        loan = dict(zip(LOAN_KEYS, r, strict=True))
        loan["rules"] = {"penalty_markup": loan.pop("penalty_markup")}
        loan["future"] = []
        loans[loan["id"]] = loan
    for loan_id, *row in rows(FUTURE_ROWS, [ids, d]):
        loans[loan_id]["future"].append(
            dict(zip(("id", "no", "due", "principal", "instalment", "paid"), row, strict=True))
        )
    return loans


@dataclass
class _Plan:
    """What the chunk writes, gathered loan by loan."""

    outcomes: dict
    records: list = field(default_factory=list)  # LoanRepricing
    new_rows: list = field(default_factory=list)  # LoanScheduleRow
    superseded: list = field(default_factory=list)  # (row id, new version)
    updates: list = field(
        default_factory=list
    )  # loan, schedule, lender, penalty rate, version, next
    finished: list = field(default_factory=list)  # nothing after D to reprice: no more dates
    missing_lpr: int = 0


def _loan_plan(loan: dict, *, d: dt.date, cache: dict, plan: _Plan) -> None:
    """The loan's outcome (repriced, unchanged, subsidised, skipped) and what it writes."""
    future = loan["future"]
    if not future:
        plan.finished.append(loan["id"])
        return
    found = lpr_in_force(loan["tenor"], loan["repricing_date"], cache)
    if found is None:
        plan.missing_lpr += 1  # retried on the loan's next due date
        return
    lpr, lpr_date = found
    lender, customer = _new_rates(loan, lpr)
    version = loan["version"]
    new_instalment = None
    if customer == loan["schedule_rate"]:
        outcome = (
            RepricingOutcome.SUBSIDISED
            if lender != loan["annual_rate"] and customer < lender
            else RepricingOutcome.UNCHANGED
        )
    elif any(f["paid"] for f in future):
        outcome = RepricingOutcome.SKIPPED
        lender, customer = loan["annual_rate"], loan["schedule_rate"]
    else:
        outcome = RepricingOutcome.REPRICED
        schedule = _reprice(loan, future, customer, d)
        if schedule is None:
            outcome = RepricingOutcome.SKIPPED
            lender, customer = loan["annual_rate"], loan["schedule_rate"]
        else:
            version += 1
            built = schedule_rows_build(loan=None, schedule=schedule, version=version)
            for row in built:
                row.loan_id = loan["id"]
            plan.new_rows.extend(built)
            plan.superseded.extend((f["id"], version) for f in future)
            new_instalment = built[0].instalment
    plan.outcomes[outcome] += 1
    # the contract's rule carried forward: the customer's new rate raised by the markup
    penalty = penalty_rate(customer, penalty_markup_of(loan["rules"]))
    next_date = add_months(loan["repricing_date"], 12)
    plan.updates.append((loan["id"], customer, lender, penalty, version, next_date))
    plan.records.append(
        LoanRepricing(
            loan_id=loan["id"],
            business_date=d,
            repricing_date=loan["repricing_date"],
            lpr_tenor=loan["tenor"],
            lpr_rate=lpr,
            lpr_effective_date=lpr_date,
            spread_bps=loan["spread"],
            old_rate=loan["schedule_rate"],
            new_rate=customer,
            old_instalment=future[0]["instalment"],
            new_instalment=new_instalment,
            old_version=loan["version"],
            new_version=version,
            outcome=outcome,
        )
    )


def _plan_write(ctx: StepContext, plan: _Plan, loans: dict) -> None:
    """The new schedule versions, the loans' rates and dates, the records, audit rows and SMS."""
    if plan.superseded:
        run(
            """
            UPDATE servicing_loanschedulerow r SET superseded_by_version = u.v
              FROM unnest(%s::bigint[], %s::int[]) AS u(id, v)
             WHERE r.id = u.id
            """,
            [[s[0] for s in plan.superseded], [s[1] for s in plan.superseded]],
        )
        LoanScheduleRow.objects.bulk_create(plan.new_rows, batch_size=2000)
    if plan.updates:
        cols = list(zip(*plan.updates, strict=True))
        run(
            """
            UPDATE servicing_loan l
               SET schedule_rate = u.sr, annual_rate = u.ar, penalty_rate = u.pr,
                   schedule_version = u.v, next_repricing_date = u.nx, updated_at = now()
              FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[], %s::int[],
                          %s::date[]) AS u(id, sr, ar, pr, v, nx)
             WHERE l.id = u.id
            """,
            [list(c) for c in cols],
        )
        LoanRepricing.objects.bulk_create(plan.records, batch_size=2000)
        changed = [r for r in plan.records if r.outcome == RepricingOutcome.REPRICED]
        _audit(ctx, changed, loans)
        _notify(ctx, changed, loans)
    if plan.finished:
        run(
            "UPDATE servicing_loan SET next_repricing_date = NULL WHERE id = ANY(%s)",
            [plan.finished],
        )


@register(code="repricing", label=_("LPR 利率重定价"), position=45)
def repricing_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    d = ctx.business_date
    ids = lock_loans(lo, hi, DUE_TODAY, {"d": d})
    if not ids:
        return {"loans": 0}
    loans = _loans_read(ids, d)
    cache: dict = {}
    plan = _Plan(outcomes=dict.fromkeys(RepricingOutcome.values, 0))
    for loan in loans.values():
        _loan_plan(loan, d=d, cache=cache, plan=plan)
    _plan_write(ctx, plan, loans)
    return {
        "loans": len(ids),
        **{k: v for k, v in plan.outcomes.items() if v},
        "finished": len(plan.finished),
        "no_lpr": plan.missing_lpr,
    }


def _reprice(loan: dict, future: list[dict], rate: Decimal, d: dt.date):
    method = Method.parse(loan["method"])
    try:
        schedule = reamortize(
            outstanding_principal=sum((f["principal"] for f in future), Decimal("0.00")),
            annual_rate=rate,
            term_months=len(future),
            method=method,
            value_date=d,
            day_count=loan["day_count"],
            first_due_date=future[0]["due"],
            fee_per_instalment=loan["fee"],
            balloon_amount=loan["balloon"] if method is Method.BALLOON else Decimal("0.00"),
            first_instalment_no=future[0]["no"],
        )
    except (PricingError, ValueError):
        return None
    # the same due dates as before (the engine rolls month ends the same way; a restructured
    # loan with hand-picked dates keeps them by not being repriced rather than being moved)
    if [r.due_date for r in schedule.rows] != [f["due"] for f in future]:
        return None
    return schedule


def _audit(ctx: StepContext, changed: list, loans: dict) -> None:
    audit_bulk(
        ct=content_type_id(Loan),
        ids=[r.loan_id for r in changed],
        reprs=[loans[r.loan_id]["ref"] for r in changed],
        action="loan_reprice",
        froms=[str(r.old_rate) for r in changed],
        tos=[str(r.new_rate) for r in changed],
        actor=ctx.actor,
        reason="LPR",
    )


def _notify(ctx: StepContext, changed: list, loans: dict) -> None:
    targets = [(r, loans[r.loan_id]) for r in changed if loans[r.loan_id]["phone"]]
    if not targets:
        return
    bodies = [
        _(
            "【AutoFin】按合同约定，您的贷款 %(ref)s 已于 %(date)s 按 LPR 重定价：年利率由 "
            "%(old)s%% 调整为 %(new)s%%，自 %(first)s 起每期还款 %(amount)s 元。"
        )
        % {
            "ref": loan["ref"],
            "date": r.repricing_date.isoformat(),
            "old": f"{r.old_rate * 100:.2f}",
            "new": f"{r.new_rate * 100:.2f}",
            "first": loan["future"][0]["due"].isoformat(),
            "amount": r.new_instalment,
        }
        for r, loan in targets
    ]
    run(
        """
        INSERT INTO autofin_outboundmessage
            (created_at, channel, "to", subject, body, purpose, status, not_before, sent_at,
             gateway, provider_ref, error, attempts, dedupe_key)
        SELECT now(), 'sms', u.phone, '', u.body, 'loan_repricing', 'queued', %s, NULL, '', '',
               '', 0, 'reprice:' || u.id || ':' || u.day
          FROM unnest(%s::bigint[], %s::varchar[], %s::text[], %s::varchar[])
               AS u(id, phone, body, day)
        ON CONFLICT (dedupe_key) DO NOTHING
        """,
        [
            next_contact_time(timezone.now()),
            [r.loan_id for r, _loan in targets],
            [loan["phone"] for _r, loan in targets],
            [str(b) for b in bodies],
            [r.repricing_date.isoformat() for r, _loan in targets],
        ],
    )
