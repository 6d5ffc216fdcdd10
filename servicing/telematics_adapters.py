"""The GPS provider's webhook (docs/telematics.md): its signature check and a sandbox provider.

The provider POSTs {"events": [...]} to /api/v1/loans/telematics/events/, signed like every rail
(autofin.integrations.http: key id, timestamp within INTEGRATION_MAX_SKEW_SECONDS, a nonce never
seen before, HMAC-SHA256 of TELEMATICS_SECRET). `telematics_verify` checks a request;
`SandboxGpsProvider` (AUTOFIN_SANDBOX=1 only) plays the provider: it signs a push exactly as the
provider would, for tests over HTTP (`signed`) and the demo in-process (`push`, through the
same verification as the endpoint).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from autofin.integrations.http import canonical_json, signed_headers, verify
from autofin.integrations.sandbox import SandboxOnly
from servicing.services.telematics import telematics_events_receive

RAIL = "telematics"


def telematics_path() -> str:
    return reverse("servicing-api:telematics-events")


def telematics_verify(*, method: str, path: str, headers, body: bytes) -> dict:
    """The push's JSON object, if signed with the GPS provider's key and fresh and unreplayed;
    raises autofin.integrations.http.SignatureInvalid otherwise."""
    return verify(
        rail=RAIL, key_id=settings.TELEMATICS_KEY_ID, secret=settings.TELEMATICS_SECRET,
        method=method, path=path, headers=headers, body=body,
    )  # fmt: skip


class SandboxGpsProvider(SandboxOnly):
    """Signs and pushes positions and events as the GPS provider would."""

    @staticmethod
    def event(*, vin: str, kind: str = "position", occurred_at=None, **fields) -> dict:
        """One event in the provider's format (a fresh event id unless given)."""
        at = occurred_at or timezone.now()
        return {
            "event_id": fields.pop("event_id", f"SBXGPS-{uuid.uuid4().hex[:20]}"),
            "vin": vin, "kind": kind, "occurred_at": at.isoformat(), **fields,
        }  # fmt: skip

    def signed(self, events: list[dict]) -> tuple[dict, bytes]:
        """(headers, body) of one push of `events`, signed with the provider's key."""
        body = canonical_json({"events": events})
        headers = signed_headers(
            key_id=settings.TELEMATICS_KEY_ID, secret=settings.TELEMATICS_SECRET,
            method="POST", path=telematics_path(), body=body,
        )  # fmt: skip
        return headers, body

    def push(self, events: list[dict]) -> dict:
        """Push in-process through the endpoint's verification; returns the counts."""
        headers, body = self.signed(events)
        payload = telematics_verify(
            method="POST", path=telematics_path(), headers=headers, body=body
        )
        return telematics_events_receive(payload=payload)
