"""Watch-list screening (名单筛查): a person against every active list entry, at application and
again for the whole book when a list changes. A score at or above the policy threshold
(`risk.aml_screening_threshold`) is a `ScreeningHit` in the compliance queue; an open or
confirmed hit blocks funding (risk.selectors.aml.screening_block) until compliance clears it.

Scoring is risk.name_matching's: ID keyed hash exact, else the best name score over Chinese
characters and pinyin, with the birth date as a booster. Candidates are found first by a
shared character, folded pinyin syllable or ID hash (risk.name_matching.blocking_keys), so the
nightly re-screen compares each person only with the entries that could match, not with the
whole list.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from autofin.audit import audit_record
from autofin.policy import policy_value
from risk.models import ScreeningHit, ScreeningSubject, WatchListEntry, WatchListLoad
from risk.name_matching import blocking_keys, match, name_keys

SYSTEM_ACTOR = "aml_screening"


class _Index:
    """Active list entries by the blocking keys a candidate must share with the subject."""

    def __init__(self, entries: list[dict]):
        self.entries = {e["id"]: e for e in entries}
        self.by_key: dict[str, set[int]] = defaultdict(set)
        for e in entries:
            for k in self.keys_of(e["name_keys"], e["id_hash"]):
                self.by_key[k].add(e["id"])

    @staticmethod
    def keys_of(keys: list[str], id_hash: str) -> set[str]:
        out = {b for k in keys for b in blocking_keys(k)}
        if id_hash:
            out.add(f"i:{id_hash}")
        return out

    def candidates(self, keys: list[str], id_hash: str) -> list[dict]:
        ids: set[int] = set()
        for k in self.keys_of(keys, id_hash):
            ids |= self.by_key.get(k, set())
        return [self.entries[i] for i in sorted(ids)]


def _index(entry_ids: list[int] | None = None) -> _Index:
    qs = WatchListEntry.objects.filter(active=True)
    if entry_ids is not None:
        qs = qs.filter(pk__in=entry_ids)
    return _Index(list(qs.values("id", "name_keys", "id_hash", "birth_date")))


def _hits_for(
    subject: ScreeningSubject, index: _Index, threshold: int, trigger: str
) -> list[ScreeningHit]:
    """New hits of one subject (an entry already hit, whatever its state, is not reopened)."""
    found = []
    known = set(
        ScreeningHit.objects.filter(subject_ref=subject.subject_ref).values_list(
            "entry_id", flat=True
        )
    )
    for e in index.candidates(subject.name_keys, subject.id_hash):
        if e["id"] in known:
            continue
        result = match(
            subject_keys=subject.name_keys,
            subject_id_hash=subject.id_hash,
            subject_birth=subject.birth_date,
            entry_keys=e["name_keys"],
            entry_id_hash=e["id_hash"],
            entry_birth=e["birth_date"],
        )
        if result.score >= threshold:
            found.append(
                ScreeningHit(
                    subject_ref=subject.subject_ref,
                    subject_name=subject.name,
                    entry_id=e["id"],
                    score=result.score,
                    threshold=threshold,
                    explanation=result.parts,
                    trigger=trigger,
                )
            )
    # ignore_conflicts: a concurrent screening of the same subject may have written one first
    ScreeningHit.objects.bulk_create(found, ignore_conflicts=True)
    return list(
        ScreeningHit.objects.filter(
            subject_ref=subject.subject_ref, entry_id__in=[h.entry_id for h in found]
        )
    )


def screening_run(
    *,
    subject_ref: str,
    name: str,
    id_hash: str,
    birth_date: dt.date | None,
    actor: Any = SYSTEM_ACTOR,
) -> list[ScreeningHit]:
    """Screen one person (an application's primary applicant) and remember them for the
    nightly re-screen. Returns the open hits this screening created; audited."""
    threshold = int(policy_value("risk.aml_screening_threshold"))
    with transaction.atomic():
        subject, _created = ScreeningSubject.objects.update_or_create(
            subject_ref=subject_ref,
            defaults={
                "name": name,
                "name_keys": name_keys(name),
                "id_hash": id_hash or "",
                "birth_date": birth_date,
                "screened_at": timezone.now(),
            },
        )
        hits = _hits_for(subject, _index(), threshold, "application")
        audit_record(
            actor=actor,
            obj=subject,
            action="aml_screen",
            data={"threshold": threshold, "hits": [[h.entry_id, h.score] for h in hits]},
        )
    return hits


def watch_list_rescreen(*, actor: Any = SYSTEM_ACTOR) -> dict:
    """Screen every remembered subject against the entries the unscreened loads added or
    changed; mark those loads screened. Nothing to do when no list changed."""
    loads = list(WatchListLoad.objects.filter(screened_at__isnull=True).order_by("id"))
    if not loads:
        return {"loads": 0, "subjects": 0, "hits": 0}
    threshold = int(policy_value("risk.aml_screening_threshold"))
    entry_ids = list(
        WatchListEntry.objects.filter(load__in=loads, active=True).values_list("id", flat=True)
    )
    index = _index(entry_ids)
    hits = 0
    subjects = ScreeningSubject.objects.order_by("id")
    for subject in subjects.iterator(chunk_size=2000) if entry_ids else ():
        with transaction.atomic():
            new = _hits_for(subject, index, threshold, "rescreen")
            for hit in new:
                audit_record(
                    actor=actor,
                    obj=hit,
                    action="aml_hit",
                    to_state=hit.status,
                    data={"score": hit.score, "entry": hit.entry_id},
                )
            hits += len(new)
    WatchListLoad.objects.filter(pk__in=[x.pk for x in loads]).update(screened_at=timezone.now())
    return {"loads": len(loads), "subjects": subjects.count(), "hits": hits}
