"""The bureau query log's filter: purpose and a date range (Beijing dates)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from risk.models import BureauQuery


class BureauQueryFilterForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("查询原因"),
        required=False,
        choices=[("", _("全部")), *BureauQuery.Purpose.choices],
    )
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return data
