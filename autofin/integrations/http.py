"""The signed JSON protocol every production adapter speaks (docs/integrations.md).

One request: `POST <RAIL>_URL + path`, body a JSON object, headers

    X-AutoFin-Key-Id      which key signed (during a rotation the previous pair still verifies)
    X-AutoFin-Timestamp   Unix seconds
    X-AutoFin-Nonce       32 random hex characters, never reused
    X-AutoFin-Signature   hex HMAC-SHA256(<RAIL>_SECRET, METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n BODY)
    Idempotency-Key       the same on every retry of one call, so a retry never acts twice

The answer and the provider's callbacks carry the same four headers, signed with the same
per-provider secret (an answer over the request's method and path). A signature is accepted
only with a timestamp within INTEGRATION_MAX_SKEW_SECONDS and a nonce not seen before (nonces
are remembered in the cache for twice the skew).

Retries: connect errors, timeouts, 5xx and 429 are retried up to <RAIL>_RETRIES times with
exponential backoff; anything else (4xx, a bad signature, a non-JSON answer) is final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import urllib3
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

H_KEY_ID = "X-AutoFin-Key-Id"
H_TIMESTAMP = "X-AutoFin-Timestamp"
H_NONCE = "X-AutoFin-Nonce"
H_SIGNATURE = "X-AutoFin-Signature"
H_IDEMPOTENCY = "Idempotency-Key"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class IntegrationError(Exception):
    """A call to an outside party failed. `retryable`: trying again later may help."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class IntegrationTimeout(IntegrationError):
    """No (usable) answer after every retry: the outcome on the other side is unknown."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message, retryable=True, status=status)


class IntegrationRejected(IntegrationError):
    """The party answered and refused (a 4xx other than 429): the same request will fail again."""


class SignatureInvalid(IntegrationError):
    """A message that does not carry a valid, fresh, unreplayed signature of the party's secret."""


@dataclass(frozen=True)
class Rail:
    """One outside party's connection settings (settings.INTEGRATIONS[name])."""

    name: str
    url: str
    key_id: str
    secret: str
    timeout: float
    retries: int
    backoff: float

    @classmethod
    def named(cls, name: str) -> Rail:
        cfg = settings.INTEGRATIONS[name]
        missing = [k for k in ("url", "key_id", "secret") if not cfg.get(k)]
        if missing:
            env = ", ".join(f"{cfg['env_prefix']}_{k.upper()}" for k in missing)
            raise ImproperlyConfigured(f"the {name} adapter needs {env}")
        return cls(
            name=name,
            url=cfg["url"].rstrip("/"),
            key_id=cfg["key_id"],
            secret=cfg["secret"],
            timeout=float(cfg["timeout"]),
            retries=int(cfg["retries"]),
            backoff=float(cfg["backoff"]),
        )


def canonical_json(payload: Mapping) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(*, secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes):
    message = f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(*, key_id: str, secret: str, method: str, path: str, body: bytes) -> dict:
    """The four signature headers for one message (ours, or a sandbox's playing the party)."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    return {
        H_KEY_ID: key_id,
        H_TIMESTAMP: timestamp,
        H_NONCE: nonce,
        H_SIGNATURE: signature(
            secret=secret, method=method, path=path, timestamp=timestamp, nonce=nonce, body=body
        ),
    }


def _header(headers: Mapping, name: str) -> str:
    # Django's request.headers and urllib3's HTTPHeaderDict are case-insensitive; a dict is not.
    value = headers.get(name)
    if value is None:
        value = {k.lower(): v for k, v in headers.items()}.get(name.lower(), "")
    return str(value or "")


def _secret_for(rail: str, presented: str, *, key_id: str, secret: str) -> str:
    """The secret of the key id a message names: the current pair's, or while a rotation is under
    way the previous pair's (<RAIL>_PREVIOUS_KEY_ID / _SECRET), so the provider may switch keys
    at its own moment without a callback being refused."""
    if not secret:
        raise SignatureInvalid(f"{rail}: no secret configured to verify with")
    if presented == key_id:
        return secret
    cfg = settings.INTEGRATIONS.get(rail, {})
    previous_id, previous_secret = cfg.get("previous_key_id"), cfg.get("previous_secret")
    if previous_id and previous_secret and presented == previous_id:
        return previous_secret
    raise SignatureInvalid(f"{rail}: unknown key id")


def verify(
    *, rail: str, key_id: str, secret: str, method: str, path: str, headers: Mapping, body: bytes
) -> dict:
    """Check a signed message and return its JSON object; raise SignatureInvalid otherwise.

    Checks, in order: key id (`key_id`, or the rail's previous key id during a rotation, each
    with its own secret), signature (constant-time), timestamp within the allowed skew, nonce
    never seen before for this rail (so a captured message cannot be replayed).
    """
    secret = _secret_for(rail, _header(headers, H_KEY_ID), key_id=key_id, secret=secret)
    timestamp, nonce = _header(headers, H_TIMESTAMP), _header(headers, H_NONCE)
    expected = signature(
        secret=secret, method=method, path=path, timestamp=timestamp, nonce=nonce, body=body
    )
    if not hmac.compare_digest(_header(headers, H_SIGNATURE), expected):
        raise SignatureInvalid(f"{rail}: bad signature")
    skew = settings.INTEGRATION_MAX_SKEW_SECONDS
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > skew:
        raise SignatureInvalid(f"{rail}: stale or missing timestamp")
    if len(nonce) < 16 or not cache.add(f"integration-nonce:{rail}:{nonce}", 1, 2 * skew):
        raise SignatureInvalid(f"{rail}: nonce replayed")
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise SignatureInvalid(f"{rail}: body is not JSON") from exc
    if not isinstance(data, dict):
        raise SignatureInvalid(f"{rail}: body is not a JSON object")
    return data


class SignedJsonClient:
    """POST signed JSON to one rail and return its verified JSON answer."""

    def __init__(self, rail: str, *, pool: urllib3.PoolManager | None = None) -> None:
        self.rail = Rail.named(rail)
        self.pool = pool or urllib3.PoolManager(retries=False)

    def verify(self, *, method: str, path: str, headers: Mapping, body: bytes) -> dict:
        """A message from this rail's party (a callback), checked with its secret."""
        r = self.rail
        return verify(
            rail=r.name, key_id=r.key_id, secret=r.secret, method=method, path=path,
            headers=headers, body=body,
        )  # fmt: skip

    def post(self, path: str, payload: Mapping, *, idempotency_key: str = "") -> dict:
        r = self.rail
        idempotency_key = idempotency_key or uuid.uuid4().hex
        body = canonical_json(payload)
        url_path = urllib3.util.parse_url(r.url + path).path or path
        last: IntegrationError | None = None
        for attempt in range(r.retries + 1):
            if attempt:
                time.sleep(r.backoff * 2 ** (attempt - 1))
            # Fresh timestamp and nonce per attempt (a resend is a new message), same key.
            headers = {
                "Content-Type": "application/json",
                H_IDEMPOTENCY: idempotency_key,
                **signed_headers(
                    key_id=r.key_id, secret=r.secret, method="POST", path=url_path, body=body
                ),
            }
            try:
                response = self.pool.request(
                    "POST",
                    r.url + path,
                    body=body,
                    headers=headers,
                    timeout=urllib3.Timeout(connect=r.timeout, read=r.timeout),
                    redirect=False,
                )
            except urllib3.exceptions.HTTPError as exc:  # connect error, timeout, reset
                last = IntegrationTimeout(f"{r.name}: {type(exc).__name__}: {exc}")
                log.warning("%s %s attempt %d: %s", r.name, path, attempt + 1, exc)
                continue
            if response.status in RETRYABLE_STATUS:
                last = IntegrationTimeout(
                    f"{r.name}: HTTP {response.status}", status=response.status
                )
                log.warning("%s %s attempt %d: HTTP %d", r.name, path, attempt + 1, response.status)
                continue
            data = self.verify(
                method="POST", path=url_path, headers=response.headers, body=response.data
            )
            if response.status >= 400:
                raise IntegrationRejected(
                    f"{r.name}: HTTP {response.status}: {data.get('error') or data}",
                    status=response.status,
                )
            return data
        assert last is not None
        raise last
