"""Segments computed set-based: one DELETE and one INSERT … SELECT over the customer facts per
segment, with the WHERE from the rule compiler (servicing.services.marketing.rules)."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from servicing.models.marketing import Segment
from servicing.services.marketing.rules import rules_where


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
        Segment.objects.filter(pk=segment.pk).update(
            member_count=count, computed_at=segment.computed_at
        )
    return count


def segments_compute_all(*, today: dt.date) -> dict:
    """Every segment, each in its own transaction (the nightly `segments` step)."""
    counts = {}
    for segment in Segment.objects.order_by("id"):
        counts[segment.pk] = segment_compute(segment, today=today)
    return counts
