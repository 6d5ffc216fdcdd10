"""Forms of the marketing pages: a segment's name (its rules come from the builder's rows) and
a campaign."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.widgets import UserDataSelect
from servicing.models.marketing import Campaign, Segment


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description"]


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name", "segment", "offer_kind", "channel", "message", "starts_at", "ends_at",
            "holdout_percent",
        ]  # fmt: skip
        widgets = {
            "segment": UserDataSelect,  # segment names are typed by marketing, not translated
            "message": forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "holdout_percent": forms.NumberInput(attrs={"min": 0, "max": 50}),
        }
        help_texts = {
            "holdout_percent": _("随机留出、不发送的客户比例（0–50），用于衡量活动的真实增量。"),
            "ends_at": _("不填则按系统设置的归因天数计算。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(computed_at__isnull=False)
        self.fields["segment"].empty_label = _("请选择客群")
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def clean_holdout_percent(self):
        value = self.cleaned_data["holdout_percent"]
        if not 0 <= value <= 50:
            raise forms.ValidationError(_("对照组比例须在 0 至 50 之间。"))
        return value

    def clean(self):
        data = super().clean()
        if data.get("ends_at") and data.get("starts_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("结束时间须晚于开始时间。"))
        return data
