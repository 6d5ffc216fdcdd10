"""Login throttling, shared by every login form (the site's, the admin's, the API token's).

Failures are counted in the cache:
- per account: `LOGIN_THROTTLE_LIMIT` failures within the window lock that account, whichever
  address the attempts come from;
- per address: a much higher ceiling (`LOGIN_THROTTLE_ADDRESS_LIMIT`) for an address trying many
  accounts (password spraying). Offices and mobile carriers put many honest people behind one
  address, so the ceiling never locks an account that has signed in from that address before
  (remembered for `LOGIN_THROTTLE_KNOWN_SECONDS`): the colleague who has not failed still gets in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from autofin.crypto import keyed_hash


def _account_key(username: str) -> str:
    # Hashed so the cache never holds typed usernames (which are sometimes mistyped passwords).
    return f"login-fail:u:{keyed_hash(username or '-')}"


def _address_key(ip: str) -> str:
    return f"login-fail:ip:{ip or '-'}"


def _known_key(username: str, ip: str) -> str:
    pair = f"{ip or '-'}|{username or '-'}"
    return f"login-known:{keyed_hash(pair)}"


def login_blocked(*, username: str, ip: str) -> bool:
    """True when this attempt must be refused without checking the password."""
    account_key, address_key = _account_key(username), _address_key(ip)
    values = cache.get_many([account_key, address_key])
    if int(values.get(account_key, 0)) >= settings.LOGIN_THROTTLE_LIMIT:
        return True
    if int(values.get(address_key, 0)) >= settings.LOGIN_THROTTLE_ADDRESS_LIMIT:
        return cache.get(_known_key(username, ip)) is None
    return False


def login_failure_record(*, username: str, ip: str) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    for key in (_account_key(username), _address_key(ip)):
        # add() starts the window on the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window)


def login_success_record(*, username: str, ip: str) -> None:
    """Clear the account's failures and remember the account at this address."""
    cache.delete(_account_key(username))
    cache.set(_known_key(username, ip), 1, timeout=settings.LOGIN_THROTTLE_KNOWN_SECONDS)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
