"""Telematics (车辆 GPS) and the early-warning actions (预警处置).

A GPS provider pushes positions and events for a VIN to a signed webhook
(servicing.api.telematics); they are kept only for a loan whose application holds an active
`location` consent (行踪轨迹 is sensitive personal information, PIPL art. 28–29).
`VehiclePosition` is the latest position per VIN; `TelematicsEvent` the history, unique by the
provider's event id (a redelivery stores nothing twice), position pings pruned after
settings.TELEMATICS_HISTORY_DAYS by the nightly batch.

`EarlyWarningAction` is a suggested action (call, visit, GPS check, freeze top-up offers, early
collection) opened for an early-warning hit, owned by a role's queue with a due date; one open
action per loan, rule and action (the database refuses a second).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from autofin.roles import ROLE_LABELS
from servicing.models.loans import Loan

__all__ = [
    "EarlyWarningAction",
    "EventKind",
    "PlaceKind",
    "TelematicsEvent",
    "VehiclePosition",
    "WarningActionKind",
]

COORD = {"max_digits": 9, "decimal_places": 6}


class EventKind(models.TextChoices):
    POSITION = "position", _("定位")
    OFFLINE = "offline", _("设备离线")
    TAMPER = "tamper", _("设备拆除或破坏")
    GEOFENCE_EXIT = "geofence_exit", _("驶出电子围栏")
    LONG_STAY = "long_stay", _("敏感地点长时间停留")


class PlaceKind(models.TextChoices):
    SCRAP_YARD = "scrap_yard", _("报废车场")
    USED_CAR_MARKET = "used_car_market", _("二手车市场")
    BORDER_CITY = "border_city", _("边境城市")


class VehiclePosition(models.Model):
    """The latest known position of one VIN (only a newer report moves it)."""

    vin = models.CharField(_("车架号"), max_length=17, unique=True)
    loan = models.ForeignKey(
        Loan, verbose_name=_("贷款"), on_delete=models.PROTECT, related_name="+"
    )
    latitude = models.DecimalField(_("纬度"), **COORD)
    longitude = models.DecimalField(_("经度"), **COORD)
    place_name = models.CharField(_("位置"), max_length=120, blank=True)
    recorded_at = models.DateTimeField(_("定位时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now=True)

    class Meta:
        verbose_name = _("车辆最新位置")
        verbose_name_plural = _("车辆最新位置")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="vehicle_position_coordinates",
            )
        ]

    def __str__(self) -> str:
        return self.vin


class TelematicsEvent(models.Model):
    event_id = models.CharField(_("事件编号"), max_length=64, unique=True)
    vin = models.CharField(_("车架号"), max_length=17, db_index=True)
    loan = models.ForeignKey(
        Loan, verbose_name=_("贷款"), on_delete=models.PROTECT, related_name="telematics_events"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("发生时间"), db_index=True)
    latitude = models.DecimalField(_("纬度"), null=True, blank=True, **COORD)
    longitude = models.DecimalField(_("经度"), null=True, blank=True, **COORD)
    place_kind = models.CharField(
        _("地点类型"), max_length=16, choices=PlaceKind.choices, blank=True
    )
    place_name = models.CharField(_("位置"), max_length=120, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("车辆 GPS 事件")
        verbose_name_plural = _("车辆 GPS 事件")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["loan", "kind", "occurred_at"], name="telematics_loan_kind")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="long_stay") | ~Q(place_kind=""), name="telematics_stay_place"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vin} {self.kind} {self.event_id}"


class WarningActionKind(models.TextChoices):
    CALL = "call", _("电话核实")
    VISIT = "visit", _("上门走访")
    GPS_CHECK = "gps_check", _("核查 GPS 设备与车辆位置")
    FREEZE_TOP_UP = "freeze_top_up", _("冻结增贷与加购营销")
    EARLY_COLLECTION = "early_collection", _("提前介入催收")


class EarlyWarningAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DONE = "done", _("已处理")

    loan = models.ForeignKey(
        Loan, verbose_name=_("贷款"), on_delete=models.PROTECT, related_name="warning_actions"
    )
    rule_code = models.CharField(_("预警规则"), max_length=40)
    hit_id = models.BigIntegerField(_("预警记录"))  # risk.EarlyWarningHit (risk keeps no FK)
    action = models.CharField(_("建议措施"), max_length=20, choices=WarningActionKind.choices)
    owner = models.CharField(_("负责队列"), max_length=24)  # an autofin.roles.Role value
    due_date = models.DateField(_("完成期限"))
    business_date = models.DateField(_("生成营业日"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("预警处置措施")
        verbose_name_plural = _("预警处置措施")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "rule_code", "action"],
                condition=Q(status="open"),
                name="warning_action_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True, closed_by__isnull=True)
                | (
                    Q(status="done", closed_at__isnull=False, closed_by__isnull=False)
                    & ~Q(outcome="")
                ),
                name="warning_action_closed_with_outcome",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("business_date")), name="warning_action_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.rule_code} {self.action}"

    @property
    def owner_label(self) -> str:
        return str(ROLE_LABELS.get(self.owner, self.owner))
