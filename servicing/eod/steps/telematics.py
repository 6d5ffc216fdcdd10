"""Step 5.1 — telematics and outside feeds (车辆 GPS 与外部数据预警), after the early-warning step.

Facts gathered set-based for the chunk's open loans and handed to risk's early-warning rules:
  * GPS (only loans whose application holds an active `location` consent): gps_offline_days and
    gps_offline_since from the VIN's latest position (a car never seen is not "offline": the GPS
    installation task covers it); gps_events — the tamper, geofence-exit and long-stay events of
    the last EVENT_WINDOW_DAYS days.
  * outside feeds (the monthly book checks' per-loan LoanExternalFacts):
    phone_status / phone_checked_on, bureau_deteriorated / bureau_checked_on, ltv_current /
    valued_on — only loans with a bad value are candidates.
Every signal's evidence carries its fact's date (or the latest event id) as its key, so risk
stores a hit once per loan, rule and key: a re-run, or the next night with the same facts,
records nothing. New hits raise the loan's risk level (never lower it), open the early-warning
task and the rules' suggested actions (servicing.services.warning_actions).
The finalize hook prunes position pings older than settings.TELEMATICS_HISTORY_DAYS.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from risk.services.early_warning import early_warning_evaluate_many, ltv_warning_limit
from servicing.eod.registry import StepContext, register
from servicing.eod.sql import CLOSED_SQL, rows
from servicing.services.collections import loans_risk_raise
from servicing.services.telematics import telematics_history_prune
from servicing.services.warning_actions import warning_actions_open

EVENT_WINDOW_DAYS = 30

GPS = f"""
SELECT l.id, l.contract_ref, coalesce(rp.facts_hash, ''),
       (%(d)s::date - (p.recorded_at AT TIME ZONE %(tz)s)::date) AS offline_days,
       (p.recorded_at AT TIME ZONE %(tz)s)::date AS since,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'kind', e.kind,
                                                     'place_kind', e.place_kind) ORDER BY e.id),
                        '[]'::jsonb)
          FROM servicing_telematicsevent e
         WHERE e.loan_id = l.id AND e.kind IN ('tamper', 'geofence_exit', 'long_stay')
           AND e.occurred_at >= %(window)s::date AND e.occurred_at < %(next)s::date) AS events
  FROM servicing_loan l
  JOIN origination_consent c
    ON c.application_id = l.application_id AND c.consent_kind = 'location'
   AND c.withdrawn_at IS NULL
  LEFT JOIN servicing_vehicleposition p ON p.vin = l.vin AND p.loan_id = l.id
  LEFT JOIN servicing_loanriskprofile rp ON rp.loan_id = l.id
 WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.status NOT IN {CLOSED_SQL}
"""  # noqa: S608 - SQL built from constants; values are bound

EXTERNAL = f"""
SELECT l.id, l.contract_ref, coalesce(rp.facts_hash, ''), x.phone_status, x.phone_checked_on,
       x.bureau_deteriorated, x.bureau_checked_on, x.ltv_current, x.valued_on
  FROM servicing_loanexternalfacts x
  JOIN servicing_loan l ON l.id = x.loan_id
  LEFT JOIN servicing_loanriskprofile rp ON rp.loan_id = l.id
 WHERE l.id BETWEEN %(lo)s AND %(hi)s AND l.status NOT IN {CLOSED_SQL}
   AND (x.phone_status IN ('deactivated', 'owner_changed') OR x.bureau_deteriorated
        OR x.ltv_current > %(ltv)s)
"""  # noqa: S608 - SQL built from constants; values are bound


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def gps_facts(ctx: StepContext, lo: int, hi: int) -> dict[int, tuple[str, str, dict]]:
    """{loan_id: (contract ref, facts hash, GPS facts)} for the chunk's consenting loans."""
    found = {}
    window = ctx.business_date.toordinal() - EVENT_WINDOW_DAYS
    params = {
        "d": ctx.business_date, "next": ctx.next_date, "lo": lo, "hi": hi,
        "tz": settings.TIME_ZONE, "window": ctx.business_date.fromordinal(window),
    }  # fmt: skip
    for loan_id, ref, digest, offline, since, raw in rows(GPS, params):
        events = json.loads(raw) if isinstance(raw, str) else raw  # Django reads jsonb as text
        if not events and not offline:
            continue
        facts = {"gps_events": events} if events else {}
        if offline:
            facts.update(gps_offline_days=offline, gps_offline_since=_iso(since))
        found[loan_id] = (ref, digest, facts)
    return found


def external_facts(lo: int, hi: int) -> dict[int, tuple[str, str, dict]]:
    """The outside feeds' bad facts of the chunk's loans (servicing.models.collateral_checks)."""
    found = {}
    for loan_id, ref, digest, phone, phone_on, worse, bureau_on, ltv, valued_on in rows(
        EXTERNAL, {"lo": lo, "hi": hi, "ltv": ltv_warning_limit()}
    ):
        facts = {
            "phone_status": phone, "phone_checked_on": _iso(phone_on),
            "bureau_deteriorated": bool(worse), "bureau_checked_on": _iso(bureau_on),
            "ltv_current": str(ltv) if ltv is not None else None, "valued_on": _iso(valued_on),
        }  # fmt: skip
        found[loan_id] = (ref, digest, facts)
    return found


def _prune(ctx: StepContext) -> dict:
    days = settings.TELEMATICS_HISTORY_DAYS
    return {"pruned": telematics_history_prune(business_date=ctx.business_date, days=days)}


@register(code="telematics", label=_("GPS 与外部数据预警"), position=51, finalize=_prune)
def telematics_chunk(ctx: StepContext, lo: int, hi: int) -> dict:
    items = gps_facts(ctx, lo, hi)
    for loan_id, (ref, digest, facts) in external_facts(lo, hi).items():
        if loan_id in items:
            items[loan_id][2].update(facts)
        else:
            items[loan_id] = (ref, digest, facts)
    ids = sorted(items)
    with transaction.atomic():
        results = early_warning_evaluate_many(items=[(items[i][0], items[i][2]) for i in ids])
        # the loan's facts hash is the servicing-fed facts' (early_warning step): kept as it was
        raised = loans_risk_raise(
            results=[
                (i, hits.level, [h.rule_code for h in hits], items[i][1])
                for i, hits in zip(ids, results, strict=True)
                if hits
            ],
            business_date=ctx.business_date,
            actor=ctx.actor,
        )
        opened = warning_actions_open(
            results=list(zip(ids, results, strict=True)), business_date=ctx.business_date
        )
    return {"loans": len(ids), "hits": sum(len(h) for h in results), "raised": raised,
            "actions": opened}  # fmt: skip
