"""Every `.quantize(` in the project's Python names its rounding mode (ARCHITECTURE.md, "Money
and time"): a call that leans on the decimal context's default rounds half-even, silently unlike
the half-up the house uses. The tests themselves are not scanned."""

from __future__ import annotations

import ast
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SKIPPED = {".venv", "venv", "tests", "node_modules", "static", "locale", "__pycache__"}


def quantize_calls_without_rounding(source: str) -> list[int]:
    """Line numbers of `x.quantize(...)` calls that give no rounding (keyword or 2nd argument)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "quantize"
            and len(node.args) < 2
            and not any(k.arg == "rounding" for k in node.keywords)
        ):
            lines.append(node.lineno)
    return lines


def _project_files():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                yield pathlib.Path(folder) / name


def test_the_checker_catches_an_unnamed_rounding():
    source = 'a = x.quantize(Decimal("0.01"))\nb = y.quantize(FEN, rounding=ROUND_HALF_UP)\n'
    source += "c = z.quantize(FEN, ROUND_DOWN)\nd = (\n    w.quantize(\n        FEN\n    )\n)\n"
    assert quantize_calls_without_rounding(source) == [1, 5]


def test_every_quantize_names_its_rounding():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _project_files()
        for line in quantize_calls_without_rounding(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "quantize without rounding=: " + ", ".join(offenders)
