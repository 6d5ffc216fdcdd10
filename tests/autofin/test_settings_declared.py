"""Every setting is declared once in settings.py from the environment and listed in the README."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from autofin.rails import ADAPTERS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("autofin", "dealers", "origination", "risk", "servicing")


def _environment_names() -> set[str]:
    text = (ROOT / "autofin" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', text))
    names |= set(ADAPTERS)  # autofin/rails.py, read by settings.py
    names |= {f"{prefix}_URL" for prefix in settings.INTEGRATION_PREFIXES.values()}
    return names


def test_no_setting_is_read_with_a_default_outside_settings_py():
    # getattr(settings, "X", default) hides an undeclared setting behind a second default
    offenders = []
    for app in SOURCES:
        for path in (ROOT / app).rglob("*.py"):
            if path.name == "settings.py" or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [
                f"{path.relative_to(ROOT)}: {m}"
                for m in re.findall(r"getattr\(\s*settings\s*,\s*[^,()]+,[^)]*", text)
            ]
    assert offenders == []


def test_every_environment_variable_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration (environment)") :]
    missing = sorted(n for n in _environment_names() if f"`{n}`" not in table)
    assert missing == []
    suffixes = ("_KEY_ID", "_SECRET", "_PREVIOUS_KEY_ID", "_PREVIOUS_SECRET", "_TIMEOUT")
    for suffix in (*suffixes, "_RETRIES", "_BACKOFF"):
        assert f"`<RAIL>{suffix}`" in table
