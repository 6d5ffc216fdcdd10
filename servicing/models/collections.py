"""Delinquency state, daily snapshots, the GL summary, servicing tasks and collections (催收).

* `LoanDelinquency` — the loan's current days past due, bucket (M0–M7+), five-category
  classification and non-accrual flag, as of the last closed business date. One row per loan
  that is or was delinquent (a loan without a row is current: dpd 0, M0, normal).
* `LoanRiskProfile` — the loan's in-loan risk level, raised by early-warning hits.
* `LoanSnapshot` — one row per open loan per closed business date (balance, DPD, bucket): the
  source of vintage and roll-rate curves.
* `GlSummary` — per business date and ledger account: the day's debits and credits and the
  cumulative totals (the trial balance is their sum, which must be zero).
* `LoanTask` — work for people raised by the batch (early warning, collateral past deadline,
  insurance expiring, broken promise to pay); unique per (loan, kind, ref_date).
* `CollectionCase`, `PromiseToPay`, `ContactAttempt`, `CaseNote` — the collectors' work.
* `Recovery` — money received on a charged-off loan (recoveries income).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing import loan_rules
from servicing.models.loans import MONEY, Loan

BUCKETS = loan_rules.BUCKET_NAMES


class Classification(models.TextChoices):
    NORMAL = "normal", _("正常")
    SPECIAL_MENTION = "special_mention", _("关注")
    SUBSTANDARD = "substandard", _("次级")
    DOUBTFUL = "doubtful", _("可疑")
    LOSS = "loss", _("损失")


class RiskLevel(models.TextChoices):
    NONE = "none", _("无")
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


RISK_ORDER = ["none", "low", "medium", "high"]


class LoanDelinquency(models.Model):
    loan = models.OneToOneField(
        Loan, primary_key=True, on_delete=models.PROTECT, related_name="delinquency"
    )
    dpd = models.PositiveIntegerField(_("逾期天数"), default=0)
    bucket = models.CharField(_("账龄"), max_length=4, default="M0")
    classification = models.CharField(
        _("五级分类"), max_length=16, choices=Classification.choices, default=Classification.NORMAL
    )
    non_accrual = models.BooleanField(_("停止计息入收入"), default=False)
    oldest_due_date = models.DateField(_("最早未还期供日"), null=True, blank=True)
    max_dpd = models.PositiveIntegerField(_("历史最高逾期天数"), default=0)
    as_of = models.DateField(_("截至营业日"))

    class Meta:
        verbose_name = _("逾期状态")
        verbose_name_plural = _("逾期状态")
        indexes = [models.Index(fields=["bucket"], name="delinquency_bucket")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.bucket} dpd={self.dpd}"


class LoanRiskProfile(models.Model):
    loan = models.OneToOneField(
        Loan, primary_key=True, on_delete=models.PROTECT, related_name="risk_profile"
    )
    level = models.CharField(
        _("风险等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.NONE
    )
    facts_hash = models.CharField(max_length=64, blank=True)
    evaluated_on = models.DateField(_("评估营业日"), null=True, blank=True)
    raised_on = models.DateField(_("调高营业日"), null=True, blank=True)

    class Meta:
        verbose_name = _("贷中风险等级")
        verbose_name_plural = _("贷中风险等级")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.level}"


class LoanSnapshot(models.Model):
    business_date = models.DateField(_("营业日"))
    loan_id = models.BigIntegerField(_("贷款账户"))
    status = models.CharField(_("状态"), max_length=16)
    principal_outstanding = models.DecimalField(_("剩余本金"), **MONEY)
    dpd = models.PositiveIntegerField(_("逾期天数"))
    bucket = models.CharField(_("账龄"), max_length=4)
    classification = models.CharField(_("五级分类"), max_length=16)
    dealer_id = models.BigIntegerField(null=True, blank=True)
    vintage = models.DateField(_("放款月"))
    mob = models.PositiveSmallIntegerField(_("账龄月数"))

    class Meta:
        verbose_name = _("贷款日快照")
        verbose_name_plural = _("贷款日快照")
        constraints = [
            models.UniqueConstraint(fields=["business_date", "loan_id"], name="snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.loan_id} {self.bucket}"


class GlSummary(models.Model):
    business_date = models.DateField(_("营业日"))
    account_code = models.CharField(_("科目代码"), max_length=64)
    day_debit = models.DecimalField(_("本日借方"), max_digits=20, decimal_places=2)
    day_credit = models.DecimalField(_("本日贷方"), max_digits=20, decimal_places=2)
    total_debit = models.DecimalField(_("累计借方"), max_digits=20, decimal_places=2)
    total_credit = models.DecimalField(_("累计贷方"), max_digits=20, decimal_places=2)
    balance = models.DecimalField(_("余额（余额方向）"), max_digits=20, decimal_places=2)

    class Meta:
        verbose_name = _("总账汇总")
        verbose_name_plural = _("总账汇总")
        ordering = ["-business_date", "account_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_date", "account_code"], name="gl_summary_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.business_date} {self.account_code} {self.balance}"


class TaskKind(models.TextChoices):
    EARLY_WARNING = "early_warning", _("贷中预警")
    MORTGAGE_OVERDUE = "mortgage_overdue", _("抵押登记超期")
    GPS_OVERDUE = "gps_overdue", _("GPS 安装超期")
    INSURANCE_EXPIRING = "insurance_expiring", _("保险即将到期")
    PTP_BROKEN = "ptp_broken", _("承诺还款未兑现")
    # a lease's car to be registered in the lessor's name (or mortgaged to it) by ref_date
    LEASE_REGISTRATION = "lease_registration", _("租赁车辆登记")


class LoanTask(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DONE = "done", _("已处理")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(_("类型"), max_length=24, choices=TaskKind.choices)
    ref_date = models.DateField(_("相关日期"))
    business_date = models.DateField(_("生成营业日"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("贷后任务")
        verbose_name_plural = _("贷后任务")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "kind", "ref_date"], name="loan_task_unique")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.ref_date}"


class CollectionQueue(models.TextChoices):
    SOFT = "soft", _("M1 提醒与软催")
    CALL = "call", _("M2–M3 电话催收")
    FIELD_LEGAL = "field_legal", _("M4+ 外访与法务")


class CollectionCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("催收中")
        CLOSED = "closed", _("已结案")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="collection_cases")
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    queue = models.CharField(_("队列"), max_length=12, choices=CollectionQueue.choices)
    bucket = models.CharField(_("账龄"), max_length=4)
    dpd = models.PositiveIntegerField(_("逾期天数"))
    amount_overdue = models.DecimalField(_("逾期金额"), default=0, **MONEY)
    score = models.DecimalField(_("还款可能性"), max_digits=5, decimal_places=4, default=0)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催收员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collection_cases",
    )
    opened_on = models.DateField(_("立案营业日"))
    closed_on = models.DateField(_("结案营业日"), null=True, blank=True)
    close_reason = models.CharField(_("结案原因"), max_length=32, blank=True)
    requeued_on = models.DateField(_("重新排队营业日"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("催收案件")
        verbose_name_plural = _("催收案件")
        ordering = ["-score", "-dpd", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status="open"), name="collection_case_one_open"
            )
        ]
        indexes = [models.Index(fields=["status", "queue", "assigned_to"], name="case_queue")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.bucket} {self.status}"

    @property
    def likelihood_band(self) -> str:
        """The likelihood to pay as a band: "high", "medium" or "low" (LIKELIHOOD_BANDS)."""
        return next(code for floor, code, _label in LIKELIHOOD_BANDS if self.score >= floor)

    @property
    def likelihood_label(self) -> str:
        return next(str(lbl) for floor, _c, lbl in LIKELIHOOD_BANDS if self.score >= floor)


# The likelihood-to-pay bands collectors read (score from 0 to 1): from the floor up.
LIKELIHOOD_BANDS = (
    (Decimal("0.70"), "high", _("高")),
    (Decimal("0.40"), "medium", _("中")),
    (Decimal("0"), "low", _("低")),
)


class PromiseToPay(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待兑现")
        KEPT = "kept", _("已兑现")
        BROKEN = "broken", _("未兑现")

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="promises")
    promised_date = models.DateField(_("承诺还款日"))
    amount = models.DecimalField(_("承诺金额"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    made_on = models.DateField(_("承诺营业日"))
    checked_on = models.DateField(_("核对营业日"), null=True, blank=True)
    paid_amount = models.DecimalField(_("期间已还"), default=0, **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("承诺还款")
        verbose_name_plural = _("承诺还款")
        ordering = ["-promised_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ptp_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.promised_date} {self.amount}"


class ContactParty(models.TextChoices):
    BORROWER = "borrower", _("借款人本人")
    CO_APPLICANT = "co_applicant", _("共同借款人")
    GUARANTOR = "guarantor", _("担保人")
    THIRD_PARTY = "third_party", _("其他联系人")


class ContactOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", _("无人接听")
    PROMISE = "promise", _("承诺还款")
    REFUSED = "refused", _("拒绝还款")
    DISPUTE = "dispute", _("有异议")
    WRONG_NUMBER = "wrong_number", _("号码错误")
    CALLBACK_REQUESTED = "callback_requested", _("请其转告回电")
    PAID = "paid", _("已还款")
    OTHER = "other", _("其他")


class ContactAttempt(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", _("电话")
        SMS = "sms", _("短信")
        VISIT = "visit", _("外访")
        LETTER = "letter", _("信函")

    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="attempts")
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    party = models.CharField(_("联系对象"), max_length=16, choices=ContactParty.choices)
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices)
    outcome = models.CharField(_("结果"), max_length=20, choices=ContactOutcome.choices)
    # What was said. For anyone but the borrower the service stores only a callback request:
    # no amounts, no debt details (no disclosure to third parties).
    note = models.TextField(_("记录"), blank=True)
    discloses_debt = models.BooleanField(_("涉及欠款信息"), default=False)
    business_date = models.DateField(_("营业日"))
    at = models.DateTimeField(_("联系时间"))

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(party="borrower") | Q(discloses_debt=False),
                name="contact_no_third_party_disclosure",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.party} {self.outcome}"


class CaseNote(models.Model):
    case = models.ForeignKey(CollectionCase, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("备注"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("催收备注")
        verbose_name_plural = _("催收备注")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:40]


class Recovery(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="recoveries")
    amount = models.DecimalField(_("金额"), **MONEY)
    received_on = models.DateField(_("入账营业日"))
    idempotency_key = models.CharField(max_length=200, unique=True)
    journal_entry_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("核销后回收")
        verbose_name_plural = _("核销后回收")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_gt_0")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.amount}"


__all__ = [
    "BUCKETS",
    "RISK_ORDER",
    "CaseNote",
    "Classification",
    "CollectionCase",
    "CollectionQueue",
    "ContactAttempt",
    "ContactOutcome",
    "ContactParty",
    "GlSummary",
    "LoanDelinquency",
    "LoanRiskProfile",
    "LoanSnapshot",
    "LoanTask",
    "PromiseToPay",
    "Recovery",
    "RiskLevel",
    "TaskKind",
]
