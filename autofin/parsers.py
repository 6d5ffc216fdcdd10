"""The API's JSON parser, with a size and a nesting limit.

Python's json module recurses once per level: a body nested a few thousand levels deep raised
RecursionError, a 500. Depth is measured before parsing, so such a body is a plain 400.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A whole JSON string (escapes included) or one bracket: brackets inside strings do not count.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (0 for a scalar)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(_("请求内容过大（上限 %(limit)s 字节）。") % {"limit": limit})
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("请求内容不是有效的 JSON。")) from exc
        if json_depth(text) > settings.API_MAX_JSON_DEPTH:
            raise ParseError(
                _("JSON 嵌套层数过深（上限 %(depth)s 层）。")
                % {"depth": settings.API_MAX_JSON_DEPTH}
            )
        try:
            return json.loads(text, parse_constant=_refuse_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:
            raise ParseError(_("请求内容不是有效的 JSON。")) from exc


def _refuse_constant(name: str):
    # NaN and Infinity are not JSON (DRF's strict mode refuses them too).
    raise ValueError(f"{name} is not valid JSON")
