"""Forms of the floor-plan lines page (input only: origination.services.floorplan decides)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from autofin.fields import PlainDecimalField
from origination.models.floorplan import DEFAULT_CURTAILMENT_PLAN
from origination.services.floorplan import FloorplanLineError, curtailment_plan_parse

HUNDRED = Decimal("100")


def plan_text(plan: list) -> str:
    return ", ".join(f"{age}:{percent}" for age, percent in plan)


def rate_percent_text(rate: Decimal) -> str:
    """0.065 as "6.5" (no exponent, no trailing zeros)."""
    text = format((rate * HUNDRED).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".")


class LineTermsForm(forms.Form):
    limit = PlainDecimalField(
        label=_("授信额度（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    rate_percent = PlainDecimalField(
        label=_("年利率（%）"),
        max_digits=8,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal("99.9999"),
    )
    curtailment_plan = forms.CharField(
        label=_("还款计划（库龄天数：累计比例%）"),
        max_length=200,
        help_text=_("如 90:10, 120:30, 180:100：库龄 90 天还 10%，120 天累计 30%，180 天还清。"),
    )
    oem_buyback_agreement = forms.CharField(
        label=_("厂家三方回购协议编号"), max_length=64, required=False
    )
    oem_buyback_signed_on = forms.DateField(
        label=_("回购协议签署日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("审批意见"),
        max_length=500,
        required=False,
        help_text=_("额度高于建议额度时必填。"),
    )

    def clean_curtailment_plan(self):
        try:
            return curtailment_plan_parse(self.cleaned_data["curtailment_plan"])
        except FloorplanLineError as exc:
            raise forms.ValidationError(exc.message) from exc

    def terms(self) -> dict:
        d = self.cleaned_data
        return {
            "limit": d["limit"],
            # stored as a fraction; the form's four places of a percent are six of a fraction
            "annual_rate": (d["rate_percent"] / HUNDRED).quantize(
                Decimal("0.000001"), rounding=ROUND_HALF_UP
            ),
            "curtailment_plan": d["curtailment_plan"],
            "oem_buyback_agreement": d["oem_buyback_agreement"],
            "oem_buyback_signed_on": d["oem_buyback_signed_on"],
            "reason": d["reason"],
        }

    @classmethod
    def initial_for(cls, line=None, *, suggested: Decimal | None = None) -> dict:
        if line is None:
            return {
                "limit": suggested or None,
                "curtailment_plan": plan_text(DEFAULT_CURTAILMENT_PLAN),
            }
        return {
            "limit": line.limit,
            "rate_percent": rate_percent_text(line.annual_rate),
            "curtailment_plan": plan_text(line.curtailment_plan),
            "oem_buyback_agreement": line.oem_buyback_agreement,
            "oem_buyback_signed_on": line.oem_buyback_signed_on,
        }


class LineStatusForm(forms.Form):
    ACTIONS = (("freeze", _("冻结")), ("unfreeze", _("解冻")), ("close", _("关闭")))

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("原因"), max_length=500)
