"""One date format everywhere: ISO 2026-12-07 (autofin/formats), also where a template prints a
date without a format, in Chinese and in English (it was 2026年12月7日 / Dec. 7, 2026)."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.utils import translation


def test_dates_printed_without_a_format_are_iso_in_both_languages():
    template = Template("{{ d }}|{{ t }}|{{ d|date }}|{{ t|date:'SHORT_DATETIME_FORMAT' }}")
    context = Context({"d": dt.date(2026, 12, 7), "t": dt.datetime(2026, 12, 7, 9, 5)})
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert template.render(context) == (
                "2026-12-07|2026-12-07 09:05|2026-12-07|2026-12-07 09:05"
            ), language
