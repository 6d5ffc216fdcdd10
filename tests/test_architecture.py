"""The one-way dependency rule of ARCHITECTURE.md, checked on every run:
servicing → origination → dealers, risk; everything may use autofin; autofin uses no app."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "autofin": {"dealers", "risk", "origination", "servicing"},
    "dealers": {"risk", "origination", "servicing"},
    "risk": {"dealers", "origination", "servicing"},
    "origination": {"servicing"},
    "servicing": set(),
}


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_apps_import_only_downstream(app):
    offences = []
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for lineno, top in _imports(path):
            if top in FORBIDDEN[app]:
                offences.append(f"{path.relative_to(ROOT)}:{lineno} imports {top}")
    assert offences == []


def test_pricing_engine_is_pure_python():
    offences = [
        f"{path.relative_to(ROOT)}:{lineno}"
        for path in (ROOT / "autofin" / "pricing").rglob("*.py")
        for lineno, top in _imports(path)
        if top in {"django", "rest_framework", "celery"}
    ]
    assert offences == []
