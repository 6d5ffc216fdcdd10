"""Chinese labels use full-width punctuation: "合同编号：", "复核（双人）", never an ASCII ":" or
"(" right after a Chinese character (issue #16, item 15). Checked in every template's text and
every gettext msgid of the apps; comments and docstrings (English prose naming a Chinese term)
are not labels and are not read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("autofin", "dealers", "origination", "risk", "servicing")
GETTEXT = {"_", "_g", "_t", "_lazy", "gettext", "gettext_lazy", "ngettext", "pgettext"}
# a Chinese character, then (after at most one space) an ASCII colon or opening parenthesis;
# in templates also a {% translate "…中文" %} tag followed by one
CJK_THEN_ASCII = re.compile(r"[\u4e00-\u9fff][ ]?[:(]")
TAG_THEN_ASCII = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(["'])[^"']*[\u4e00-\u9fff]\1[^%]*%\}[ ]?[:(]"""
)
TEMPLATE_COMMENTS = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
# real exceptions, as (file, the offending text): none today
ALLOWED: set[tuple[str, str]] = set()


def template_offences(text: str) -> list[str]:
    text = TEMPLATE_COMMENTS.sub("", text)
    found = [m.group(0) for m in CJK_THEN_ASCII.finditer(text)]
    return found + [m.group(0) for m in TAG_THEN_ASCII.finditer(text)]


def msgid_offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        first = node.args[0]
        if name in GETTEXT and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found += [m.group(0) for m in CJK_THEN_ASCII.finditer(first.value)]
    return found


def test_no_ascii_colon_or_parenthesis_after_chinese_in_templates_and_msgids():
    offences = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        rel = str(path.relative_to(ROOT))
        offences += [
            (rel, o) for o in template_offences(path.read_text()) if (rel, o) not in ALLOWED
        ]
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = str(path.relative_to(ROOT))
            found = msgid_offences(path.read_text())
            offences += [(rel, o) for o in found if (rel, o) not in ALLOWED]
    assert offences == []


def test_the_check_finds_what_it_looks_for():
    assert template_offences('<h2>{% translate "复核 (双人)" %}</h2>') == ["核 ("]
    assert template_offences('<p>{% translate "合同编号" %}: {{ c.ref }}</p>') != []
    assert template_offences("<p>合同编号：{# 说明: a comment #}</p>") == []
    assert template_offences('{% translate "复核（双人）" %}{% translate "：" %}') == []
    assert msgid_offences('_("客户: %(n)s")\nprint("不是: msgid")') == ["户:"]
