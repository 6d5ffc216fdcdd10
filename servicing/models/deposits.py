"""Dealer deposits (保证金) on the books: the calls for them, the movements of the deposit
sub-ledger (opening balances, receipts, refunds), and the maker-checked refunds.

The sub-ledger is `DepositMovement`: one row per posted entry on `dealer_deposit`, signed
(+ held more, - paid back), so a dealer's held deposit is the sum of its rows and equals the
dealer's credit balance on the account, to the fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicing.models.outgoing import OutgoingPayment

MONEY = {"max_digits": 18, "decimal_places": 2}


class DepositCallReason(models.TextChoices):
    AGREEMENT_START = "agreement_start", _("协议生效")
    GRADE_DROP = "grade_drop", _("评级下调补缴")


class DepositCallStatus(models.TextChoices):
    OPEN = "open", _("待缴")
    RECEIVED = "received", _("已缴足")


class DepositCall(models.Model):
    """A demand that the dealer bring its deposit up to `required` (the policy's amount for its
    grade): `amount` is the shortfall on the day of the call, `received` what came in since."""

    # Plain ids: the dealer and its agreement live in the dealers app.
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    dealer_name = models.CharField(_("经销商名称"), max_length=200)
    # What raised it, once: "agreement-<id>" or "grade-<dealer>-<date>".
    source_key = models.CharField(_("来源"), max_length=64, unique=True)
    reason = models.CharField(_("原因"), max_length=20, choices=DepositCallReason.choices)
    grade = models.CharField(_("渠道评级"), max_length=1, blank=True)
    required = models.DecimalField(_("应缴保证金"), **MONEY)
    amount = models.DecimalField(_("本次应补"), **MONEY)
    received = models.DecimalField(_("已到账"), default=0, **MONEY)
    status = models.CharField(
        _("状态"), max_length=10, choices=DepositCallStatus.choices, db_index=True
    )
    called_on = models.DateField(_("通知日"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保证金缴纳通知")
        verbose_name_plural = _("保证金缴纳通知")
        ordering = ["-called_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(received__gte=0)
                & Q(received__lte=F("amount"))
                & Q(required__gte=F("amount")),
                name="deposit_call_figures",
            ),
            models.CheckConstraint(
                condition=Q(status="open", received__lt=F("amount"))
                | Q(status="received", received=F("amount")),
                name="deposit_call_status_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_name} {self.amount}"


class DepositMovementKind(models.TextChoices):
    OPENING = "opening", _("期初余额")
    RECEIPT = "receipt", _("缴纳到账")
    REFUND = "refund", _("退还")
    SET_OFF = "set_off", _("抵扣经销商欠款")
    COMMISSION = "commission", _("返佣抵缴")


class DepositMovement(models.Model):
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DepositMovementKind.choices)
    # Once per document: "agreement-<id>", the bank's reference, "refund-<id>",
    # "repurchase-<id>" (a debt of the dealer's set against its deposit).
    reference = models.CharField(_("凭证"), max_length=80)
    amount = models.DecimalField(_("金额（正为收取，负为退还）"), **MONEY)
    on = models.DateField(_("营业日"))
    journal_entry_id = models.BigIntegerField(_("分录"), unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保证金明细")
        verbose_name_plural = _("保证金明细")
        ordering = ["-on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="deposit_movement_once"),
            models.CheckConstraint(
                condition=(Q(kind__in=["refund", "set_off"]) & Q(amount__lt=0))
                | (~Q(kind__in=["refund", "set_off"]) & Q(amount__gt=0)),
                name="deposit_movement_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.kind} {self.amount}"


class DepositRefundStatus(models.TextChoices):
    PREPARED = "prepared", _("待复核")
    RELEASED = "released", _("付款中")
    PAID = "paid", _("已退还")
    FAILED = "failed", _("付款失败")
    REJECTED = "rejected", _("已驳回")


class DepositRefund(OutgoingPayment):
    """Paying back deposit the dealer no longer needs to hold (a better grade, an agreement
    ended): prepared by a finance maker to the dealer's verified settlement account, released
    by a checker who is not the maker, paid through the bank under an idempotency key."""

    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    dealer_name = models.CharField(_("经销商名称"), max_length=200)
    amount = models.DecimalField(_("退还金额"), **MONEY)
    reason = models.CharField(_("退还原因"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=DepositRefundStatus.choices, db_index=True
    )
    account_id = models.BigIntegerField(_("结算账户"))
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_enc = models.TextField()
    account_number_masked = models.CharField(_("账号"), max_length=40)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The key's fate at the bank, as every outgoing payment records it (services.outgoing).
    paid_on = models.DateField(_("付款日"), null=True, blank=True)
    journal_entry_id = models.BigIntegerField(_("付款分录"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("保证金退还")
        verbose_name_plural = _("保证金退还")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_refund_positive"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="deposit_refund_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["released", "paid", "failed"])
                | (Q(approved_by__isnull=False) & Q(idempotency_key__isnull=False)),
                name="deposit_refund_released_is_approved",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | (Q(paid_on__isnull=False) & Q(journal_entry_id__isnull=False) & ~Q(bank_ref="")),
                name="deposit_refund_paid_is_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_name} {self.amount}"


class DepositPaymentOrder(models.Model):
    """A dealer paying its deposit through the payment provider's collection (收银台): the
    order claims its idempotency key before the provider is called; the provider's verified
    callback posts the ORDER's amount once (a receipt movement under the provider's reference),
    and a callback for another amount holds the order for a person, posting nothing."""

    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    amount = models.DecimalField(_("金额"), **MONEY)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=[
            ("created", _("待支付")),
            ("paid", _("已支付")),
            ("failed", _("支付失败")),
            ("held", _("待核实")),
        ],
        default="created",
    )
    provider = models.CharField(_("支付机构"), max_length=40)
    provider_ref = models.CharField(
        _("支付机构单号"), max_length=64, unique=True, null=True, blank=True
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=80, unique=True)
    claimed_amount = models.DecimalField(_("回调金额"), null=True, blank=True, **MONEY)
    movement = models.OneToOneField(
        DepositMovement,
        verbose_name=_("保证金明细"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    callback_count = models.PositiveIntegerField(_("回调次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保证金在线缴纳")
        verbose_name_plural = _("保证金在线缴纳")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_order_positive"),
            models.CheckConstraint(
                condition=(Q(status="paid") & Q(movement__isnull=False))
                | (~Q(status="paid") & Q(movement__isnull=True)),
                name="deposit_order_paid_is_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.amount} {self.status}"


__all__ = [
    "DepositCall",
    "DepositCallReason",
    "DepositCallStatus",
    "DepositMovement",
    "DepositMovementKind",
    "DepositPaymentOrder",
    "DepositRefund",
    "DepositRefundStatus",
]
