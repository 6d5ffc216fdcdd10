"""The one idempotency helper for every money POST, API and HTML form alike.

    return idempotent(request, run=lambda key: ..., form=False)

- A key is required: the `Idempotency-Key` header (API) or the form's one-time `token` field
  (HTML). Missing: 400. Longer than KEY_MAX_LENGTH or with characters outside printable ASCII:
  400 (never cut: two long keys sharing a prefix must not become one).
- The key is claimed BEFORE the work starts, by one INSERT ... ON CONFLICT (owner, key) that
  commits at once, so a concurrent duplicate sees the claim: 409 while the first is in flight.
- The claim stores a fingerprint of the request (caller, endpoint, canonical body): the same key
  with another body or endpoint gets 422, never the first result.
- A finished request stores its response (status, JSON body or redirect target); a replay gets
  exactly that back, with the header `Idempotent-Replayed: true`.
- A request that fails (an exception, a 4xx/5xx answer, or `NothingDone` raised by a page that
  redirects back with a message) releases its claim: the caller may correct and retry.
- `run` receives a service-level key (unique per caller and key) to hand to the service, whose
  own unique constraint is the second line: a claim left in flight by a crashed worker is taken
  over after IDEMPOTENCY_IN_FLIGHT_STALE_SECONDS, and the rerun replays what the service did.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.models import IdempotencyRecord

HEADER = "Idempotency-Key"
FORM_FIELD = "token"
KEY_MAX_LENGTH = 80
KEY_PATTERN = re.compile(rf"^[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}$")
# form fields that are not part of what the caller asks for
_NOT_BODY = {"csrfmiddlewaretoken", FORM_FIELD}


class IdempotencyKeyError(ValueError):
    """A key that is missing or malformed; `message` is for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NothingDone(Exception):  # noqa: N818 - a signal to the helper, not an error to log
    """Raised by `run` with the response to send when it did nothing (a page that redirects
    back with a message): the claim is released instead of remembering that answer."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("nothing done")
        self.response = response


def key_validate(raw: str | None) -> str:
    """The key as given (stripped of surrounding blanks), or IdempotencyKeyError."""
    key = (raw or "").strip()
    if not key:
        raise IdempotencyKeyError(_("请提供幂等键（Idempotency-Key）。"))
    if not KEY_PATTERN.match(key):
        raise IdempotencyKeyError(
            _("幂等键须为 1–%(n)d 个可见 ASCII 字符。") % {"n": KEY_MAX_LENGTH}
        )
    return key


def _owner(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return "anonymous"


def _body(request: HttpRequest, form: bool) -> object:
    data = request.POST if form else getattr(request, "data", request.POST)
    if hasattr(data, "lists"):
        return {k: v for k, v in sorted(data.lists()) if k not in _NOT_BODY}
    return data


def request_fingerprint(request: HttpRequest, *, form: bool = False) -> str:
    """SHA-256 of the caller, the endpoint and the canonical body (sorted keys, no spaces)."""
    canonical = json.dumps(
        {
            "owner": _owner(request),
            "endpoint": f"{request.method} {request.path}",
            "body": _body(request, form),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _refusal(status: int, message: str, code: str, *, form: bool) -> HttpResponse:
    if form:
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return JsonResponse({"errors": {HEADER: [message]}, "code": code}, status=status)


def _claim(*, owner: str, key: str, endpoint: str, fingerprint: str) -> int | None:
    """Insert the claim and commit it at once; its id, or None when the key is taken."""
    table = IdempotencyRecord._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (owner, key, endpoint, fingerprint, status, response_body, response_location,
                 claimed_at)
            VALUES (%s, %s, %s, %s, 'in_flight', '', '', now())
            ON CONFLICT (owner, key) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - the table name is the model's, the values are parameters
            [owner, key, endpoint[:255], fingerprint],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _take_over_stale(record_id: int) -> bool:
    """Take over a claim left in flight too long (a worker died mid-request)."""
    stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_STALE_SECONDS)
    return bool(
        IdempotencyRecord.objects.filter(
            pk=record_id, status=IdempotencyRecord.Status.IN_FLIGHT, claimed_at__lt=stale
        ).update(claimed_at=timezone.now())
    )


def _replay(record: IdempotencyRecord) -> HttpResponse:
    if record.response_location:
        response = HttpResponse(status=record.response_status)
        response["Location"] = record.response_location
    else:
        response = HttpResponse(
            record.response_body, status=record.response_status, content_type="application/json"
        )
    response["Idempotent-Replayed"] = "true"
    return response


def _json_text(response: HttpResponse) -> str:
    data = getattr(response, "data", None)
    if data is None:  # a Django response: its content is already the JSON
        return response.content.decode() if response.content else "null"
    # rendered as DRF's JSONRenderer renders it (compact, unescaped), in the view's key order
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _store(record_id: int, response: HttpResponse) -> None:
    location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
    IdempotencyRecord.objects.filter(pk=record_id).update(
        status=IdempotencyRecord.Status.DONE,
        response_status=response.status_code,
        response_body="" if location else _json_text(response),
        response_location=location,
        completed_at=timezone.now(),
    )


def idempotent(
    request: HttpRequest, *, run: Callable[[str], HttpResponse], form: bool = False
) -> HttpResponse:
    """Run `run(service_key)` at most once per (caller, key); see the module doc.

    `form=True` reads the key from the POST field `token` and answers refusals as plain text
    (pages); otherwise the `Idempotency-Key` header and JSON errors (API)."""
    raw = request.POST.get(FORM_FIELD) if form else request.headers.get(HEADER)
    try:
        key = key_validate(raw)
    except IdempotencyKeyError as exc:
        return _refusal(400, exc.message, "idempotency_key_invalid", form=form)
    owner = _owner(request)
    fingerprint = request_fingerprint(request, form=form)
    endpoint = f"{request.method} {request.path}"
    record_id = _claim(owner=owner, key=key, endpoint=endpoint, fingerprint=fingerprint)
    if record_id is None:
        record = IdempotencyRecord.objects.get(owner=owner, key=key)
        if record.fingerprint != fingerprint:
            return _refusal(
                422,
                _("该幂等键已用于另一个请求（内容不同），请为新的请求使用新的幂等键。"),
                "idempotency_mismatch",
                form=form,
            )
        if record.status == IdempotencyRecord.Status.DONE:
            return _replay(record)
        if not _take_over_stale(record.pk):
            return _refusal(
                409, _("相同的请求正在处理中，请稍后再试。"), "idempotency_in_flight", form=form
            )
        record_id = record.pk
    try:
        response = run(f"idem:{owner}:{key}")
    except NothingDone as done:
        IdempotencyRecord.objects.filter(pk=record_id).delete()
        return done.response
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record_id).delete()
        raise
    if response.status_code >= 400:
        # Nothing was done: let the caller correct the request and retry with the same key.
        IdempotencyRecord.objects.filter(pk=record_id).delete()
    else:
        _store(record_id, response)
    return response
