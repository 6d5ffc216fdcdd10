"""English is complete: every Chinese string the code marks has its English, and what ships is
what the catalogue says. A string wrapped in an alias of gettext (`L = gettext_lazy`) is never
extracted, so it has no English and shows in Chinese on an English page: 70 risk-rule labels did
until this test."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/en/LC_MESSAGES/django.po"
MO = ROOT / "locale/en/LC_MESSAGES/django.mo"
APPS = ("autofin", "origination", "dealers", "risk", "servicing")
GETTEXT = {"gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def _python_files():
    for app in APPS:
        yield from (ROOT / app).rglob("*.py")


def test_gettext_is_only_ever_called_by_a_name_makemessages_extracts():
    aliased = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                aliased += [
                    f"{path.relative_to(ROOT)}: {a.name} as {a.asname}"
                    for a in node.names
                    if a.name in GETTEXT and a.asname not in (None, "_")
                ]
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Name)
                and node.value.id in GETTEXT
            ):
                aliased.append(f"{path.relative_to(ROOT)}: = {node.value.id}")
    assert aliased == []


@pytest.mark.requires_service("msgfmt")
def test_every_message_has_its_english_and_the_compiled_catalogue_is_current(tmp_path):
    out = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = out.stderr
    assert re.match(r"\d+ translated messages\.\s*$", stats), stats  # no fuzzy, no untranslated
    assert (tmp_path / "django.mo").read_bytes() == MO.read_bytes(), "run `make messages`"
