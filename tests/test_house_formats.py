"""House formats set once: ISO dates everywhere (autofin/formats), also where a template prints
a date without a format, in Chinese and in English (it was 2026年12月7日 / Dec. 7, 2026); form
labels ending in "：" on Chinese pages (autofin.forms.HouseFormRenderer; Django printed "类型:")."""

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


def test_form_labels_end_in_a_full_width_colon_on_chinese_pages():
    from django import forms

    class Form(forms.Form):
        kind = forms.CharField(label="类型")
        plain = forms.CharField(label="名称", label_suffix="")  # a form's own choice stays

    with translation.override("zh-hans"):
        html = Form().as_div()
        assert ">类型：</label>" in html and ">名称</label>" in html and "类型:" not in html
    with translation.override("en"):
        assert ">类型:</label>" in Form().as_div()
