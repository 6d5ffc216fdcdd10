"""Credit reporting out (征信报送): what we report to the credit reference center, account by
account, month by month, and what the center answered.

* `CreditReportBatch`: one per business date and kind (the month-end feed, or the day's
  events). Re-running a date finds the same batch.
* `CreditReportRecord`: one account record (个人借贷账户信息记录) with its basic segment, the
  month's performance and its status character. The monthly rows ARE the history the 24-month
  repayment status string is built from. A rejected record is never edited: a correction is a
  new row that `corrects` it (the history is kept). Originals are unique per loan, kind and
  report date, so a re-run writes nothing twice (partial unique index).
* `CreditReportNotice`: the customer was told before negative information was first reported
  (征信业管理条例 第15条). The database refuses a negative record past `held` without one.
* `CreditReportDispute`: a customer's dispute (异议, 第25条) of a reported record; the
  account's records are frozen until it is answered, due 20 days after it was raised.

Layout, codes and the status alphabet: docs/credit-reporting.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.loans import Loan

MONEY = {"max_digits": 18, "decimal_places": 2}


class CreditReportKind(models.TextChoices):
    MONTHLY = "monthly", _("月度报送")
    OPENING = "opening", _("开户")
    CLOSING = "closing", _("账户关闭")
    STATUS_CHANGE = "status_change", _("状态变更")
    COLLATERAL = "collateral", _("抵押物")


class CreditReportBatchKind(models.TextChoices):
    MONTHLY = "monthly", _("月度报送")
    EVENT = "event", _("事件报送")


class CreditReportStatus(models.TextChoices):
    HELD = "held", _("待告知客户")
    PENDING = "pending", _("待报送")
    ACCEPTED = "accepted", _("已接收")
    REJECTED = "rejected", _("被退回")
    CORRECTED = "corrected", _("已更正")


class CreditReportEvent(models.TextChoices):
    NONE = "", _("无")
    EARLY_SETTLEMENT = "early_settlement", _("提前结清")
    RESTRUCTURING = "restructuring", _("重组")
    CHARGE_OFF = "charge_off", _("核销")
    REPURCHASE = "repurchase", _("回购")


class CreditReportBatch(models.Model):
    kind = models.CharField(_("类型"), max_length=10, choices=CreditReportBatchKind.choices)
    business_date = models.DateField(_("营业日"))
    month = models.DateField(_("报送月份"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("征信报送批次")
        verbose_name_plural = _("征信报送批次")
        constraints = [
            models.UniqueConstraint(fields=["kind", "business_date"], name="creditbatch_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.business_date}"


class CreditReportNotice(models.Model):
    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="credit_notice")
    business_date = models.DateField(_("告知营业日"))
    message = models.ForeignKey(
        "autofin.OutboundMessage", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("告知时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("不良信息报送告知")
        verbose_name_plural = _("不良信息报送告知")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.business_date}"


class CreditReportRecord(models.Model):
    # Indexes: a million rows a month are inserted in one statement, so only those the reads
    # use exist (loan+kind+month, status, the two unique ones); batches and notices are never
    # deleted, so their foreign keys need none.
    batch = models.ForeignKey(
        CreditReportBatch, on_delete=models.PROTECT, related_name="records", db_index=False
    )
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="credit_records", db_index=False
    )
    kind = models.CharField(_("记录类型"), max_length=16, choices=CreditReportKind.choices)
    month = models.DateField(_("报送月份"))
    report_date = models.DateField(_("数据报告日"))
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        db_index=False,  # the unique constraint below indexes it
    )
    # basic segment (基础段、基本信息段)
    account_id = models.CharField(_("账户标识码"), max_length=64)
    business_type = models.CharField(_("借贷业务种类"), max_length=4)
    name = models.CharField(_("借款人姓名"), max_length=50)
    id_type = models.CharField(_("证件类型"), max_length=2, default="10")
    id_number_enc = models.TextField(_("证件号码（加密）"))
    open_date = models.DateField(_("开户日期"))
    due_date = models.DateField(_("到期日期"))
    amount = models.DecimalField(_("借款金额"), **MONEY)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    term_months = models.PositiveSmallIntegerField(_("还款期数"))
    repayment_method = models.CharField(_("还款方式"), max_length=2)
    guarantee_type = models.CharField(_("担保方式"), max_length=1)
    # performance segment (月度表现信息段)
    balance = models.DecimalField(_("余额"), **MONEY)
    amount_due = models.DecimalField(_("本月应还款"), **MONEY)
    amount_paid = models.DecimalField(_("本月实还款"), **MONEY)
    overdue_periods = models.PositiveSmallIntegerField(_("当前逾期期数"))
    overdue_amount = models.DecimalField(_("当前逾期总额"), **MONEY)
    five_category = models.CharField(_("五级分类"), max_length=1, blank=True)
    status_char = models.CharField(_("当月还款状态"), max_length=1)
    status_24m = models.CharField(_("24 个月还款状态"), max_length=24)
    # special event (特殊交易/特定事件), related persons (相关还款责任人), collateral (抵质押物)
    event = models.CharField(
        _("特殊事件"), max_length=20, choices=CreditReportEvent.choices, blank=True
    )
    related = models.JSONField(_("相关还款责任人"), default=list, blank=True)
    collateral = models.JSONField(_("抵押物信息"), default=dict, blank=True)
    # the exchange with the center
    status = models.CharField(_("状态"), max_length=10, choices=CreditReportStatus.choices)
    notice = models.ForeignKey(
        CreditReportNotice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    feedback_code = models.CharField(_("反馈代码"), max_length=10, blank=True)
    feedback_message = models.CharField(_("反馈信息"), max_length=255, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("征信报送记录")
        verbose_name_plural = _("征信报送记录")
        indexes = [
            models.Index(fields=["loan", "kind", "month"], name="creditrecord_loan_month"),
            models.Index(fields=["status"], name="creditrecord_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "kind", "report_date"],
                condition=Q(corrects__isnull=True),
                name="creditrecord_once",
            ),
            # a rejected record is corrected once; further fixes correct the correction
            models.UniqueConstraint(fields=["corrects"], name="creditrecord_one_correction"),
            # 第15条: no negative record leaves without the customer having been told first
            models.CheckConstraint(
                condition=Q(overdue_periods=0) | Q(status="held") | Q(notice__isnull=False),
                name="creditrecord_negative_after_notice",
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0, amount_due__gte=0, amount_paid__gte=0)
                & Q(overdue_amount__gte=0, amount__gt=0),
                name="creditrecord_amounts",
            ),
            models.CheckConstraint(
                condition=Q(status_char__regex=r"^[N1-7CB*/]$")
                & Q(status_24m__regex=r"^[N1-7CB*/]{24}$"),
                name="creditrecord_status_alphabet",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.report_date}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("处理中")
    ANSWERED = "answered", _("已答复")


class DisputeOutcome(models.TextChoices):
    CORRECTED = "corrected", _("已更正")
    UPHELD = "upheld", _("维持原报送")


class CreditReportDispute(models.Model):
    record = models.ForeignKey(
        CreditReportRecord, on_delete=models.PROTECT, related_name="disputes"
    )
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="credit_disputes")
    raised_on = models.DateField(_("受理营业日"))
    due_on = models.DateField(_("答复期限"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("异议内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    outcome = models.CharField(
        _("处理结果"), max_length=10, choices=DisputeOutcome.choices, blank=True
    )
    answer = models.TextField(_("答复"), blank=True)
    answered_on = models.DateField(_("答复营业日"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    correction = models.ForeignKey(
        CreditReportRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("征信异议")
        verbose_name_plural = _("征信异议")
        constraints = [
            # one open dispute per account at a time: the freeze has one owner
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status="open"), name="creditdispute_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status="open", outcome="", answered_on__isnull=True)
                | Q(status="answered", answered_on__isnull=False, answered_by__isnull=False)
                & ~Q(outcome="")
                & (Q(outcome="upheld") | Q(correction__isnull=False)),
                name="creditdispute_answered_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.raised_on} {self.status}"


__all__ = [
    "CreditReportBatch",
    "CreditReportBatchKind",
    "CreditReportDispute",
    "CreditReportEvent",
    "CreditReportKind",
    "CreditReportNotice",
    "CreditReportRecord",
    "CreditReportStatus",
    "DisputeOutcome",
    "DisputeStatus",
]
