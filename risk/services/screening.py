"""Watch-list screening (名单筛查): a person against every active list entry, at application and
again for the whole book when a list changes. A score at or above the policy threshold
(`risk.aml_screening_threshold`) is a `ScreeningHit` in the compliance queue; an open or
confirmed hit blocks funding (risk.selectors.aml.screening_block) until compliance clears it.

Scoring is risk.name_matching's: ID keyed hash exact, else the best name score over Chinese
characters and pinyin, with the birth date as a booster. A vectorised first pass (rapidfuzz
`cdist` over the folded pinyin strings, risk.name_matching.canonical, a thousand people at a
time) and the ID hash pick the candidates; only those get the full, explained score, and the
database is written only for a person with a hit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from rapidfuzz import fuzz, process

from autofin.audit import audit_record
from autofin.policy import policy_value
from risk.models import ScreeningHit, ScreeningSubject, WatchListEntry, WatchListLoad
from risk.name_matching import DOB_SAME_BOOST, canonical, match, name_keys

SYSTEM_ACTOR = "aml_screening"


# The first pass keeps a candidate whose folded pinyin is this many points below the threshold
# or closer: the birth date may add DOB_SAME_BOOST, and folding may move a score a little.
PREFILTER_MARGIN = DOB_SAME_BOOST + 5
BATCH = 1000  # subjects compared with the whole list in one vectorised pass


class _Index:
    """Active list entries, ready for a vectorised first pass (rapidfuzz cdist over the folded
    pinyin strings) and an exact look-up by ID hash."""

    def __init__(self, entries: list[dict]):
        self.entries = {e["id"]: e for e in entries}
        self.canon: list[str] = []
        owners: list[int] = []
        self.by_id_hash: dict[str, set[int]] = defaultdict(set)
        for e in entries:
            for c in canonical(e["name_keys"]):
                self.canon.append(c)
                owners.append(e["id"])
            if e["id_hash"]:
                self.by_id_hash[e["id_hash"]].add(e["id"])
        self.owners = np.array(owners, dtype=np.int64)

    def candidates(self, subjects: list[ScreeningSubject], threshold: int) -> list[list[dict]]:
        """Per subject, the entries worth the full score."""
        found: list[set[int]] = [set() for _ in subjects]
        canon, whose = [], []
        for i, s in enumerate(subjects):
            for c in canonical(s.name_keys):
                canon.append(c)
                whose.append(i)
            if s.id_hash:
                found[i] |= self.by_id_hash.get(s.id_hash, set())
        if canon and self.canon:
            scores = process.cdist(
                canon,
                self.canon,
                scorer=fuzz.ratio,
                score_cutoff=max(0, threshold - PREFILTER_MARGIN),
                dtype=np.uint8,
            )
            for row, col in zip(*np.nonzero(scores), strict=True):
                found[whose[row]].add(int(self.owners[col]))
        return [[self.entries[i] for i in sorted(ids)] for ids in found]


def _index(entry_ids: list[int] | None = None) -> _Index:
    qs = WatchListEntry.objects.filter(active=True)
    if entry_ids is not None:
        qs = qs.filter(pk__in=entry_ids)
    return _Index(list(qs.values("id", "name_keys", "id_hash", "birth_date")))


def _scored(
    subject: ScreeningSubject, candidates: list[dict], threshold: int, trigger: str
) -> list[ScreeningHit]:
    """The hits this subject has among its candidates, computed in memory (no query)."""
    found = []
    for e in candidates:
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
    return found


def _hits_write(subject: ScreeningSubject, found: list[ScreeningHit]) -> list[ScreeningHit]:
    """Store the new ones (an entry already hit, whatever its state, is not reopened)."""
    if not found:
        return []
    known = set(
        ScreeningHit.objects.filter(subject_ref=subject.subject_ref).values_list(
            "entry_id", flat=True
        )
    )
    found = [h for h in found if h.entry_id not in known]
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
        [candidates] = _index().candidates([subject], threshold)
        hits = _hits_write(subject, _scored(subject, candidates, threshold, "application"))
        audit_record(
            actor=actor,
            obj=subject,
            action="aml_screen",
            data={"threshold": threshold, "hits": [[h.entry_id, h.score] for h in hits]},
        )
    return hits


def _rescreen_batch(
    batch: list[ScreeningSubject], index: _Index, threshold: int, actor: Any
) -> int:
    written = 0
    for subject, candidates in zip(batch, index.candidates(batch, threshold), strict=True):
        found = _scored(subject, candidates, threshold, "rescreen")
        if not found:
            continue  # most people: nothing comes near, and no query is made
        with transaction.atomic():
            for hit in _hits_write(subject, found):
                audit_record(
                    actor=actor,
                    obj=hit,
                    action="aml_hit",
                    to_state=hit.status,
                    data={"score": hit.score, "entry": hit.entry_id},
                )
                written += 1
    return written


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
    batch: list[ScreeningSubject] = []
    subjects = ScreeningSubject.objects.order_by("id")
    for subject in subjects.iterator(chunk_size=BATCH) if entry_ids else ():
        batch.append(subject)
        if len(batch) == BATCH:
            hits += _rescreen_batch(batch, index, threshold, actor)
            batch = []
    hits += _rescreen_batch(batch, index, threshold, actor)
    WatchListLoad.objects.filter(pk__in=[x.pk for x in loads]).update(screened_at=timezone.now())
    return {"loads": len(loads), "subjects": subjects.count(), "hits": hits}
