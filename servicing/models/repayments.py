"""Repayments (还款) from the three sources, how each was allocated, online payment orders and
auto-debit (代扣) batches.

Idempotency is held by the database: a repayment's `idempotency_key`, a payment order's
`provider_ref` and `idempotency_key`, an auto-debit item's `instruction_ref` are unique, so a
replayed request or callback finds the first result instead of posting again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicing.models.loans import MONEY, Loan, LoanScheduleRow, PayoffQuoteRecord


class RepaymentSource(models.TextChoices):
    ONLINE = "online", _("在线支付")
    AUTO_DEBIT = "auto_debit", _("代扣")
    MANUAL = "manual", _("人工入账")
    # internal: money already held in the loan's suspense (溢缴款) applied to instalments
    SUSPENSE = "suspense", _("溢缴款冲抵")


class RepaymentPurpose(models.TextChoices):
    INSTALMENT = "instalment", _("期供还款")
    PAYOFF = "payoff", _("提前结清")
    PREPAYMENT = "prepayment", _("部分提前还款")
    # an online payment of a renewal premium, paid on to the insurer (never to the loan)
    INSURANCE_PREMIUM = "ins_premium", _("续保保费")


class PaymentChannel(models.TextChoices):
    """How the money reached the lender, as anti-money laundering reads it (大额交易标准)."""

    TRANSFER = "transfer", _("境内转账")
    CASH = "cash", _("现金")
    CROSS_BORDER = "cross_border", _("跨境汇款")


class RepaymentStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("待复核")
    POSTED = "posted", _("已入账")
    REVERSED = "reversed", _("已冲正")
    REJECTED = "rejected", _("已驳回")


class Repayment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    source = models.CharField(_("来源"), max_length=12, choices=RepaymentSource.choices)
    purpose = models.CharField(
        _("用途"),
        max_length=12,
        choices=RepaymentPurpose.choices,
        default=RepaymentPurpose.INSTALMENT,
    )
    amount = models.DecimalField(_("金额"), **MONEY)
    received_on = models.DateField(_("入账营业日"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=RepaymentStatus.choices)
    # unique per source: the provider's / bank's reference for this money
    external_ref = models.CharField(_("外部流水号"), max_length=100, null=True, blank=True)
    idempotency_key = models.CharField(
        _("幂等键"), max_length=200, null=True, blank=True, unique=True
    )
    suspense_amount = models.DecimalField(_("转入溢缴款"), default=0, **MONEY)
    payoff_quote = models.ForeignKey(
        PayoffQuoteRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prepayment_option = models.CharField(_("提前还款方式"), max_length=20, blank=True)
    prepay_amount = models.DecimalField(_("提前还本金额"), null=True, blank=True, **MONEY)
    # db_default too: a set-based path that inserts repayments in SQL need not name them
    payment_channel = models.CharField(
        _("资金渠道"),
        max_length=12,
        choices=PaymentChannel.choices,
        default=PaymentChannel.TRANSFER,
        db_default=PaymentChannel.TRANSFER,
    )
    # keyed hash of the account the money came from, when known and not the borrower's own
    # registered account (online and auto-debit money comes from that one)
    payer_account_hash = models.CharField(
        _("付款账户哈希"), max_length=64, blank=True, default="", db_default=""
    )
    evidence = models.TextField(_("入账凭证说明"), blank=True)
    evidence_ref = models.CharField(_("凭证附件"), max_length=255, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    journal_entry_id = models.BigIntegerField(_("入账分录"), null=True, blank=True)
    reversal_entry_id = models.BigIntegerField(_("冲正分录"), null=True, blank=True)
    reversal_reason = models.CharField(_("冲正原因"), max_length=255, blank=True)
    reversed_on = models.DateField(_("冲正营业日"), null=True, blank=True)
    # what the payment fixed on the loan besides allocations (partial prepayment / settlement)
    effects = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("还款")
        verbose_name_plural = _("还款")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="repayment_external_ref_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("prepared_by")),
                name="repayment_maker_is_not_checker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.amount} ({self.loan_id})"


class Component(models.TextChoices):
    PENALTY = "penalty", _("罚息")
    FEE = "fee", _("费用")
    INTEREST = "interest", _("利息")
    PRINCIPAL = "principal", _("本金")
    SUSPENSE = "suspense", _("溢缴款")


class RepaymentAllocation(models.Model):
    """How much of a repayment went to one component of one row (or to suspense)."""

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="allocations")
    row = models.ForeignKey(
        LoanScheduleRow,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        # hash-partitioned schedule rows: a guard trigger, not a foreign key (migration 0038)
        db_constraint=False,
    )
    component = models.CharField(_("科目"), max_length=10, choices=Component.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    # the row's status before this repayment (a reversal restores it)
    row_status_before = models.CharField(max_length=16, blank=True)
    row_paid_on_before = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("还款分配")
        verbose_name_plural = _("还款分配")
        ordering = ["repayment_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.component} {self.amount}"


class PaymentOrderStatus(models.TextChoices):
    CREATED = "created", _("待支付")
    PAID = "paid", _("已支付")
    FAILED = "failed", _("支付失败")
    # the callback's amount did not match the order: the money waits in suspense for a person
    HELD = "held", _("待核实")


class PaymentOrder(models.Model):
    """An online payment the customer started (支付订单); the provider calls back when paid."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payment_orders")
    amount = models.DecimalField(_("金额"), **MONEY)
    purpose = models.CharField(
        max_length=12, choices=RepaymentPurpose.choices, default=RepaymentPurpose.INSTALMENT
    )
    payoff_quote = models.ForeignKey(
        PayoffQuoteRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prepayment_option = models.CharField(max_length=20, blank=True)
    prepay_amount = models.DecimalField(null=True, blank=True, **MONEY)
    provider = models.CharField(_("支付渠道"), max_length=40)
    # empty until the provider answers: the order row claims the idempotency key first
    provider_ref = models.CharField(
        _("渠道订单号"), max_length=100, unique=True, null=True, blank=True
    )
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=10, choices=PaymentOrderStatus.choices, default=PaymentOrderStatus.CREATED
    )
    repayment = models.OneToOneField(
        Repayment, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_order"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    callback_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("在线支付订单")
        verbose_name_plural = _("在线支付订单")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_order_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(status="created") | Q(provider_ref__isnull=False),
                name="payment_order_ref_once_past_created",
            ),
        ]

    def __str__(self) -> str:
        return self.provider_ref or f"#{self.pk}"


class PaymentAlertKind(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", _("回调金额与订单金额不符")
    AFTER_FINAL_STATE = "after_final_state", _("订单已终结后又收到回调")


class PaymentAlert(models.Model):
    """A callback the handler would not act on by itself: an ops task for finance. Money the
    provider says it received is parked in unidentified receipts (待查明款项, `parked_entry_id`),
    never allocated to the loan, until a person decides."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        RESOLVED = "resolved", _("已处理")

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("类型"), max_length=20, choices=PaymentAlertKind.choices)
    order_status = models.CharField(_("订单状态"), max_length=10)
    callback_status = models.CharField(_("回调状态"), max_length=20, blank=True)
    order_amount = models.DecimalField(_("订单金额"), **MONEY)
    claimed_amount = models.DecimalField(_("回调金额"), null=True, blank=True, **MONEY)
    payload = models.JSONField(_("回调内容"), default=dict)
    parked_entry_id = models.BigIntegerField(_("挂账分录"), null=True, blank=True)
    status = models.CharField(
        _("处理状态"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("支付回调告警")
        verbose_name_plural = _("支付回调告警")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class ReversalStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    APPROVED = "approved", _("已冲正")
    REJECTED = "rejected", _("已驳回")


class RepaymentReversal(models.Model):
    """A person's request to reverse a posted repayment (冲正), maker-checked: another person
    approves (which reverses it) or rejects. The database refuses the requester as checker and
    a second open request on one repayment."""

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="reversals")
    reason = models.CharField(_("冲正原因"), max_length=255)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReversalStatus.choices, default=ReversalStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.CharField(_("复核意见"), max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("冲正申请")
        verbose_name_plural = _("冲正申请")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="reversal_maker_is_not_checker",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False)),
                name="reversal_decided_has_checker",
            ),
            models.UniqueConstraint(
                fields=["repayment"],
                condition=Q(status="pending"),
                name="reversal_one_pending_per_repayment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repayment_id} {self.status}"


class AutoDebitBatch(models.Model):
    business_date = models.DateField(_("营业日"), unique=True)
    file_name = models.CharField(max_length=100)
    content = models.TextField(_("代扣文件"))
    results_applied = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("代扣批次")
        verbose_name_plural = _("代扣批次")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return self.file_name


class AutoDebitItem(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("待回盘")
        SUCCESS = "success", _("扣款成功")
        FAILED = "failed", _("扣款失败")

    batch = models.ForeignKey(AutoDebitBatch, on_delete=models.PROTECT, related_name="items")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("金额"), **MONEY)
    instruction_ref = models.CharField(max_length=64, unique=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PENDING)
    failure_reason = models.CharField(max_length=100, blank=True)
    repayment = models.OneToOneField(
        Repayment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("代扣明细")
        verbose_name_plural = _("代扣明细")
        ordering = ["batch_id", "id"]

    def __str__(self) -> str:
        return self.instruction_ref


__all__ = [
    "AutoDebitBatch",
    "AutoDebitItem",
    "Component",
    "PaymentAlert",
    "PaymentAlertKind",
    "PaymentChannel",
    "PaymentOrder",
    "PaymentOrderStatus",
    "Repayment",
    "RepaymentAllocation",
    "RepaymentReversal",
    "ReversalStatus",
    "RepaymentPurpose",
    "RepaymentSource",
    "RepaymentStatus",
]
