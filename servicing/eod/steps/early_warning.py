"""Step 5 — in-loan early warning (贷中预警): hand each candidate loan's facts to risk's rules.

Facts gathered set-based for the chunk (risk imports no app; we hand the facts in):
late_payments_6m (rows due in the last six months paid late or still unpaid), recent_repayments
(the last three instalment repayments, oldest first), dealer_grade and dealer_grade_previous.
Evaluation is event-driven — the facts only change on these events: an instalment fell due on D
and is unpaid at close (a new late row), a repayment was posted on D or D+1, or the loan's
dealer's grade dropped. Those loans are the candidates (EOD_EARLY_WARNING_FULL=True adds every
loan ever delinquent, for a first run over an existing book). A candidate is evaluated only when its facts
changed since its last evaluation (`LoanRiskProfile.facts_hash`) and could hit a signal at all
(late payments at least the LATE_REPEATED count, falling repayments, a dealer grade drop), so a
re-run — or the next night with the same facts — records no hit twice. Hits are stored by risk
(`early_warning_evaluate`); here they raise the loan's risk level (never lower it) and open a
`LoanTask` of kind early_warning and the rules' suggested actions (warning_actions).
Court lists feed their own step (court_lists, before this one); GPS telematics and the outside
feeds (phone status, bureau re-check, LTV) theirs (telematics, after this one).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dealers.models.grading import DealerGrade
from risk.models import EarlyWarningRule
from risk.services.early_warning import early_warning_evaluate_many
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, UNPAID, open_rows_sql, rows
from servicing.services.collections import loans_risk_raise
from servicing.services.warning_actions import warning_actions_open

FACTS = f"""
SELECT l.id, l.contract_ref, l.dealer_id,
       (SELECT count(*) FROM servicing_loanschedulerow r
         WHERE r.loan_id = l.id AND r.superseded_by_version IS NULL
           AND r.due_date > (%(d)s::date - interval '6 months') AND r.due_date <= %(d)s
           AND ((r.status = 'paid' AND r.paid_on > r.due_date) OR {UNPAID} > 0)) AS late,
       (SELECT coalesce(array_agg(x.amount::text ORDER BY x.id), '{{}}')
          FROM (SELECT p.id, p.amount FROM servicing_repayment p
                 WHERE p.loan_id = l.id AND p.status = 'posted' AND p.purpose = 'instalment'
                   AND p.source <> 'suspense'
                 ORDER BY p.id DESC LIMIT 3) x) AS recent,
       coalesce(rp.facts_hash, '') AS facts_hash, coalesce(rp.level, 'none') AS level
  FROM servicing_loan l
  LEFT JOIN servicing_loanriskprofile rp ON rp.loan_id = l.id
 WHERE l.id BETWEEN %(lo)s AND %(hi)s
   AND l.status NOT IN {CLOSED_SQL}
   AND (l.id IN ({open_rows_sql("r.due_date = %(d)s")})
        OR EXISTS (SELECT 1 FROM servicing_repayment p
                    WHERE p.loan_id = l.id AND p.status = 'posted'
                      AND p.received_on IN (%(d)s, %(next)s))
        OR l.dealer_id = ANY(%(dropped)s)
        OR (%(full)s AND EXISTS (SELECT 1 FROM servicing_loandelinquency x
                                  WHERE x.loan_id = l.id)))
 ORDER BY l.id
"""  # noqa: S608 - SQL built from constants; values are bound


def dealer_grades(as_of) -> dict[int, tuple[str | None, str | None]]:
    """{dealer_id: (latest grade, the one before)} as of a date."""

    result: dict[int, list[str]] = {}
    for dealer_id, grade in (
        DealerGrade.objects.filter(as_of__lte=as_of)
        .order_by("dealer_id", "-as_of", "-id")
        .values_list("dealer_id", "grade")
    ):
        grades = result.setdefault(dealer_id, [])
        if len(grades) < 2:
            grades.append(grade)
    return {k: (v[0], v[1] if len(v) > 1 else None) for k, v in result.items()}


def _thresholds() -> tuple[int, int]:
    """The smallest late count (LATE_REPEATED) and months (REPAYMENT_FALLING) that can hit,
    from risk's configured rules (defaults 2 and 3)."""

    params = dict(
        EarlyWarningRule.objects.filter(
            code__in=["LATE_REPEATED", "REPAYMENT_FALLING"], enabled=True
        ).values_list("code", "params")
    )
    late = int((params.get("LATE_REPEATED") or {}).get("count", 2)) if params else 2
    months = int((params.get("REPAYMENT_FALLING") or {}).get("months", 3)) if params else 3
    return late, months


@register(code="early_warning", label=_("贷中预警"), position=50)
def early_warning_chunk(ctx: StepContext, lo: int, hi: int) -> dict:

    grades = dealer_grades(ctx.business_date)
    dropped = [k for k, (now, before) in grades.items() if now and before and now > before]

    candidates = rows(
        FACTS,
        {
            "d": ctx.business_date,
            "next": ctx.next_date,
            "lo": lo,
            "hi": hi,
            "dropped": dropped,
            "full": settings.EOD_EARLY_WARNING_FULL,
        },
    )
    min_late, months = _thresholds()
    pending: list[tuple[int, str, dict, str]] = []
    for loan_id, ref, dealer_id, late, recent, old_hash, _level in candidates:
        grade, previous = grades.get(dealer_id, (None, None))
        amounts = [Decimal(a) for a in recent]
        falling = len(amounts) >= months and all(
            b < a for a, b in zip(amounts[-months:], amounts[-months + 1 :], strict=False)
        )
        if late < min_late and not falling and dealer_id not in dropped:
            continue  # cannot hit a servicing-fed signal: not worth a round trip to risk
        facts = {
            "late_payments_6m": late,
            "recent_repayments": list(recent),
            "dealer_grade": grade,
            "dealer_grade_previous": previous,
        }
        digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()
        if digest != old_hash:
            pending.append((loan_id, ref, facts, digest))
    # risk evaluates the chunk's facts at once (hits stored in one INSERT); the levels and
    # tasks go in set-based too
    results = early_warning_evaluate_many(items=[(ref, facts) for _i, ref, facts, _d in pending])
    raised = loans_risk_raise(
        results=[
            (loan_id, hits.level, [h.rule_code for h in hits], digest)
            for (loan_id, _ref, _facts, digest), hits in zip(pending, results, strict=True)
        ],
        business_date=ctx.business_date,
        actor=ctx.actor,
    )
    opened = warning_actions_open(
        results=[(p[0], hits) for p, hits in zip(pending, results, strict=True)],
        business_date=ctx.business_date,
    )
    return {"candidates": len(candidates), "evaluated": len(pending),
            "hits": sum(len(h) for h in results), "raised": raised, "actions": opened}  # fmt: skip
