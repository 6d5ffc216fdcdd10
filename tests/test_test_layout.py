"""Tests show what they use (issue #15): a reader of a test module finds every name it uses
either imported by name or, for fixtures, in a conftest.py on the way up to tests/.

- no `import *` anywhere under tests/ (a star import hides where a name, or an autouse
  fixture, comes from);
- a fixture is defined only in a conftest.py or a test module, never in a support module
  (the only way such a fixture reaches a test is an import, and pytest then runs it from there);
- no fixture is imported by name into another module (pytest finds conftest fixtures itself);
- nothing is imported from a conftest.py: plain helpers and constants live in support modules
  (`*_support.py`) and are imported from there;
- every autouse fixture says why it is autouse (a docstring or a `#` comment on the decorator,
  the line above it or in its first lines): it runs for tests that never name it.
"""

from __future__ import annotations

import ast
import pathlib
import textwrap

import pytest

TESTS = pathlib.Path(__file__).resolve().parent


def _is_pytest_module(path: pathlib.Path) -> bool:
    """conftest.py and test modules: the files pytest itself reads fixtures from."""
    return path.name == "conftest.py" or path.name.startswith("test_")


def _fixture_decorator(node: ast.expr) -> ast.expr | None:
    """The decorator if it is pytest's fixture (`@pytest.fixture`, `@pytest.fixture(...)`,
    `@fixture`), else None."""
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return node if name == "fixture" else None


def _fixtures(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    found = {}
    for node in tree.body:
        decorators = getattr(node, "decorator_list", [])
        if any(_fixture_decorator(d) is not None for d in decorators):
            found[node.name] = node
    return found


def _is_autouse(fixture: ast.FunctionDef) -> bool:
    for decorator in fixture.decorator_list:
        if isinstance(decorator, ast.Call) and _fixture_decorator(decorator) is not None:
            for keyword in decorator.keywords:
                if keyword.arg == "autouse" and getattr(keyword.value, "value", False) is True:
                    return True
    return False


def _says_why(fixture: ast.FunctionDef, lines: list[str]) -> bool:
    """A docstring, or a comment from the line above the decorator to the first body lines."""
    if ast.get_docstring(fixture):
        return True
    first = fixture.decorator_list[0].lineno - 2  # the line above the decorator (0-based)
    last = fixture.body[0].lineno  # the first body line, and the one after it
    return any("#" in line for line in lines[max(first, 0) : last + 1])


def _module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layout_findings(root: pathlib.Path) -> list[str]:
    """Every breach of the rules above in the test package at `root` (e.g. tests/)."""
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    sources = {p: p.read_text(encoding="utf-8") for p in files}
    trees = {p: ast.parse(sources[p], filename=str(p)) for p in files}
    modules = {_module_name(p, root): p for p in files}
    findings = []
    for path, tree in trees.items():
        where = path.relative_to(root.parent)
        fixtures = _fixtures(tree)
        if not _is_pytest_module(path):
            for name, fixture in fixtures.items():
                line = fixture.decorator_list[0].lineno
                findings.append(
                    f"{where}:{line}: fixture {name} outside a conftest.py or test module"
                )
        for name, fixture in fixtures.items():
            if _is_autouse(fixture) and not _says_why(fixture, sources[path].splitlines()):
                line = fixture.decorator_list[0].lineno
                findings.append(f"{where}:{line}: autouse fixture {name} says not why")
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            names = [alias.name for alias in node.names]
            if "*" in names:
                findings.append(f"{where}:{node.lineno}: from {node.module} import *")
            source = modules.get(node.module)
            if source is None:
                continue
            if source.name == "conftest.py":
                findings.append(f"{where}:{node.lineno}: imports from {node.module}")
            for name in sorted(set(names) & set(_fixtures(trees[source]))):
                findings.append(f"{where}:{node.lineno}: imports fixture {name} from {node.module}")
    return findings


def test_the_tests_show_what_they_use():
    assert layout_findings(TESTS) == []


# --- The check itself: each rule catches what it is for ------------------------------------------


def _package(tmp_path: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    root = tmp_path / "tests"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


SUPPORT_WITH_FIXTURE = """
    import pytest

    LIMIT = 3

    @pytest.fixture(autouse=True)
    def stub(monkeypatch):
        monkeypatch.setenv("STUB", "1")
"""


def test_a_star_import_of_a_support_module_is_caught(tmp_path):
    root = _package(
        tmp_path,
        {
            "things_support.py": SUPPORT_WITH_FIXTURE,
            "test_a.py": "from tests.things_support import *\n\ndef test_a(): pass\n",
        },
    )
    assert layout_findings(root) == [
        "tests/test_a.py:1: from tests.things_support import *",
        "tests/things_support.py:6: fixture stub outside a conftest.py or test module",
        "tests/things_support.py:6: autouse fixture stub says not why",
    ]


@pytest.mark.parametrize("decorator", ["@pytest.fixture", "@pytest.fixture()", "@fixture"])
def test_a_fixture_imported_by_name_from_a_support_module_is_caught(tmp_path, decorator):
    support = (
        f"import pytest\nfrom pytest import fixture\n\n{decorator}\ndef maker():\n    return 1\n"
    )
    root = _package(
        tmp_path,
        {
            "people_support.py": support,
            "test_b.py": "from tests.people_support import maker\n\ndef test_b(maker): pass\n",
        },
    )
    assert layout_findings(root) == [
        "tests/people_support.py:4: fixture maker outside a conftest.py or test module",
        "tests/test_b.py:1: imports fixture maker from tests.people_support",
    ]


def test_a_helper_imported_from_a_conftest_is_caught(tmp_path):
    conftest = '"""Fixtures."""\nLIMIT = 3\n'
    root = _package(
        tmp_path,
        {"conftest.py": conftest, "test_c.py": "from tests.conftest import LIMIT\n"},
    )
    assert layout_findings(root) == ["tests/test_c.py:1: imports from tests.conftest"]


def test_fixtures_in_conftest_and_helpers_imported_by_name_pass(tmp_path):
    conftest = """
        import pytest

        @pytest.fixture(autouse=True)
        def stub(monkeypatch):
            # Autouse: no test here may reach the network.
            monkeypatch.setenv("STUB", "1")

        @pytest.fixture
        def maker():
            return 1
    """
    root = _package(
        tmp_path,
        {
            "conftest.py": conftest,
            "things_support.py": "LIMIT = 3\n\ndef helper():\n    return LIMIT\n",
            "test_d.py": "from tests.things_support import LIMIT, helper\n\n"
            "def test_d(maker):\n    assert helper() == LIMIT\n",
        },
    )
    assert layout_findings(root) == []
