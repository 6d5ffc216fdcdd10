"""Deploy checks: `manage.py check --deploy` (and `--database default` for the demo users)
refuses what must never reach production.

They apply when DEBUG is off and AUTOFIN_SANDBOX is not set, i.e. to anything that could be
production. Each is an Error, so `check --deploy --fail-level ERROR` already stops a release.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connection
from django.db.models import Q
from django.utils.module_loading import import_string

from autofin.integrations.sandbox import SandboxOnly
from autofin.models import User
from autofin.rails import ADAPTERS
from autofin.seed.users import BACK_OFFICE_DEMO_USERS, DEMO_PASSWORD

# Every setting that names an outside party's adapter (settings.py, "Rails").
ADAPTER_SETTINGS = tuple(ADAPTERS)  # every rail (autofin/rails.py)
MIN_SECRET_LENGTH = 32
# seed_demo's users other than the numbered dealer staff (dealerN_admin / dealerN_sales).
_DEMO_EXTRA_USERNAMES = ("customer", "agent2", "cust_li", "cust_wang", "cust_zhao", "cust_chen")
_DEMO_DEALER_STAFF = r"^dealer[0-9]+_(admin|sales)$"


def _production() -> bool:
    return not settings.DEBUG and not settings.AUTOFIN_SANDBOX


def _weak(secret: str) -> bool:
    return len(secret) < MIN_SECRET_LENGTH or secret.startswith("sandbox-")


def adapter_errors() -> list[Error]:
    errors: list[Error] = []
    rails: dict[str, str] = {}
    for name in ADAPTER_SETTINGS:
        path = getattr(settings, name)
        try:
            cls = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"{name}={path!r} cannot be imported: {exc}", id="autofin.E010"))
            continue
        if isinstance(cls, type) and issubclass(cls, SandboxOnly):
            errors.append(
                Error(
                    f"{name} is the sandbox {path}: it pays, verifies or sends nothing real.",
                    hint="Configure the production adapter (unset it for the default) and its "
                    "endpoint, or set AUTOFIN_SANDBOX=1 on a development machine.",
                    id="autofin.E011",
                )
            )
        rail = getattr(cls, "integration_rail", None)
        if rail:
            rails.setdefault(rail, name)
    for rail, used_by in rails.items():
        cfg = settings.INTEGRATIONS[rail]
        prefix = cfg["env_prefix"]
        missing = [f"{prefix}_{k.upper()}" for k in ("url", "key_id") if not cfg[k]]
        if missing:
            errors.append(
                Error(
                    f"{used_by} talks to the {rail} provider but {', '.join(missing)} is not set.",
                    id="autofin.E012",
                )
            )
        if _weak(cfg["secret"]):
            errors.append(
                Error(
                    f"{prefix}_SECRET (the {rail} provider's secret for requests, answers and "
                    f"callbacks) is missing, a sandbox placeholder or shorter than "
                    f"{MIN_SECRET_LENGTH} characters.",
                    hint="Set the secret agreed with the provider; callbacks are verified with it.",
                    id="autofin.E013",
                )
            )
        errors += _previous_pair_errors(rail, cfg)
    return errors


def _previous_pair_errors(rail: str, cfg: dict) -> list[Error]:
    """A rotation's previous pair verifies callbacks too, so it must be as strong as the
    current one and named by a key id of its own (the key id picks the secret)."""
    prefix = cfg["env_prefix"]
    previous_id, previous_secret = cfg.get("previous_key_id"), cfg.get("previous_secret", "")
    if not previous_id and not previous_secret:
        return []
    if previous_id and previous_id != cfg["key_id"] and not _weak(previous_secret):
        return []
    return [
        Error(
            f"{prefix}_PREVIOUS_KEY_ID / {prefix}_PREVIOUS_SECRET (the {rail} provider's key "
            f"being rotated out) need a key id other than {prefix}_KEY_ID and a secret of at "
            f"least {MIN_SECRET_LENGTH} characters.",
            hint="Set both to the pair the provider used until the switch, or neither once the "
            "rotation is over.",
            id="autofin.E014",
        )
    ]


def key_errors() -> list[Error]:
    errors: list[Error] = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        errors.append(
            Error(
                "SECRET_KEY is the development default published in settings.py.",
                hint="Set SECRET_KEY to a long random value.",
                id="autofin.E001",
            )
        )
    if settings.HMAC_KEY == settings.DEV_HMAC_KEY or len(settings.HMAC_KEY) < MIN_SECRET_LENGTH:
        errors.append(
            Error(
                "HMAC_KEY is the development default (or shorter than "
                f"{MIN_SECRET_LENGTH} characters): keyed hashes of ID numbers can be recomputed.",
                hint="Set HMAC_KEY to a long random value before storing any data; the keyed "
                "hashes stored under one key do not match under another.",
                id="autofin.E002",
            )
        )
    dev = set(settings.DEV_FIELD_ENCRYPTION_KEYS)
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys or dev.intersection(keys):
        errors.append(
            Error(
                "FIELD_ENCRYPTION_KEYS is empty or holds the development key published in "
                "settings.py: anyone can decrypt the stored ID numbers.",
                hint="Put a new Fernet key first (Fernet.generate_key()), run "
                "`manage.py reencrypt_fields`, then drop the development key.",
                id="autofin.E003",
            )
        )
    else:
        from cryptography.fernet import Fernet

        for i, key in enumerate(keys):
            try:
                Fernet(key.encode())
            except ValueError:
                errors.append(
                    Error(f"FIELD_ENCRYPTION_KEYS[{i}] is not a Fernet key.", id="autofin.E004")
                )
    return errors


@register(Tags.security, deploy=True)
def deploy_rails_and_keys(app_configs, **kwargs) -> list[Error]:  # noqa: ARG001 - check API
    if not _production():
        return []
    return key_errors() + adapter_errors() + telematics_errors()


def telematics_errors() -> list[Error]:
    """The GPS provider's webhook (docs/telematics.md) is verified with its own secret."""
    if settings.TELEMATICS_KEY_ID and not _weak(settings.TELEMATICS_SECRET):
        return []
    return [
        Error(
            "TELEMATICS_KEY_ID / TELEMATICS_SECRET (the GPS provider's webhook key) are missing, "
            f"a sandbox placeholder or shorter than {MIN_SECRET_LENGTH} characters.",
            hint="Set the key id and secret agreed with the GPS provider.",
            id="autofin.E015",
        )
    ]


def demo_users_present() -> list[str]:
    """Usernames of seed_demo's users that still have the demo password."""
    names = {username for username, _label in BACK_OFFICE_DEMO_USERS.values()}
    names.update(_DEMO_EXTRA_USERNAMES)
    candidates = User.objects.filter(
        Q(username__in=names) | Q(username__regex=_DEMO_DEALER_STAFF)
    ).order_by("username")
    return [u.username for u in candidates if u.check_password(DEMO_PASSWORD)]


@register(Tags.database)
def deploy_no_demo_users(app_configs, databases=None, **kwargs) -> list[Error]:  # noqa: ARG001
    # Database checks run only when asked (`check --database default`): never at import time.
    if not databases or "default" not in databases or not _production():
        return []
    if User._meta.db_table not in connection.introspection.table_names():
        return []  # a database not migrated yet holds no users at all
    found = demo_users_present()
    if not found:
        return []
    shown = ", ".join(found[:10]) + (" …" if len(found) > 10 else "")
    return [
        Error(
            f"{len(found)} demo user(s) with the demo password published in the README: {shown}.",
            hint="Delete them, or set new passwords; production databases are never seeded.",
            id="autofin.E020",
        )
    ]
