"""Repossession and remarketing (收车与处置), and the legal cases behind them.

Lawful means only: the customer hands the car over voluntarily, with a signed handover record,
or the lender goes to court (实现担保物权 / 诉讼 / 仲裁); there is no self-help seizure.

A `RepossessionCase` is asked for by a collector from the collections queue and approved by
someone else with the authority (CHECK: the approver is not the requester). It is assigned to
an agent or a vetted repossession vendor (payee kind 收车服务商), and every contact, notice and
GPS-assisted recovery is a `RepossessionContact` row. The car's intake (condition report,
photos, storage) comes before its valuation and sale; the sale's proceeds are allocated to the
recoverable costs, then interest, then principal (民法典 第561条, unless the product or the
contract says otherwise); a deficiency is charged off, a surplus is paid back to the customer.
A redemption (the customer pays everything owed with the costs) closes the case before a sale.

Costs (towing, storage, legal, valuation) and the surplus are `RepossessionPayment`s, paid by
the one outgoing-payment engine; a cost is the loan's recoverable cost receivable from its
release. A `LegalCase` tracks a court or arbitration matter with its dates and outcome.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicing.models.outgoing import OutgoingPayment

MONEY = {"max_digits": 18, "decimal_places": 2}


class RepossessionRoute(models.TextChoices):
    VOLUNTARY = "voluntary", _("客户自愿交车")
    COURT = "court", _("司法途径")


class RepossessionStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    IN_STORAGE = "in_storage", _("已入库")
    SOLD = "sold", _("已处置")
    REDEEMED = "redeemed", _("已赎车")


OPEN_STATUSES = ("requested", "approved", "in_storage")


class SaleMethod(models.TextChoices):
    AUCTION = "auction", _("拍卖")
    DEALER_BUYBACK = "dealer_buyback", _("经销商回收")


class RepossessionCase(models.Model):
    loan = models.ForeignKey(
        "servicing.Loan", verbose_name=_("贷款账户"), on_delete=models.PROTECT, related_name="+"
    )
    collection_case_id = models.BigIntegerField(_("催收案件"), null=True, blank=True)
    contract_ref = models.CharField(_("合同编号"), max_length=64)
    route = models.CharField(_("收车途径"), max_length=10, choices=RepossessionRoute.choices)
    reason = models.TextField(_("申请理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=RepossessionStatus.choices, db_index=True
    )
    requested_on = models.DateField(_("申请营业日"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    approved_on = models.DateField(_("审批营业日"), null=True, blank=True)
    # assignment: an agent of ours, or a vetted vendor from the payee register (plain id)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("外访人员"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    vendor_payee_id = models.BigIntegerField(_("收车服务商"), null=True, blank=True)
    vendor_name = models.CharField(_("收车服务商名称"), max_length=200, blank=True)
    assigned_on = models.DateField(_("委派营业日"), null=True, blank=True)
    notice_sent_on = models.DateField(_("处置通知送达日"), null=True, blank=True)
    # intake (入库): the signed handover record (voluntary route), condition, storage
    handover_record = models.CharField(_("交车确认书"), max_length=255, blank=True)
    intake_on = models.DateField(_("入库营业日"), null=True, blank=True)
    condition_report = models.TextField(_("车况报告"), blank=True)
    odometer_km = models.PositiveIntegerField(_("里程（公里）"), null=True, blank=True)
    storage_location = models.CharField(_("停放地点"), max_length=200, blank=True)
    valuation = models.DecimalField(_("评估价"), null=True, blank=True, **MONEY)
    valued_on = models.DateField(_("评估营业日"), null=True, blank=True)
    # the per-contract allocation order of the proceeds, when the contract overrides the default
    allocation_order = models.JSONField(_("处置款清偿顺序"), default=list, blank=True)
    # the sale (or redemption): what came in and where it went, to the fen
    sale_method = models.CharField(
        _("处置方式"), max_length=16, choices=SaleMethod.choices, blank=True
    )
    buyer_name = models.CharField(_("买受人"), max_length=200, blank=True)
    closed_on = models.DateField(_("结案营业日"), null=True, blank=True)
    proceeds = models.DecimalField(_("到账金额"), default=0, **MONEY)
    bank_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    to_costs = models.DecimalField(_("冲抵收车费用"), default=0, **MONEY)
    to_penalty = models.DecimalField(_("冲抵罚息"), default=0, **MONEY)
    to_fee = models.DecimalField(_("冲抵费用"), default=0, **MONEY)
    to_interest = models.DecimalField(_("冲抵利息"), default=0, **MONEY)
    to_principal = models.DecimalField(_("冲抵本金"), default=0, **MONEY)
    surplus = models.DecimalField(_("应退客户余款"), default=0, **MONEY)
    deficiency = models.DecimalField(_("差额"), default=0, **MONEY)
    journal_entry_id = models.BigIntegerField(_("处置分录"), null=True, blank=True, unique=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("收车案件")
        verbose_name_plural = _("收车案件")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(status__in=OPEN_STATUSES),
                name="repossession_one_open_per_loan",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="repossession_approver_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested"], approved_by__isnull=True)
                | Q(approved_by__isnull=False, approved_on__isnull=False),
                name="repossession_decided_by_someone",
            ),
            # no car is taken in without the signed handover record or the court's way
            models.CheckConstraint(
                condition=Q(intake_on__isnull=True) | Q(route="court") | ~Q(handover_record=""),
                name="repossession_intake_lawful",
            ),
            # a sale needs the car in: intake first, and the notice sent
            models.CheckConstraint(
                condition=~Q(status="sold")
                | Q(intake_on__isnull=False, notice_sent_on__isnull=False)
                & ~Q(sale_method="")
                & Q(proceeds__gt=0),
                name="repossession_sold_after_intake",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["sold", "redeemed"])
                | Q(closed_on__isnull=False, journal_entry_id__isnull=False),
                name="repossession_closed_is_booked",
            ),
            models.CheckConstraint(
                condition=Q(
                    proceeds=F("to_costs")
                    + F("to_penalty")
                    + F("to_fee")
                    + F("to_interest")
                    + F("to_principal")
                    + F("surplus")
                )
                & Q(to_costs__gte=0, to_penalty__gte=0, to_fee__gte=0, to_interest__gte=0)
                & Q(to_principal__gte=0, surplus__gte=0, deficiency__gte=0)
                & (Q(surplus=0) | Q(deficiency=0)),
                name="repossession_proceeds_allocated",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.contract_ref} {self.get_status_display()}"


class ContactKind(models.TextChoices):
    CALL = "call", _("电话联系")
    VISIT = "visit", _("上门外访")
    NOTICE = "notice", _("送达处置通知")
    GPS = "gps", _("GPS 定位协助找车")
    HANDOVER = "handover", _("客户交车")
    VENDOR = "vendor", _("服务商报告")


class RepossessionContact(models.Model):
    """Every contact with the customer or about the car, recorded (who, when, what)."""

    case = models.ForeignKey(
        RepossessionCase, verbose_name=_("收车案件"), on_delete=models.PROTECT,
        related_name="contacts",
    )  # fmt: skip
    kind = models.CharField(_("类型"), max_length=10, choices=ContactKind.choices)
    on = models.DateField(_("营业日"))
    note = models.TextField(_("记录"))
    # a GPS-assisted recovery: where the car was found (from the GPS platform, as recorded)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("收车联系记录")
        verbose_name_plural = _("收车联系记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class RepossessionPhoto(models.Model):
    case = models.ForeignKey(
        RepossessionCase, verbose_name=_("收车案件"), on_delete=models.PROTECT,
        related_name="photos",
    )  # fmt: skip
    path = models.CharField(_("文件"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=60)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("车况照片")
        verbose_name_plural = _("车况照片")

    def __str__(self) -> str:
        return self.path


class LegalKind(models.TextChoices):
    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    SECURITY = "security", _("实现担保物权")


class LegalOutcome(models.TextChoices):
    PENDING = "pending", _("审理中")
    WON = "won", _("胜诉 / 裁定准许")
    LOST = "lost", _("败诉 / 驳回")
    SETTLED = "settled", _("调解结案")
    WITHDRAWN = "withdrawn", _("撤诉")


class LegalCase(models.Model):
    loan = models.ForeignKey(
        "servicing.Loan", verbose_name=_("贷款账户"), on_delete=models.PROTECT, related_name="+"
    )
    repossession = models.ForeignKey(
        RepossessionCase, verbose_name=_("收车案件"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="legal_cases",
    )  # fmt: skip
    kind = models.CharField(_("案件类型"), max_length=12, choices=LegalKind.choices)
    court = models.CharField(_("法院 / 仲裁机构"), max_length=200)
    case_number = models.CharField(_("案号"), max_length=100, blank=True)
    filed_on = models.DateField(_("立案日"))
    hearing_on = models.DateField(_("开庭日"), null=True, blank=True)
    decided_on = models.DateField(_("判决 / 裁定日"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=LegalOutcome.choices, default=LegalOutcome.PENDING
    )
    awarded = models.DecimalField(_("判决金额"), null=True, blank=True, **MONEY)
    note = models.TextField(_("备注"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("法务案件")
        verbose_name_plural = _("法务案件")
        ordering = ["-filed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(decided_on__isnull=False),
                name="legal_case_decided_has_date",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("filed_on")),
                name="legal_case_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_number}"


class PaymentPurpose(models.TextChoices):
    COST = "cost", _("收车费用")
    SURPLUS = "surplus", _("处置余款退还")


class CostKind(models.TextChoices):
    TOWING = "towing", _("拖车费")
    STORAGE = "storage", _("停车保管费")
    LEGAL = "legal", _("诉讼及律师费")
    VALUATION = "valuation", _("评估费")
    AUCTION = "auction", _("拍卖佣金")


class RepossessionPaymentStatus(models.TextChoices):
    PREPARED = "prepared", _("待复核")
    RELEASED = "released", _("付款中")
    PAID = "paid", _("已付款")
    FAILED = "failed", _("付款失败")
    REJECTED = "rejected", _("已驳回")


class RepossessionPayment(OutgoingPayment):
    """Money out for a case: a vendor's cost (the loan's recoverable cost from its release) or
    the sale's surplus to the customer; prepared by a maker, released by another person."""

    case = models.ForeignKey(
        RepossessionCase, verbose_name=_("收车案件"), on_delete=models.PROTECT,
        related_name="payments",
    )  # fmt: skip
    legal_case = models.ForeignKey(
        LegalCase, verbose_name=_("法务案件"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="costs",
    )  # fmt: skip
    loan_id = models.BigIntegerField(_("贷款账户"), db_index=True)
    purpose = models.CharField(_("用途"), max_length=8, choices=PaymentPurpose.choices)
    cost_kind = models.CharField(_("费用类型"), max_length=10, choices=CostKind.choices, blank=True)
    payee_id = models.BigIntegerField(_("收款方"), null=True, blank=True)
    payee_name = models.CharField(_("收款方名称"), max_length=200)
    invoice_ref = models.CharField(_("发票 / 凭证号"), max_length=64, blank=True)
    amount = models.DecimalField(_("金额"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=10, choices=RepossessionPaymentStatus.choices, db_index=True
    )
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_enc = models.TextField()
    account_number_masked = models.CharField(_("账号"), max_length=40)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("复核人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    cost_entry_id = models.BigIntegerField(_("费用分录"), null=True, blank=True, unique=True)
    paid_on = models.DateField(_("付款日"), null=True, blank=True)
    journal_entry_id = models.BigIntegerField(_("付款分录"), null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("收车款项支付")
        verbose_name_plural = _("收车款项支付")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repossession_payment_gt_0"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="repossession_payment_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(purpose="surplus", cost_kind="")
                | Q(purpose="cost") & ~Q(cost_kind="") & Q(payee_id__isnull=False),
                name="repossession_payment_purpose",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["released", "paid", "failed"])
                | Q(approved_by__isnull=False, idempotency_key__isnull=False),
                name="repossession_payment_released_is_approved",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | Q(paid_on__isnull=False, journal_entry_id__isnull=False),
                name="repossession_payment_paid_is_booked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payee_name} {self.amount}"


__all__ = [
    "ContactKind",
    "CostKind",
    "LegalCase",
    "LegalKind",
    "LegalOutcome",
    "PaymentPurpose",
    "RepossessionCase",
    "RepossessionContact",
    "RepossessionPayment",
    "RepossessionPaymentStatus",
    "RepossessionPhoto",
    "RepossessionRoute",
    "RepossessionStatus",
    "SaleMethod",
]
