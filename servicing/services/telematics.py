"""Telematics in (车辆 GPS): the provider's verified webhook payload stored, for consenting loans only.

Payload (docs/telematics.md): {"events": [{"event_id", "vin", "kind", "occurred_at" (ISO with
offset), "lat", "lon", "place_kind", "place_name"}]}. An event is stored once (unique by the
provider's event id: a redelivery is counted as a duplicate), only when the VIN is the car of an
open loan whose application holds an active `location` consent (no consent, no tracking: the
event is dropped and only counted). A position (any event with coordinates) moves the VIN's
latest position when it is newer.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from servicing.eod.sql import CLOSED_SQL, rows
from servicing.models.telematics import EventKind, PlaceKind, TelematicsEvent, VehiclePosition

CONSENTED = f"""
SELECT DISTINCT ON (l.vin) l.vin, l.id
  FROM servicing_loan l
  JOIN origination_consent c
    ON c.application_id = l.application_id AND c.consent_kind = 'location'
   AND c.withdrawn_at IS NULL
 WHERE l.vin = ANY(%(vins)s) AND l.status NOT IN {CLOSED_SQL}
 ORDER BY l.vin, l.id DESC
"""  # noqa: S608 - SQL built from constants; values are bound


class TelematicsPayloadError(ValueError):
    """The payload is not in the documented format (nothing is stored)."""


def _coord(value, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise TelematicsPayloadError(f"bad coordinate {value!r}") from exc
    if not number.is_finite() or abs(number) > limit:
        raise TelematicsPayloadError(f"coordinate out of range {value!r}")
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _parse(item) -> TelematicsEvent:
    if not isinstance(item, dict):
        raise TelematicsPayloadError("an event is not an object")
    event_id, vin = str(item.get("event_id") or ""), str(item.get("vin") or "").upper()
    kind, place_kind = item.get("kind"), str(item.get("place_kind") or "")
    occurred = parse_datetime(str(item.get("occurred_at") or ""))
    if not event_id or len(event_id) > 64 or not vin or len(vin) > 17:
        raise TelematicsPayloadError("event_id and vin are required")
    if kind not in EventKind.values or (place_kind and place_kind not in PlaceKind.values):
        raise TelematicsPayloadError(f"unknown kind {kind!r} / place_kind {place_kind!r}")
    if kind == EventKind.LONG_STAY and not place_kind:
        raise TelematicsPayloadError("a long stay names its place_kind")
    if occurred is None or timezone.is_naive(occurred):
        raise TelematicsPayloadError("occurred_at must be ISO 8601 with an offset")
    lat, lon = _coord(item.get("lat"), 90), _coord(item.get("lon"), 180)
    if kind == EventKind.POSITION and (lat is None or lon is None):
        raise TelematicsPayloadError("a position carries lat and lon")
    return TelematicsEvent(
        event_id=event_id, vin=vin, kind=kind, occurred_at=occurred, latitude=lat,
        longitude=lon, place_kind=place_kind, place_name=str(item.get("place_name") or "")[:120],
    )  # fmt: skip


def telematics_events_receive(*, payload: dict) -> dict:
    """Store the payload's events; returns the counts accepted, duplicate, no_consent."""
    items = payload.get("events")
    if not isinstance(items, list) or not items or len(items) > 500:
        raise TelematicsPayloadError("events: a list of 1 to 500 events")
    events = [_parse(item) for item in items]
    loans = dict(rows(CONSENTED, {"vins": list({e.vin for e in events})}))
    kept = []
    for event in events:
        if event.vin in loans:
            event.loan_id = loans[event.vin]
            kept.append(event)
    with transaction.atomic():
        known = set(
            TelematicsEvent.objects.filter(event_id__in=[e.event_id for e in kept]).values_list(
                "event_id", flat=True
            )
        )
        new = list({e.event_id: e for e in kept if e.event_id not in known}.values())
        TelematicsEvent.objects.bulk_create(new, ignore_conflicts=True)
        _positions_move([e for e in new if e.latitude is not None and e.longitude is not None])
    return {
        "accepted": len(new),
        "duplicate": len(kept) - len(new),
        "no_consent": len(events) - len(kept),
    }


def _positions_move(events: list[TelematicsEvent]) -> None:
    latest: dict[str, TelematicsEvent] = {}
    for e in events:
        if e.vin not in latest or e.occurred_at > latest[e.vin].occurred_at:
            latest[e.vin] = e
    if not latest:
        return
    current = {
        p.vin: p for p in VehiclePosition.objects.select_for_update().filter(vin__in=list(latest))
    }
    for vin, e in sorted(latest.items()):
        position = current.get(vin)
        if position is not None and position.recorded_at >= e.occurred_at:
            continue  # a late, older report never moves the car back
        VehiclePosition.objects.update_or_create(
            vin=vin,
            defaults={
                "loan_id": e.loan_id, "latitude": e.latitude, "longitude": e.longitude,
                "place_name": e.place_name, "recorded_at": e.occurred_at,
            },
        )  # fmt: skip


def telematics_history_prune(*, business_date: dt.date, days: int) -> int:
    """Position pings older than `days` are deleted (warning events and the latest position
    stay). Returns how many."""
    cutoff = timezone.make_aware(
        dt.datetime.combine(business_date - dt.timedelta(days=days), dt.time())
    )
    deleted, _by_model = TelematicsEvent.objects.filter(
        kind=EventKind.POSITION, occurred_at__lt=cutoff
    ).delete()
    return deleted
