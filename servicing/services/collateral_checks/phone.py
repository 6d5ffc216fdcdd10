"""Phone status (号码状态: 停机 / 空号 / 换号) of the borrowers' mobiles, asked of the phone
adapter in batches (`PhoneAdapter.status_many`) and stored per loan (LoanExternalFacts
.phone_status, phone_checked_on).

* `phone_status_month`: the monthly check of the loans of an id range not yet checked this
  month (a re-run asks and writes nothing);
* `phone_status_fresh`: before a collection contact, a fresh check of one loan when its last one
  is older than COLLATERAL_CHECKS["phone_stale_days"] (or missing). An adapter failure there
  leaves the old answer and does not stop the contact.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings

from risk.adapters import RiskAdapterError, phone_adapter
from servicing.eod.sql import CLOSED_SQL, rows, run

log = logging.getLogger(__name__)
BATCH = 1000  # hashes per call to the provider

_TARGETS = f"""
SELECT l.id, ap.mobile_hash
  FROM servicing_loan l
  JOIN origination_applicant ap ON ap.application_id = l.application_id AND ap.role = 'primary'
  LEFT JOIN servicing_loanexternalfacts f
         ON f.loan_id = l.id AND f.loan_id BETWEEN %(lo)s AND %(hi)s
 WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.status NOT IN {CLOSED_SQL} AND ap.mobile_hash <> ''
   AND (f.phone_checked_on IS NULL OR f.phone_checked_on < %(since)s)
 ORDER BY l.id
"""  # noqa: S608 - SQL built from constants; values are bound


def _store(pairs: list[tuple[int, str]], *, checked_on: dt.date) -> dict:
    """Ask the adapter for the hashes of `pairs` ((loan_id, phone_hash)) in batches and upsert
    the answers in one statement. Returns counts by status."""
    hashes = sorted({h for _id, h in pairs})
    answers: dict[str, dict] = {}
    adapter = phone_adapter()
    for i in range(0, len(hashes), BATCH):
        answers.update(adapter.status_many(phone_hashes=hashes[i : i + BATCH]))
    ids = [loan_id for loan_id, h in pairs if h in answers]
    statuses = [answers[h]["status"] for _id, h in pairs if h in answers]
    if ids:
        run(
            """
            INSERT INTO servicing_loanexternalfacts (loan_id, phone_status, phone_checked_on)
            SELECT u.id, u.status, %s FROM unnest(%s::bigint[], %s::text[]) AS u(id, status)
            ON CONFLICT (loan_id) DO UPDATE
               SET phone_status = EXCLUDED.phone_status,
                   phone_checked_on = EXCLUDED.phone_checked_on
            """,
            [checked_on, ids, statuses],
        )
    counts = {"checked": len(ids), "deactivated": 0, "owner_changed": 0}
    for status in statuses:
        if status in counts:
            counts[status] += 1
    return counts


def phone_status_month(*, lo: int, hi: int, business_date: dt.date) -> dict:
    """Check the open loans of [lo, hi] not checked since the month began."""
    pairs = rows(_TARGETS, {"lo": lo, "hi": hi, "since": business_date.replace(day=1)})
    return _store(pairs, checked_on=business_date) if pairs else {"checked": 0}


def phone_status_fresh(*, loan_id: int, business_date: dt.date) -> bool:
    """A fresh check of one loan's phone when its last one is stale. True when it asked."""
    stale = business_date - dt.timedelta(days=settings.COLLATERAL_CHECKS["phone_stale_days"])
    pairs = rows(_TARGETS, {"lo": loan_id, "hi": loan_id, "since": stale})
    if not pairs:
        return False
    try:
        _store(pairs, checked_on=business_date)
    except RiskAdapterError as exc:
        log.warning("phone status of loan %s not refreshed: %s", loan_id, exc)
        return False
    return True
