"""E-contracts: the contract of an approved application (a priced snapshot and its PDF), the
customer's signature, and the pre-funding checklist servicing reads before it disburses.

A contract's terms never change: a new deal means a new contract version and the old one
superseded. The database holds one live (draft, issued or signed) contract per application.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ChecklistItemKind",
    "ChecklistStatus",
    "Contract",
    "ContractSignature",
    "ContractStatus",
    "FundingChecklistItem",
]


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("待签署")
    SIGNED = "signed", _("已签署")
    SUPERSEDED = "superseded", _("已作废（被新版本替代）")


LIVE_STATUSES = ("draft", "issued", "signed")


class Contract(models.Model):
    application = models.ForeignKey(
        "origination.Application",
        verbose_name=_("申请"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    version = models.PositiveSmallIntegerField(_("合同版本"))
    contract_ref = models.CharField(_("合同编号"), max_length=20, unique=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    contract_type = models.CharField(_("合同类型"), max_length=20)
    product_version = models.ForeignKey(
        "origination.ProductVersion",
        verbose_name=_("产品版本"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    tier = models.CharField(_("客群分层"), max_length=1)
    vehicle_price = models.DecimalField(_("车价"), max_digits=18, decimal_places=2)
    down_payment = models.DecimalField(_("首付"), max_digits=18, decimal_places=2)
    amount_financed = models.DecimalField(_("融资额"), max_digits=18, decimal_places=2)
    customer_rate = models.DecimalField(_("客户利率"), max_digits=7, decimal_places=6)
    lender_rate = models.DecimalField(_("资金方收益率"), max_digits=7, decimal_places=6)
    apr = models.DecimalField(_("年化利率（IRR 法）"), max_digits=7, decimal_places=4)
    apr_method = models.CharField(_("年化利率计算方法"), max_length=60)
    penalty_rate = models.DecimalField(_("罚息利率"), max_digits=7, decimal_places=6)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    method = models.CharField(_("还款方式"), max_length=20)
    day_count = models.CharField(_("计息基础"), max_length=10)
    balloon_amount = models.DecimalField(_("尾款"), max_digits=18, decimal_places=2, default="0.00")
    value_date = models.DateField(_("起息日"))
    monthly_payment = models.DecimalField(_("首期月供"), max_digits=18, decimal_places=2)
    total_interest = models.DecimalField(_("总利息"), max_digits=18, decimal_places=2)
    total_payable = models.DecimalField(_("还款总额"), max_digits=18, decimal_places=2)
    subsidy_amount = models.DecimalField(
        _("厂商贴息金额"), max_digits=18, decimal_places=2, default="0.00"
    )
    fees = models.JSONField(_("费用"), default=list, blank=True)
    payees = models.JSONField(_("收款方"), default=list)
    schedule = models.JSONField(_("还款计划"), default=list)
    vin = models.CharField(_("车架号"), max_length=17, blank=True)
    pdf_path = models.CharField(max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    issued_at = models.DateTimeField(_("出具时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签署时间"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("替代合同"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["application_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "version"], name="contract_version_unique"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="signed"),
                name="contract_one_signed_per_application",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=LIVE_STATUSES),
                name="contract_one_live_per_application",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values), name="contract_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_at__isnull=False),
                name="contract_signed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(pdf_sha256=""),
                name="contract_issued_has_pdf",
            ),
            models.CheckConstraint(
                condition=Q(amount_financed__gt=0)
                & Q(down_payment__gte=0)
                & Q(customer_rate__lte=models.F("lender_rate")),
                name="contract_amounts",
            ),
        ]

    def __str__(self) -> str:
        return self.contract_ref

    @property
    def is_signed(self) -> bool:
        return self.status == ContractStatus.SIGNED


class ContractSignature(models.Model):
    """The customer's online signature: the signed PDF (the contract with a signature page), its
    hash, who, when, from where, and the SMS code check."""

    contract = models.OneToOneField(
        Contract, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="signature"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签署人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signer_name = models.CharField(_("签署人姓名"), max_length=100)
    signed_at = models.DateTimeField(_("签署时间"))
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    verification = models.CharField(_("验证方式"), max_length=60)
    document_sha256 = models.CharField(_("合同文件 SHA-256"), max_length=64)
    signed_pdf_path = models.CharField(max_length=300)
    signed_pdf_sha256 = models.CharField(_("已签署文件 SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("电子签名")
        verbose_name_plural = _("电子签名")
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.signer_name}"


class ChecklistItemKind(models.TextChoices):
    SIGNED_CONTRACT = "signed_contract", _("合同已签署")
    INSURANCE = "insurance", _("车辆保险（第一受益人为本公司）")
    GPS_INSTALLED = "gps_installed", _("GPS 已安装")
    MORTGAGE_REGISTRATION = "mortgage_registration", _("抵押登记")
    TITLE_REGISTRATION = "title_registration", _("车辆登记在出租人名下")
    INVOICE_MATCHES_PRICE = "invoice_matches_price", _("发票金额与车价一致")


class ChecklistStatus(models.TextChoices):
    PENDING = "pending", _("待完成")
    DONE = "done", _("已完成")
    AFTER_FUNDING = "after_funding", _("放款后补（有期限）")


class FundingChecklistItem(models.Model):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="checklist"
    )
    item_kind = models.CharField(_("检查项"), max_length=30, choices=ChecklistItemKind.choices)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ChecklistStatus.choices,
        default=ChecklistStatus.PENDING,
    )
    deadline = models.DateField(_("补办期限"), null=True, blank=True)
    evidence = models.CharField(_("依据"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("放款前检查项")
        verbose_name_plural = _("放款前检查项")
        ordering = ["contract_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "item_kind"], name="checklist_item_once_per_contract"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ChecklistStatus.values), name="checklist_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="after_funding") | Q(deadline__isnull=False),
                name="checklist_after_funding_has_deadline",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | (~Q(evidence="") & Q(recorded_at__isnull=False)),
                name="checklist_recorded_has_evidence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.get_item_kind_display()}"
