"""Personal data at rest: encrypted values and keyed hashes that let equal values be matched.

Encryption is Fernet (AES-128-CBC + HMAC-SHA256) through MultiFernet, so keys can rotate: the
first key in FIELD_ENCRYPTION_KEYS encrypts, all of them decrypt. The keyed hash is
HMAC-SHA256 over a normalised value under HMAC_KEY: equal ID numbers give equal hashes (for
anti-fraud and duplicate checks) without the plaintext ever being compared or stored.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _cipher() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def normalise(value: str) -> str:
    # ID numbers end in an upper-case X; phones and accounts may be typed with spaces or dashes.
    return "".join(ch for ch in str(value).strip().upper() if ch not in " -")


def encrypt(value: str) -> str:
    if value in (None, ""):
        return ""
    return _cipher().encrypt(str(value).encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    return _cipher().decrypt(token.encode()).decode()


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
