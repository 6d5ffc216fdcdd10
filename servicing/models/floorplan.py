"""Floor-plan finance (库存融资) in servicing: the per-VIN advances drawn on a dealer's line
(origination.FloorplanLine), their curtailments (stock-age repayments) and the dealer's payments
against them (the stock audits are in servicing.models.stock_audits).

The sub-ledger is the advance: `principal_outstanding` summed over the book equals the balance
of `floorplan_receivable`, and `interest_accrued_unpaid` that of `floorplan_interest_receivable`,
to the fen; every ledger line of an advance carries its `floorplan_advance_id` and `dealer_id`.

Invariants the database holds:

* a VIN is financed at most once at a time (partial unique index over live advances);
* the amount is positive and no more than the invoice price; balances never go below zero
  nor principal above the amount;
* a released advance was approved and has its key and account; above the checker threshold
  (`needs_checker`, fixed at approval from policy) the releaser is not the approver;
* a funded advance has its funding entry, dates and a positive balance; a settled one owes
  nothing;
* a curtailment stage is billed once per advance; a payment is recorded once per source.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicing.models.outgoing import OutgoingPayment

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 6}


class AdvanceStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("待放款")
    RELEASED = "released", _("付款中")
    FUNDED = "funded", _("已放款")
    SETTLED = "settled", _("已结清")
    REJECTED = "rejected", _("已拒绝")
    FAILED = "failed", _("付款失败")


# Advances that hold their VIN and their share of the line.
LIVE_ADVANCE_STATUSES = ["requested", "approved", "released", "funded"]


class AdvancePayeeKind(models.TextChoices):
    OEM = "oem", _("主机厂")
    DEALER = "dealer", _("经销商")


class CertificateStatus(models.TextChoices):
    """The car's certificate of conformity (合格证), held by the lender while it is financed."""

    AWAITED = "awaited", _("待收取")
    HELD = "held", _("已收押")
    RELEASED = "released", _("已释放")


class FloorplanAdvance(OutgoingPayment):
    line = models.ForeignKey(
        "origination.FloorplanLine",
        verbose_name=_("库存融资额度"),
        on_delete=models.PROTECT,
        related_name="advances",
    )
    # Plain id and name, as a loan's: the dealer lives in the dealers app.
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    dealer_name = models.CharField(_("经销商名称"), max_length=200)
    vin = models.CharField(_("车架号"), max_length=17)
    model_name = models.CharField(_("车型"), max_length=100)
    invoice_price = models.DecimalField(_("发票价格"), **MONEY)
    oem_invoice_number = models.CharField(_("厂家发票号"), max_length=40)
    amount = models.DecimalField(_("融资金额"), **MONEY)
    # Copied from the line at request: a later change of the line does not reprice the car.
    annual_rate = models.DecimalField(_("年利率"), **RATE)
    curtailment_plan = models.JSONField(_("还款计划（库龄天数，累计比例%）"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=AdvanceStatus.choices,
        default=AdvanceStatus.REQUESTED,
        db_index=True,
    )
    # Whom the lender pays: the OEM (a verified payee of the register) or the dealer (its
    # verified settlement account), snapshotted at request and checked again at release.
    payee_kind = models.CharField(_("收款方类型"), max_length=10, choices=AdvancePayeeKind.choices)
    payee_id = models.BigIntegerField(_("收款方"))
    payee_name = models.CharField(_("收款方名称"), max_length=200)
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_enc = models.TextField()
    account_number_masked = models.CharField(_("账号"), max_length=40)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    # Above `servicing.floorplan_checker_above` at approval: the release needs a second person.
    needs_checker = models.BooleanField(_("需复核放行"), default=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("放行人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejected_reason = models.CharField(_("拒绝原因"), max_length=255, blank=True)
    # The bank payment (servicing.services.outgoing): one key, resent under the same key.
    journal_entry_id = models.BigIntegerField(_("放款分录"), null=True, blank=True)
    funded_on = models.DateField(_("放款日"), null=True, blank=True)
    due_on = models.DateField(_("到期日"), null=True, blank=True)
    principal_outstanding = models.DecimalField(_("未还本金"), default=0, **MONEY)
    interest_accrued_unpaid = models.DecimalField(_("应收未收利息"), default=0, **MONEY)
    # The last day interest was accrued for (the nightly batch's watermark), and the sub-fen
    # part of the exact interest not yet posted (carried to the next night, as a loan's).
    accrued_through = models.DateField(_("计息至"), null=True, blank=True)
    accrual_remainder = models.DecimalField(
        _("计提尾差"), max_digits=20, decimal_places=10, default=0
    )
    certificate_status = models.CharField(
        _("合格证状态"),
        max_length=10,
        choices=CertificateStatus.choices,
        default=CertificateStatus.AWAITED,
    )
    certificate_no = models.CharField(_("合格证编号"), max_length=40, blank=True)
    certificate_received_on = models.DateField(_("合格证收押日"), null=True, blank=True)
    certificate_released_on = models.DateField(_("合格证释放日"), null=True, blank=True)
    settled_on = models.DateField(_("结清日"), null=True, blank=True)
    overdue = models.BooleanField(_("逾期"), default=False)
    overdue_since = models.DateField(_("逾期起始日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("库存融资放款")
        verbose_name_plural = _("库存融资放款")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["line", "status"],
                name="floorplan_advance_line_status",
            ),
            models.Index(
                fields=["status", "due_on"],
                name="floorplan_advance_funded_due",
                condition=Q(status="funded"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["vin"],
                condition=Q(status__in=LIVE_ADVANCE_STATUSES),
                name="floorplan_advance_one_live_per_vin",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AdvanceStatus.values), name="floorplan_advance_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(payee_kind__in=AdvancePayeeKind.values),
                name="floorplan_advance_payee_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(certificate_status__in=CertificateStatus.values),
                name="floorplan_advance_certificate_valid",
            ),
            models.CheckConstraint(
                condition=Q(vin__regex=r"^[A-HJ-NPR-Z0-9]{17}$"), name="floorplan_advance_vin"
            ),
            models.CheckConstraint(
                condition=Q(invoice_price__gt=0)
                & Q(amount__gt=0)
                & Q(amount__lte=F("invoice_price"))
                & Q(annual_rate__gt=0)
                & Q(principal_outstanding__gte=0)
                & Q(principal_outstanding__lte=F("amount"))
                & Q(interest_accrued_unpaid__gte=0),
                name="floorplan_advance_figures",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(released_by__isnull=True)
                | Q(needs_checker=False)
                | ~Q(released_by=F("approved_by")),
                name="floorplan_advance_checker_not_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["released", "funded", "settled", "failed"])
                | (
                    Q(approved_by__isnull=False)
                    & Q(released_by__isnull=False)
                    & Q(idempotency_key__isnull=False)
                    & Q(business_date__isnull=False)
                    & ~Q(account_number_enc="")
                ),
                name="floorplan_advance_released_is_approved",
            ),
            # Money is owed only on a funded advance; a funded one owes principal and has its
            # funding entry and dates; a settled one owes nothing.
            models.CheckConstraint(
                condition=Q(
                    status="funded",
                    principal_outstanding__gt=0,
                    funded_on__isnull=False,
                    due_on__isnull=False,
                    journal_entry_id__isnull=False,
                    bank_status="succeeded",
                )
                | Q(
                    status="settled",
                    principal_outstanding=0,
                    interest_accrued_unpaid=0,
                    funded_on__isnull=False,
                    settled_on__isnull=False,
                    journal_entry_id__isnull=False,
                )
                | (
                    ~Q(status__in=["funded", "settled"])
                    & Q(principal_outstanding=0)
                    & Q(interest_accrued_unpaid=0)
                    & Q(journal_entry_id__isnull=True)
                ),
                name="floorplan_advance_balances_match_status",
            ),
            models.CheckConstraint(
                condition=~Q(certificate_status__in=["held", "released"]) | ~Q(certificate_no=""),
                name="floorplan_advance_certificate_numbered",
            ),
            models.CheckConstraint(
                condition=Q(overdue=False) | Q(overdue_since__isnull=False),
                name="floorplan_advance_overdue_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vin} {self.amount}"


class CurtailmentStatus(models.TextChoices):
    BILLED = "billed", _("已出账")
    PAID = "paid", _("已还清")
    OVERDUE = "overdue", _("已逾期")


class FloorplanCurtailment(models.Model):
    """One stage of an advance's stock-age repayment: `percent` (cumulative) of the advance
    due on `due_on`; `amount` is this stage's own share."""

    advance = models.ForeignKey(
        FloorplanAdvance,
        verbose_name=_("库存融资放款"),
        on_delete=models.PROTECT,
        related_name="curtailments",
    )
    stage = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应还日"))
    percent = models.DecimalField(_("累计比例（%）"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("应还本金"), **MONEY)
    paid_amount = models.DecimalField(_("已还本金"), default=0, **MONEY)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=CurtailmentStatus.choices,
        default=CurtailmentStatus.BILLED,
    )
    billed_on = models.DateField(_("出账日"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("库存融资分期还款")
        verbose_name_plural = _("库存融资分期还款")
        ordering = ["advance_id", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["advance", "stage"], name="floorplan_curtailment_once"),
            models.CheckConstraint(
                condition=Q(status__in=CurtailmentStatus.values),
                name="floorplan_curtailment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(paid_amount__gte=0)
                & Q(paid_amount__lte=F("amount"))
                & Q(percent__gt=0)
                & Q(percent__lte=100),
                name="floorplan_curtailment_figures",
            ),
            models.CheckConstraint(
                condition=(Q(status="paid") & Q(paid_amount=F("amount")))
                | (~Q(status="paid") & Q(paid_amount__lt=F("amount"))),
                name="floorplan_curtailment_paid_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.advance_id}/{self.stage} {self.amount}"


class FloorplanPaymentSource(models.TextChoices):
    BANK_RECEIPT = "bank_receipt", _("银行到账（财务登记）")
    PAYMENT_ORDER = "payment_order", _("在线支付")
    RETAIL_DISBURSEMENT = "retail_disbursement", _("零售贷款放款结清")


class FloorplanPayment(models.Model):
    """Money the dealer paid against an advance, split interest first, then principal (which
    pays the curtailments in stage order)."""

    advance = models.ForeignKey(
        FloorplanAdvance,
        verbose_name=_("库存融资放款"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    source_kind = models.CharField(_("来源"), max_length=20, choices=FloorplanPaymentSource.choices)
    source_ref = models.CharField(_("来源凭证"), max_length=80)
    amount = models.DecimalField(_("金额"), **MONEY)
    interest_part = models.DecimalField(_("其中利息"), **MONEY)
    principal_part = models.DecimalField(_("其中本金"), **MONEY)
    received_on = models.DateField(_("到账日"))
    journal_entry_id = models.BigIntegerField(_("分录"), unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("库存融资还款")
        verbose_name_plural = _("库存融资还款")
        ordering = ["-received_on", "-id"]
        constraints = [
            # The same bank receipt or disbursement never pays twice.
            models.UniqueConstraint(
                fields=["source_kind", "source_ref"], name="floorplan_payment_once"
            ),
            models.CheckConstraint(
                condition=Q(source_kind__in=FloorplanPaymentSource.values),
                name="floorplan_payment_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(interest_part__gte=0)
                & Q(principal_part__gte=0)
                & Q(amount=F("interest_part") + F("principal_part")),
                name="floorplan_payment_split",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.advance_id} {self.amount}"


__all__ = [
    "LIVE_ADVANCE_STATUSES",
    "AdvancePayeeKind",
    "AdvanceStatus",
    "CertificateStatus",
    "CurtailmentStatus",
    "FloorplanAdvance",
    "FloorplanCurtailment",
    "FloorplanPayment",
    "FloorplanPaymentSource",
]
