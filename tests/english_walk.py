"""Walk the pages a user can reach by following links (Django test client) and find Chinese
text a person would read on them outside user data.

User data (names, addresses, free text, product names typed by staff) is marked in templates
with a `data-user-content` attribute; everything inside such an element is skipped, as are
<script>/<style>. Visible attributes (title, placeholder, aria-label, alt, data-label) count."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-label")
# Links the walk never follows: leaving, files, the admin and the API, language switching.
SKIP = re.compile(
    r"logout|/admin/|/api/|/i18n/|/static/|/media/|\.pdf|\.csv|csv/|/document|download|/export"
)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped: user data, script or style)
        self.found: list[str] = []
        self.links: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skip = (
            self.skipping
            or "data-user-content" in attributes
            or tag in ("script", "style")
            # a language named in itself ("简体中文" in the switcher) is meant to be Chinese
            or (attributes.get("lang") or "").startswith("zh")
        )
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if not skip:
            for name in SHOWN_ATTRIBUTES:
                self._check(attributes.get(name) or "")
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        # pop to the matching open tag (tolerates unclosed <p>, <li>, <td> ...)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "title":
            # a title cannot mark user data: "Page · user data" is checked before the first " · "
            data = data.split(" · ")[0]
        if not self.skipping:
            self._check(data)

    def _check(self, text: str) -> None:
        if CJK.search(text):
            self.found.append(" ".join(text.split())[:80])


def page_chinese(html: str) -> tuple[list[str], list[str]]:
    """(Chinese text runs outside user data, the page's link targets)."""
    parser = _Page()
    parser.feed(html)
    return parser.found, parser.links


def url_shape(path: str) -> str:
    """A URL's shape: any path segment holding a digit stands for every object of its kind."""
    return "/".join("N" if re.search(r"\d", part) else part for part in path.split("/"))


@dataclass
class Walk:
    """Pages visited and, per page, the Chinese text found outside user data."""

    visited: list[str] = field(default_factory=list)
    findings: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def walk(client, start: str = "/", per_pattern: int = 2, limit: int = 120) -> Walk:
    """Breadth-first from `start` along same-site links, at most `per_pattern` pages per URL
    shape and `limit` pages in all (a test client already logged in, language chosen)."""
    result = Walk()
    seen_patterns: dict[str, int] = defaultdict(int)
    queue, queued = [start], {start}
    while queue and len(result.visited) < limit:
        url = queue.pop(0)
        response = client.get(url, follow=True)
        result.visited.append(url)
        if response.status_code >= 500:
            result.errors[url] = response.status_code
        if "text/html" not in response.get("Content-Type", ""):
            continue
        found, links = page_chinese(response.content.decode())
        if found:
            result.findings[url] = found
        base = response.request.get("PATH_INFO", url)
        for href in links:
            target = urlsplit(urljoin(base, href))
            if target.netloc not in ("", "testserver") or not target.path.startswith("/"):
                continue
            if SKIP.search(target.path):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            shape = url_shape(target.path)
            if path in queued or seen_patterns[shape] >= per_pattern:
                continue
            seen_patterns[shape] += 1
            queued.add(path)
            queue.append(path)
    return result
