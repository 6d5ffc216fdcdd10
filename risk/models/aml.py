"""Anti-money laundering in risk: the one watch-list store, screening hits and customer risk
ratings. Risk reads no other app: a screened person arrives as plain values (name, ID keyed hash,
birth date) under a subject reference (an application's reference)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CustomerRiskRating",
    "RiskLevel",
    "ScreeningHit",
    "ScreeningSubject",
    "WatchListEntry",
    "WatchListLoad",
    "WatchListType",
]


class WatchListType(models.TextChoices):
    SANCTIONS = "sanctions", _("制裁名单")
    PEP = "pep", _("政治公众人物")
    INTERNAL = "internal", _("内部名单")
    COURT_ENFORCEMENT = "court_enforcement", _("被执行人")
    DISHONEST_DEBTOR = "dishonest_debtor", _("失信被执行人")


class WatchListLoad(models.Model):
    """One load of a list file; a load that added or changed entries makes the nightly task
    screen the whole book again (`screened_at` is set when it has)."""

    source = models.CharField(_("来源"), max_length=100)
    file_name = models.CharField(_("文件"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    added = models.PositiveIntegerField(_("新增"), default=0)
    changed = models.PositiveIntegerField(_("变更"), default=0)
    removed = models.PositiveIntegerField(_("停用"), default=0)
    loaded_by = models.CharField(_("导入人"), max_length=150)
    loaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    screened_at = models.DateTimeField(_("全量复筛时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名单导入")
        verbose_name_plural = _("名单导入")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name}"


class WatchListEntry(models.Model):
    """A person on a list. The ID number is kept only as its keyed hash (autofin.crypto);
    `name_keys` are the normalised forms screening compares (risk.name_matching)."""

    list_type = models.CharField(_("名单类型"), max_length=20, choices=WatchListType.choices)
    source = models.CharField(_("来源"), max_length=100)
    external_ref = models.CharField(_("名单编号"), max_length=100)
    name = models.CharField(_("姓名"), max_length=100)
    name_variants = models.JSONField(_("别名与拼写"), default=list, blank=True)
    name_keys = models.JSONField(_("匹配键"), default=list, blank=True)
    id_hash = models.CharField(_("身份证号哈希"), max_length=64, blank=True, db_index=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    load = models.ForeignKey(
        WatchListLoad, verbose_name=_("导入批次"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        ordering = ["list_type", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"], name="risk_watchlist_one_per_source_ref"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_list_type_display()} {self.name}"


class ScreeningSubject(models.Model):
    """A person risk has screened, kept so the whole book can be screened again when a list
    changes (risk cannot read origination's applicants)."""

    subject_ref = models.CharField(_("申请编号"), max_length=64, unique=True)
    name = models.CharField(_("姓名"), max_length=100)
    name_keys = models.JSONField(_("匹配键"), default=list)
    id_hash = models.CharField(_("身份证号哈希"), max_length=64, blank=True, db_index=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    screened_at = models.DateTimeField(_("最近筛查时间"))

    class Meta:
        verbose_name = _("筛查对象")
        verbose_name_plural = _("筛查对象")

    def __str__(self) -> str:
        return self.subject_ref


class ScreeningHit(models.Model):
    """A subject scored at or above the threshold against a list entry: a compliance case.
    Open and confirmed hits block funding; a cleared hit (a false positive) does not."""

    class Status(models.TextChoices):
        OPEN = "open", _("待核查")
        CONFIRMED = "confirmed", _("确认命中")
        CLEARED = "cleared", _("已排除（误报）")

    subject_ref = models.CharField(_("申请编号"), max_length=64, db_index=True)
    subject_name = models.CharField(_("客户姓名"), max_length=100)
    entry = models.ForeignKey(
        WatchListEntry, verbose_name=_("名单条目"), on_delete=models.PROTECT, related_name="hits"
    )
    score = models.PositiveSmallIntegerField(_("匹配分"))
    threshold = models.PositiveSmallIntegerField(_("阈值"))
    explanation = models.JSONField(_("匹配说明"), default=list, encoder=DjangoJSONEncoder)
    trigger = models.CharField(_("触发"), max_length=20)  # "application" or "rescreen"
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    decision_reason = models.TextField(_("处理意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("命中时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("名单命中")
        verbose_name_plural = _("名单命中")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_ref", "entry"], name="risk_screeninghit_one_per_subject_entry"
            ),
            # a decided hit names who decided and why (a clearance is a judgement on record)
            models.CheckConstraint(
                condition=Q(status="open") | (Q(decided_by__isnull=False) & ~Q(decision_reason="")),
                name="risk_screeninghit_decision_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_ref} ~ {self.entry_id}"


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class CustomerRiskRating(models.Model):
    """A customer's money-laundering risk rating (客户洗钱风险等级), append-only: a re-rating
    after a change is a new row; the latest row per subject is the rating in force."""

    subject_ref = models.CharField(_("申请编号"), max_length=64, db_index=True)
    id_hash = models.CharField(_("身份证号哈希"), max_length=64, blank=True, db_index=True)
    level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices)
    points = models.PositiveSmallIntegerField(_("分值"))
    reasons = models.JSONField(_("评级理由"), default=list, encoder=DjangoJSONEncoder)
    inputs = models.JSONField(_("评级要素"), default=dict, encoder=DjangoJSONEncoder)
    rated_by = models.CharField(_("评级人"), max_length=150)
    rated_at = models.DateTimeField(_("评级时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户风险等级")
        verbose_name_plural = _("客户风险等级")
        ordering = ["-rated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject_ref}: {self.level}"
