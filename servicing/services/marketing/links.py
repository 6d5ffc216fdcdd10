"""The links a campaign contact carries: the tracking link (opened → the customer's offers) and
the one-tap unsubscribe link. A token is "<contact id>.<keyed digest>"; the digest is made in
SQL (TOKEN_SQL) because the launch writes every message in one statement, and it is checked by
the same expression, so there is one definition. The key is derived from SECRET_KEY, never
SECRET_KEY itself, so a logged statement does not reveal it."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import connection

OPEN, UNSUBSCRIBE = "o", "u"
OFFERS_PATH = "/my/offers/"  # the offers stream's page, linked by path

# the digest of contact `{id}` for link kind `{kind}` (both SQL expressions); key bound as %(key)s
TOKEN_SQL = (
    "({id})::text || '.' || substr(encode(sha256(convert_to("
    "%(key)s || ':' || {kind} || ':' || ({id})::text, 'UTF8')), 'hex'), 1, 24)"
)


def link_key() -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"autofin.marketing.links", hashlib.sha256
    ).hexdigest()


def token_sql(id_expr: str, kind: str) -> str:
    return TOKEN_SQL.format(id=id_expr, kind=f"'{OPEN if kind == OPEN else UNSUBSCRIBE}'")


def contact_for_token(token: str, kind: str) -> int | None:
    """The contact id the token was made for, or None for a forged or mangled token."""
    head, _dot, _digest = token.partition(".")
    if not head.isdigit() or len(token) > 60:
        return None
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {token_sql('%(id)s', kind)} = %(token)s",  # noqa: S608 - constant SQL
            {"id": int(head), "key": link_key(), "token": token},
        )
        ok = cur.fetchone()[0]
    return int(head) if ok else None


def contact_token(contact_id: int, kind: str) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {token_sql('%(id)s', kind)}", {"id": contact_id, "key": link_key()})  # noqa: S608 - constant SQL
        return cur.fetchone()[0]
