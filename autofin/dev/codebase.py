"""The codebase's shape, checked in CI (tests/test_architecture.py) and by `make lint`:

- no import cycle between the modules of one app (imports inside functions count: a cycle
  hidden in a function is still a cycle a reader has to untangle);
- an import inside a function names why on its line or the line above (a `#` comment);
- no module over MODULE_LINES lines and no function over FUNCTION_LINES lines of code (lines
  inside string literals, such as a SQL statement, do not count: a statement is one idea);
- no dead code: vulture's unused functions, methods, properties and classes, less the names
  templates use and the entry points listed in vulture_whitelist.py.

Run `python -m autofin.dev.codebase` for every finding at once."""

from __future__ import annotations

import ast
import io
import pathlib
import re
import sys
import tokenize
from contextlib import redirect_stdout

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ("autofin", "origination", "servicing", "risk", "dealers")
MODULE_LINES = 500
FUNCTION_LINES = 80
DEAD_KINDS = {"function", "method", "property", "class"}
# Names Django, DRF, Celery and the registries call by convention or decorator, never by name.
ENTRY_POINTS = [
    "Command", "handle", "add_arguments", "*Config", "*Admin", "*Inline",
    "get_*", "validate_*", "clean_*", "has_permission", "has_object_permission",
    "to_python", "to_representation", "to_internal_value", "from_db_value", "send_messages",
    "get", "post", "put", "patch", "delete", "label_from_instance", "ready",
]  # fmt: skip
ENTRY_DECORATORS = ["@admin.register", "@register", "@register.*", "@rule", "@signal",
                    "@receiver", "@action"]  # fmt: skip


def app_files(app: str) -> list[pathlib.Path]:
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: pathlib.Path) -> bool:
    return path.name == "__init__.py"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Lines under `if TYPE_CHECKING:`: those imports never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                for child in node.body:
                    lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _targets(path: pathlib.Path, node: ast.Import | ast.ImportFrom, modules: set[str]):
    """The modules of the project an import statement loads."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    if node.level:
        base = module_name(path).split(".")
        if not _is_package(path):
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        yield sub if sub in modules else target


def import_graph(app: str) -> dict[str, set[str]]:
    files = app_files(app)
    modules = {module_name(p) for p in files}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        me = module_name(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in skip:
                for target in _targets(path, node, modules):
                    if target in modules and target != me:
                        graph[me].add(target)
    return graph


def import_cycles(app: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph = import_graph(app)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def unexplained_local_imports(app: str) -> list[str]:
    """Imports of project modules inside functions without a `#` comment saying why."""
    offences = []
    for path in app_files(app):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                top = (
                    node.names[0].name if isinstance(node, ast.Import) else (node.module or "")
                ).split(".")[0]
                if top not in (*APPS, app) and not getattr(node, "level", 0):
                    continue
                own = lines[node.lineno - 1 : node.end_lineno]
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                if not any("#" in line for line in own) and not above.startswith("#"):
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(offences))


def _string_lines(source: str) -> set[int]:
    """Lines wholly inside a multi-line string literal (after its first line)."""
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        is_string = tok.type in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1))
        if is_string and tok.end[0] > tok.start[0]:
            lines.update(range(tok.start[0] + 1, tok.end[0] + 1))
    return lines


def oversized(app: str) -> list[str]:
    offences = []
    for path in app_files(app):
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        count = len(source.splitlines())
        if count > MODULE_LINES:
            offences.append(f"{rel}: {count} lines (at most {MODULE_LINES})")
        strings = _string_lines(source)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                code = sum(1 for n in span if n not in strings)
                if code > FUNCTION_LINES:
                    offences.append(
                        f"{rel}:{node.lineno} {node.name}(): {code} lines (at most {FUNCTION_LINES})"
                    )
    return offences


def _template_names() -> set[str]:
    """Identifiers templates use: a property or method read only by a template is alive."""
    names: set[str] = set()
    for path in (ROOT / "templates").rglob("*"):
        if path.is_file():
            names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", path.read_text(encoding="utf-8")))
    return names


def _dotted_path_names() -> set[str]:
    """The last part of every dotted path in a string ("servicing.adapters.HttpBureau"):
    settings, beat schedules and adapters name classes and tasks that way."""
    names: set[str] = set()
    for app in APPS:
        for path in app_files(app):
            for match in re.findall(r"[\"'](?:[a-z_]+\.)+([A-Za-z_][A-Za-z0-9_]*)[\"']",
                                    path.read_text(encoding="utf-8")):  # fmt: skip
                names.add(match)
    return names


def dead_code(paths: list[str] | None = None) -> list[str]:
    from vulture import Vulture  # a dev dependency: production never imports this module

    vulture = Vulture(
        ignore_names=sorted(_template_names() | _dotted_path_names()) + ENTRY_POINTS,
        ignore_decorators=ENTRY_DECORATORS,
    )
    # bench/ is a real caller (it measures production code); tests are not: code only a test
    # calls is dead in production.
    targets = [str(ROOT / p) for p in (paths or (*APPS, "bench"))]
    with redirect_stdout(io.StringIO()):
        vulture.scavenge([*targets, str(ROOT / "vulture_whitelist.py")], exclude=["*/migrations/*"])
    return sorted(
        f"{pathlib.Path(item.filename).relative_to(ROOT)}:{item.first_lineno} "
        f"unused {item.typ} {item.name}"
        for item in vulture.get_unused_code()
        if item.typ in DEAD_KINDS
    )


def main() -> int:
    findings: list[str] = []
    for app in APPS:
        findings += [f"import cycle in {app}: {' -> '.join(c)}" for c in import_cycles(app)]
        findings += [f"{o}: import inside a function without a why" for o in
                     unexplained_local_imports(app)]  # fmt: skip
        findings += oversized(app)
    findings += dead_code()
    for finding in findings:
        print(finding)
    print(f"{len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
