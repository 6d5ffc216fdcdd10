"""The bureau re-check (征信复查, 贷后管理): each month a sample of the open book
(COLLATERAL_CHECKS["bureau_sample_pct"] %, drawn by loan id and month, so another month asks
other borrowers) and every loan at early-warning level high, not re-checked this month, whose
borrower's credit-bureau consent is in force. Each query goes through risk's
`bureau_query` (purpose post_loan, on record in the bureau query log).

Deteriorated (LoanExternalFacts.bureau_deteriorated): the report lists court enforcement
(被执行人) or a dishonest debtor (失信被执行人), or the score fell by more than
COLLATERAL_CHECKS["bureau_score_drop"] points below the baseline — the score of the loan's
first re-check (kept in bureau_score_baseline). A borrower without a bureau record is not
deteriorated. A query that fails is counted on the step and asked again next month.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings

from risk.adapters import RiskAdapterError
from risk.services.bureau import POST_LOAN, bureau_query
from servicing.eod.sql import CLOSED_SQL, rows, run

log = logging.getLogger(__name__)
REQUESTED_BY = "loan-recheck"

_TARGETS = f"""
SELECT l.id, l.contract_ref, ap.id_number_hash, ap.id_number_enc, c.id, f.bureau_score_baseline
  FROM servicing_loan l
  JOIN origination_applicant ap ON ap.application_id = l.application_id AND ap.role = 'primary'
  JOIN LATERAL (SELECT c.id FROM origination_consent c
                 WHERE c.application_id = l.application_id AND c.consent_kind = 'credit_bureau'
                   AND c.withdrawn_at IS NULL
                 ORDER BY c.id DESC LIMIT 1) c ON true
  LEFT JOIN servicing_loanriskprofile rp ON rp.loan_id = l.id
  LEFT JOIN servicing_loanexternalfacts f
         ON f.loan_id = l.id AND f.loan_id BETWEEN %(lo)s AND %(hi)s
 WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.status NOT IN {CLOSED_SQL}
   AND (f.bureau_checked_on IS NULL OR f.bureau_checked_on < %(since)s)
   AND (rp.level = 'high' OR mod(l.id * 7919 + %(month)s::bigint * 104729, 10000) < %(share)s)
 ORDER BY l.id
"""  # noqa: S608 - SQL built from constants; values are bound


def sample_share() -> int:
    """The sample as basis points of the book (5 % = 500)."""
    return int(Decimal(str(settings.COLLATERAL_CHECKS["bureau_sample_pct"])) * 100)


def deteriorated(report: dict, baseline: int | None) -> bool:
    if not report.get("found"):
        return False
    if report.get("court_enforcement") or report.get("dishonest_debtor"):
        return True
    score = report.get("bureau_score")
    drop = settings.COLLATERAL_CHECKS["bureau_score_drop"]
    return baseline is not None and score is not None and baseline - int(score) > drop


def bureau_recheck_month(*, lo: int, hi: int, business_date: dt.date) -> dict:
    """Re-check the sampled and high-risk loans of [lo, hi] not re-checked this month."""
    targets = rows(
        _TARGETS,
        {
            "lo": lo,
            "hi": hi,
            "since": business_date.replace(day=1),
            "month": business_date.year * 12 + business_date.month,
            "share": sample_share(),
        },
    )
    done: list[tuple[int, bool, int | None, int | None]] = []
    failed = 0
    for loan_id, ref, id_hash, id_enc, consent_id, baseline in targets:
        try:
            report = bureau_query(
                id_hash=id_hash,
                purpose=POST_LOAN,
                subject_ref=ref,
                consent={"ref": f"consent:{consent_id}"},
                requested_by=REQUESTED_BY,
                id_number_encrypted=id_enc,
            )
        except RiskAdapterError as exc:
            log.warning("bureau re-check of %s failed: %s", ref, exc)
            failed += 1
            continue
        score = report.get("bureau_score") if report.get("found") else None
        score = None if score is None else int(score)
        first = baseline if baseline is not None else score
        done.append((loan_id, deteriorated(report, first), first, score))
    if done:
        run(
            """
            INSERT INTO servicing_loanexternalfacts
                (loan_id, bureau_deteriorated, bureau_checked_on, bureau_score_baseline,
                 bureau_score)
            SELECT u.id, u.bad, %s, u.baseline, u.score
              FROM unnest(%s::bigint[], %s::boolean[], %s::int[], %s::int[])
                   AS u(id, bad, baseline, score)
            ON CONFLICT (loan_id) DO UPDATE
               SET bureau_deteriorated = EXCLUDED.bureau_deteriorated,
                   bureau_checked_on = EXCLUDED.bureau_checked_on,
                   bureau_score_baseline = EXCLUDED.bureau_score_baseline,
                   bureau_score = EXCLUDED.bureau_score
            """,
            [business_date, *map(list, zip(*done, strict=True))],
        )
    return {
        "rechecked": len(done),
        "deteriorated": sum(1 for d in done if d[1]),
        "failed": failed,
    }
