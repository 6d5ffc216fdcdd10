"""The book against the court lists (被执行人, 失信被执行人) in risk's watch-list store, by ID hash.

One statement finds every open loan whose borrower, co-borrower or guarantor has the keyed ID
hash of an active court-list entry that loan has not been warned about yet (the entry ids sit in
the early-warning hit's evidence, so reloading a list, or the next night, raises nothing twice).
Each such loan gets risk's strong COURT_ENFORCEMENT signal (its risk level raised to high, an
early-warning task and the rule's suggested actions opened) and each person a screening hit in the compliance queue (score 100,
matched on the ID; an entry already hit for that application is not reopened).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from autofin.policy import policy_value
from risk.models import ScreeningHit, WatchListType
from risk.services.early_warning import early_warning_evaluate_many
from servicing.eod.sql import CLOSED_SQL, rows
from servicing.services.collections import loans_risk_raise
from servicing.services.warning_actions import warning_actions_open

COURT_TYPES = [WatchListType.COURT_ENFORCEMENT.value, WatchListType.DISHONEST_DEBTOR.value]

MATCHES = f"""
SELECT l.id, l.contract_ref, a.reference, ap.name, ap.role, e.id, e.list_type,
       coalesce(rp.facts_hash, '')
  FROM servicing_loan l
  JOIN origination_application a ON a.id = l.application_id
  JOIN origination_applicant ap ON ap.application_id = a.id
  JOIN risk_watchlistentry e
    ON e.id_hash = ap.id_number_hash AND e.id_hash <> '' AND e.active
   AND e.list_type = ANY(%(types)s)
  LEFT JOIN servicing_loanriskprofile rp ON rp.loan_id = l.id
 WHERE l.status NOT IN {CLOSED_SQL}
   AND NOT EXISTS (SELECT 1 FROM risk_earlywarninghit h
                    WHERE h.loan_ref = l.contract_ref AND h.rule_code = 'COURT_ENFORCEMENT'
                      AND h.evidence -> 'entries' @> jsonb_build_array(
                            jsonb_build_object('entry', e.id, 'role', ap.role)))
 ORDER BY l.id, e.id
"""  # noqa: S608 - SQL built from constants; values are bound


def court_lists_match(*, business_date: dt.date, actor: Any) -> dict:
    found = rows(MATCHES, {"types": COURT_TYPES})
    if not found:
        return {"loans": 0, "hits": 0}
    by_loan: dict[int, dict] = {}
    people: dict[tuple[str, int], ScreeningHit] = {}
    threshold = int(policy_value("risk.aml_screening_threshold"))
    for loan_id, ref, app_ref, name, role, entry_id, list_type, digest in found:
        item = by_loan.setdefault(loan_id, {"ref": ref, "digest": digest, "entries": []})
        item["entries"].append({"entry": entry_id, "role": role, "list_type": list_type})
        people.setdefault(
            (app_ref, entry_id),
            ScreeningHit(
                subject_ref=app_ref,
                subject_name=name,
                entry_id=entry_id,
                score=100,
                threshold=threshold,
                explanation=[{"part": "id", "reason": "same_id", "effect": 100}],
                trigger="court_list",
            ),
        )
    with transaction.atomic():
        results = early_warning_evaluate_many(
            items=[
                (item["ref"], {"court_enforcement": True, "court_entries": item["entries"]})
                for item in by_loan.values()
            ]
        )
        # the loan's facts hash is the servicing-fed facts' (early_warning step): kept as it was
        raised = loans_risk_raise(
            results=[
                (loan_id, hits.level, [h.rule_code for h in hits], item["digest"])
                for (loan_id, item), hits in zip(by_loan.items(), results, strict=True)
            ],
            business_date=business_date,
            actor=actor,
        )
        # the rule's suggested actions (freeze top-up offers, GPS check, early collection)
        warning_actions_open(
            results=list(zip(by_loan, results, strict=True)), business_date=business_date
        )
        # an entry already hit for the application (whatever its state) is not reopened
        known = set(
            ScreeningHit.objects.filter(
                subject_ref__in={k[0] for k in people}, entry_id__in={k[1] for k in people}
            ).values_list("subject_ref", "entry_id")
        )
        new = [h for k, h in people.items() if k not in known]
        ScreeningHit.objects.bulk_create(new, ignore_conflicts=True)
    return {"loans": len(by_loan), "raised": raised, "hits": len(new)}
