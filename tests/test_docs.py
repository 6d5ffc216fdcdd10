"""The documentation points at things that exist.

A newcomer follows the docs into the code: every repository path the README and docs/ name in
backticks must exist, every relative Markdown link must resolve, every `from <app module> import
<name>` in a command (the runbook's shell lines) must still import, and the README must lead to the
map (docs/architecture.md) whose "Where things are" table names the module that posts a
repayment's waterfall and the one that computes a DPD bucket (issue #15: two links from the
README to either). A rename that forgets the docs fails here, naming the file and the path.
"""

from __future__ import annotations

import itertools
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "docs" / "decisions").glob("*.md")]
)

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
PATH_ENDINGS = (".py", ".md", ".html", "/")
# Folders made at run time (git-ignored): named in the docs, never in the repository.
RUNTIME_FOLDERS = (".data/", ".venv/", "staticfiles/", "media/", "bench/out/")


def _prose(text: str) -> str:
    """The text outside fenced blocks (commands and Mermaid diagrams are not prose links)."""
    return FENCE.sub("", text)


def _expand_braces(path: str) -> list[str]:
    """`a/{b,c}.py` -> ["a/b.py", "a/c.py"] (several groups multiply)."""
    parts = re.split(r"\{([^{}]*)\}", path)
    fixed, choices = parts[0::2], [group.split(",") for group in parts[1::2]]
    result = []
    for combo in itertools.product(*choices):
        pieces = [fixed[0]]
        for choice, tail in zip(combo, fixed[1:], strict=True):
            pieces += [choice.strip(), tail]
        result.append("".join(pieces))
    return result


def repo_paths(text: str) -> list[str]:
    """Code spans that look like a path in this repository: a `/` inside, ending in .py, .md,
    .html or a folder's `/`; not a URL path (`/servicing/eod/`), not a placeholder."""
    found = []
    for span in CODE_SPAN.findall(_prose(text)):
        span = span.strip()
        if "/" not in span or not span.endswith(PATH_ENDINGS):
            continue
        if span.startswith(("/", "http:", "https:", "~")) or span.startswith(RUNTIME_FOLDERS):
            continue
        if any(c in span for c in " <>…:=$"):
            continue
        found.extend(_expand_braces(span))
    return found


def _exists(relative: str, root: pathlib.Path) -> bool:
    if any(c in relative for c in "*?["):
        return any(root.glob(relative.rstrip("/")))
    target = root / relative
    return target.is_dir() if relative.endswith("/") else target.is_file()


def missing_paths(doc: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    return [p for p in repo_paths(doc.read_text(encoding="utf-8")) if not _exists(p, root)]


def broken_links(doc: pathlib.Path) -> list[str]:
    broken = []
    for target in LINK.findall(_prose(doc.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # another site, mail, or an anchor on this page
        relative = target.split("#", 1)[0]
        if not (doc.parent / relative).exists():
            broken.append(target)
    return broken


APPS = ("autofin", "origination", "servicing", "risk", "dealers")
IMPORT = re.compile(r"from ((?:" + "|".join(APPS) + r")(?:\.\w+)*) import (\w+(?:, *\w+)*)")


def stale_imports(doc: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    """`from <app module> import <name>` in the docs' commands (runbook shell lines) whose module
    is not in the repository or does not define the name at its top level."""
    stale = []
    found = IMPORT.findall(doc.read_text(encoding="utf-8"))
    for module, name in [(m, n.strip()) for m, names in found for n in names.split(",")]:
        base = root.joinpath(*module.split("."))
        if (base / f"{name}.py").is_file() or (base / name).is_dir():
            continue  # `from package import module`
        source = next(
            (p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None
        )
        text = source.read_text(encoding="utf-8") if source else ""
        if not re.search(rf"^(?:def|class) {name}\b|^{name}\s*[:=]", text, re.M):
            stale.append(f"{module}.{name}")
    return stale


def _name(doc: pathlib.Path) -> str:
    return str(doc.relative_to(ROOT))


def test_the_docs_are_there():
    names = {_name(d) for d in DOCS}
    for required in ("README.md", "docs/architecture.md", "docs/flows.md", "docs/glossary.md",
                     "docs/runbook.md"):  # fmt: skip
        assert required in names
    assert len([n for n in names if n.startswith("docs/decisions/")]) >= 4


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_repository_path_named_in_the_docs_exists(doc):
    assert missing_paths(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_relative_link_resolves(doc):
    assert broken_links(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_command_imports_what_exists(doc):
    assert stale_imports(doc) == []


def test_the_readme_links_the_documentation():
    links = set(LINK.findall((ROOT / "README.md").read_text(encoding="utf-8")))
    for doc in ("docs/architecture.md", "docs/flows.md", "docs/glossary.md", "docs/runbook.md"):
        assert doc in links, f"README.md does not link {doc}"


@pytest.mark.parametrize(
    "task", ["posts a repayment's waterfall", "computes a DPD bucket"], ids=["waterfall", "dpd"]
)
def test_the_map_names_the_module_for_each_task(task):
    """README -> docs/architecture.md -> the module: two links."""
    lines = [
        line
        for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines()
        if task in line
    ]
    assert lines, f"docs/architecture.md has no line saying which module {task}"
    modules = [p for line in lines for p in repo_paths(line) if p.endswith(".py")]
    assert modules, f"the line for {task!r} names no module"
    assert [m for m in modules if not (ROOT / m).is_file()] == []


def test_the_checks_catch_a_missing_path_and_a_broken_link(tmp_path):
    """The checker itself can fail: a page naming a module and a page that do not exist."""
    (tmp_path / "servicing").mkdir()
    (tmp_path / "servicing" / "loan_rules.py").write_text("")
    doc = tmp_path / "page.md"
    doc.write_text(
        "Rules live in `servicing/loan_rules.py`; posting in `servicing/nowhere.py` and\n"
        "`servicing/{loan_rules,gone}.py`; the page `/servicing/eod/` is a URL, `.data/` runtime.\n"
        "See [the map](docs/missing.md), [rules](servicing/loan_rules.py) and "
        "[a site](https://example.com/x.md).\n"
        "```mermaid\nflowchart LR\n  a[`servicing/in_a_diagram.py`] --> b\n```\n",
        encoding="utf-8",
    )
    assert missing_paths(doc, tmp_path) == ["servicing/nowhere.py", "servicing/gone.py"]
    assert broken_links(doc) == ["docs/missing.md"]


def test_the_command_check_catches_a_moved_function(tmp_path):
    (tmp_path / "servicing" / "eod").mkdir(parents=True)
    (tmp_path / "servicing" / "eod" / "runner.py").write_text("def batch_retry():\n    pass\n")
    doc = tmp_path / "runbook.md"
    doc.write_text(
        "```bash\npython manage.py shell -c 'from servicing.eod import runner'\n"
        "python manage.py shell -c 'from servicing.eod.runner import batch_retry, gone'\n"
        "python manage.py shell -c 'from servicing.nowhere import x'\n```\n",
        encoding="utf-8",
    )
    assert stale_imports(doc, tmp_path) == ["servicing.eod.runner.gone", "servicing.nowhere.x"]
