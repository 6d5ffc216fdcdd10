"""Forms of the stock audit pages (盘库): scheduling an audit, recording one car."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.widgets import UserDataSelect
from origination.models.floorplan import FloorplanLine, FloorplanLineStatus
from servicing.models.stock_audits import StockAuditKind


class LineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FloorplanLine) -> str:
        return obj.dealer.legal_name


class AuditScheduleForm(forms.Form):
    line = LineChoiceField(
        label=_("经销商"),
        queryset=FloorplanLine.objects.exclude(status=FloorplanLineStatus.CLOSED)
        .select_related("dealer")
        .order_by("dealer__legal_name"),
        empty_label=None,
        widget=UserDataSelect,
    )
    kind = forms.ChoiceField(label=_("类型"), choices=StockAuditKind.choices)
    scheduled_on = forms.DateField(
        label=_("计划盘库日"), widget=forms.DateInput(attrs={"type": "date"})
    )


class AuditItemForm(forms.Form):
    seen = forms.TypedChoiceField(
        label=_("在库情况"),
        choices=[("1", _("在库")), ("0", _("不在库"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    photo = forms.FileField(
        label=_("车辆照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    note = forms.CharField(label=_("说明"), max_length=255, required=False)
