"""Personal data at rest: encrypted values and keyed hashes that let equal values be matched.

Encryption is Fernet (AES-128-CBC + HMAC-SHA256), and keys rotate: the first key in
FIELD_ENCRYPTION_KEYS encrypts, any of them decrypts. Each ciphertext starts with the id of the
key that made it (`k<8 hex>:`, from the key's SHA-256), so it is decrypted with that key alone
and `manage.py reencrypt_fields` knows which values still use an old key. Values written before
key ids (a bare Fernet token) are tried with every configured key. The keyed hash is
HMAC-SHA256 over a normalised value under HMAC_KEY: equal ID numbers give equal hashes (for
anti-fraud and duplicate checks) without the plaintext ever being compared or stored.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID_PREFIX = "k"
_KEY_ID_LENGTH = 8


def key_id(key: str) -> str:
    """A short, stable name for a Fernet key (not secret: a hash prefix of it)."""
    return hashlib.sha256(key.encode()).hexdigest()[:_KEY_ID_LENGTH]


@lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> tuple[str, dict[str, Fernet], MultiFernet]:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    by_id = {key_id(k): Fernet(k.encode()) for k in keys}
    return key_id(keys[0]), by_id, MultiFernet([Fernet(k.encode()) for k in keys])


def _ring():
    return _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def current_key_id() -> str:
    return _ring()[0]


def token_key_id(token: str) -> str | None:
    """The key id a ciphertext names, or None for one written before key ids."""
    head, sep, _rest = token.partition(":")
    if sep and head.startswith(KEY_ID_PREFIX) and len(head) == _KEY_ID_LENGTH + 1:
        return head[1:]
    return None


def normalise(value: str) -> str:
    # ID numbers end in an upper-case X; phones and accounts may be typed with spaces or dashes.
    return "".join(ch for ch in str(value).strip().upper() if ch not in " -")


def encrypt(value: str) -> str:
    if value in (None, ""):
        return ""
    current, by_id, _all = _ring()
    return f"{KEY_ID_PREFIX}{current}:" + by_id[current].encrypt(str(value).encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    _current, by_id, every = _ring()
    kid = token_key_id(token)
    if kid is None:
        return every.decrypt(token.encode()).decode()
    fernet = by_id.get(kid)
    if fernet is None:
        raise InvalidToken(f"encrypted with key {kid}, which is not in FIELD_ENCRYPTION_KEYS")
    return fernet.decrypt(token.split(":", 1)[1].encode()).decode()


def needs_reencryption(token: str) -> bool:
    """A stored value not (yet) under the current key."""
    return bool(token) and token_key_id(token) != current_key_id()


def keyed_hash(value: str) -> str:
    if value in (None, ""):
        return ""
    return hmac.new(
        settings.HMAC_KEY.encode(), normalise(value).encode(), hashlib.sha256
    ).hexdigest()


def mask(value: str, *, keep_start: int = 0, keep_end: int = 4, fill: str = "*") -> str:
    """110105********1234-style masking; short values are masked whole."""
    text = str(value or "")
    if len(text) <= keep_start + keep_end:
        return fill * len(text)
    return (
        text[:keep_start]
        + fill * (len(text) - keep_start - keep_end)
        + text[len(text) - keep_end :]
    )
