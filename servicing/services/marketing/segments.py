"""Segments computed set-based: one DELETE and one INSERT … SELECT over the customer facts per
segment, with the WHERE from the rule compiler (servicing.services.marketing.rules)."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicing.models.marketing import Segment
from servicing.services.marketing.rules import RuleError, rules_where


def segment_count(*, rules: list[dict], today: dt.date) -> int:
    """How many customers the rules select now (the builder's live preview)."""
    where, params = rules_where(rules, today=today)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM servicing_customerfact f WHERE {where}", params)  # noqa: S608 - compiled from whitelists; values bound
        return cur.fetchone()[0]


def segment_compute(segment: Segment, *, today: dt.date) -> int:
    """Replace the segment's members with the customers its rules select; returns the count."""
    where, params = rules_where(segment.rules, today=today)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT id FROM servicing_segment WHERE id = %s FOR UPDATE", [segment.pk])
        cur.execute("DELETE FROM servicing_segmentmember WHERE segment_id = %s", [segment.pk])
        cur.execute(
            f"""INSERT INTO servicing_segmentmember (segment_id, customer_id)
                SELECT %s, f.customer_id FROM servicing_customerfact f WHERE {where}""",  # noqa: S608 - compiled from whitelists; values bound
            [segment.pk, *params],
        )
        count = cur.rowcount
        segment.member_count, segment.computed_at = count, timezone.now()
        segment.compute_error = ""
        Segment.objects.filter(pk=segment.pk).update(
            member_count=count, computed_at=segment.computed_at, compute_error=""
        )
    return count


def segments_compute_all(*, today: dt.date) -> dict:
    """Every segment, each in its own transaction (the nightly `segments` step).

    A segment whose rules no longer compile (a fact or option retired since it was saved) keeps
    its last members and gets the reason on its page; the others are still computed, so one
    stale segment cannot hold up every campaign. Returns {"computed": {id: count},
    "failed": {id: message}}."""
    computed, failed = {}, {}
    for segment in Segment.objects.order_by("id"):
        try:
            computed[segment.pk] = segment_compute(segment, today=today)
        except RuleError as exc:
            failed[segment.pk] = str(exc.message)
            Segment.objects.filter(pk=segment.pk).update(compute_error=_segment_error(exc)[:300])
    return {"computed": computed, "failed": failed}


def _segment_error(exc: RuleError) -> str:
    if exc.index is None:
        return str(exc.message)
    return _("第 %(n)s 条规则：%(message)s") % {"n": exc.index + 1, "message": exc.message}
