"""The one-way dependency rule of ARCHITECTURE.md, checked on every run:
servicing → origination → dealers, risk; everything may use autofin; autofin uses no app."""

import ast
import pathlib

import pytest

from autofin.dev.codebase import dead_code, import_cycles, oversized, unexplained_local_imports

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


# --- the codebase's shape (autofin/dev/codebase.py; `python -m autofin.dev.codebase`) ---------

APPS = sorted(FORBIDDEN)


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_between_the_modules_of_an_app(app):
    assert import_cycles(app) == []


@pytest.mark.parametrize("app", APPS)
def test_an_import_inside_a_function_says_why(app):
    assert unexplained_local_imports(app) == []


@pytest.mark.parametrize("app", APPS)
def test_modules_and_functions_stay_readable_in_one_sitting(app):
    assert oversized(app) == []


@pytest.fixture(scope="module")
def dead():
    return dead_code()


@pytest.mark.parametrize("app", [*APPS, "bench"])
def test_no_dead_code(app, dead):
    assert [finding for finding in dead if finding.startswith(f"{app}/")] == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function(tmp_path, monkeypatch):
    """The checker itself can fail: two modules importing each other, one inside a function."""
    from autofin.dev import codebase

    pkg = tmp_path / "demoapp"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from demoapp.b import g\n\ndef f():\n    return g()\n")
    (pkg / "b.py").write_text("def g():\n    from demoapp import a\n    return a\n")
    (pkg / "c.py").write_text("import demoapp.a\n")
    monkeypatch.setattr(codebase, "ROOT", tmp_path)
    assert codebase.import_cycles("demoapp") == [["demoapp.a", "demoapp.b"]]
    assert codebase.unexplained_local_imports("demoapp") == ["demoapp/b.py:2"]
