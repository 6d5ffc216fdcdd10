"""Applications (intake): one model for both channels, its applicants, financed items and
timeline. Their documents are in ``documents``, consents and data-subject requests (PIPL) in
``privacy``, sign-up SMS codes in ``signup``.

Identity data (resident ID numbers, mobiles, bank accounts) is stored encrypted
(``autofin.crypto.encrypt``), masked for display and beside a keyed hash for matching. Every
status change goes through ``origination.services.state`` (the transition table).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.models.products import PayeeType, ProductVersion, VehicleKind, VehicleUse

__all__ = [
    "IN_PROGRESS_STATUSES",
    "Applicant",
    "ApplicantRole",
    "Application",
    "ApplicationChannel",
    "ApplicationEvent",
    "ApplicationStatus",
    "EmploymentKind",
    "FinancedItem",
    "FinancedItemKind",
    "Housing",
    "MaritalStatus",
]


class ApplicationChannel(models.TextChoices):
    DIRECT = "direct", _("直销")
    DEALER = "dealer", _("经销商渠道")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    UNDER_REVIEW = "under_review", _("自动审批中")
    REFERRED = "referred", _("人工审批中")
    DOCUMENTS_REQUESTED = "documents_requested", _("待补充资料")
    APPROVED = "approved", _("已批准")
    COUNTER_OFFERED = "counter_offered", _("调整方案待确认")
    DECLINED = "declined", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    CANCELLED = "cancelled", _("已取消")
    CONTRACT_SIGNED = "contract_signed", _("已签约")
    FUNDED = "funded", _("已放款")


# How an application names the risk decision behind an automated outcome (``decision_ref``).
RISK_DECISION_PREFIX = "risk-decision:"

# One application per customer per car while any of these holds (the partial unique constraint).
IN_PROGRESS_STATUSES = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.REFERRED,
    ApplicationStatus.DOCUMENTS_REQUESTED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.COUNTER_OFFERED,
    ApplicationStatus.CONTRACT_SIGNED,
)


class Application(models.Model):
    reference = models.CharField(_("申请编号"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("渠道"), max_length=10, choices=ApplicationChannel.choices)
    status = models.CharField(
        _("状态"),
        max_length=24,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    # keyed_hash of the customer's mobile: who the application is for, in both channels
    customer_key = models.CharField(max_length=64, db_index=True)
    dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("经销商"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销售顾问"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # who the application is for, as typed at the start (the primary applicant's step may
    # refine it); the mobile is encrypted and masked like every other identity field
    customer_name = models.CharField(_("客户姓名"), max_length=50)
    customer_mobile_enc = models.TextField(_("客户手机号（加密）"))
    customer_mobile_masked = models.CharField(_("客户手机号"), max_length=11)
    # Dealer channel: the customer confirms by the SMS link (and gives the consents there).
    customer_confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)

    # Step 1: product and car
    product_version = models.ForeignKey(
        ProductVersion,
        verbose_name=_("产品版本"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    vehicle_brand = models.CharField(_("品牌"), max_length=50)
    vehicle_model = models.CharField(_("车型"), max_length=80)
    vehicle_trim = models.CharField(_("配置"), max_length=80, blank=True)
    vehicle_kind = models.CharField(_("车辆类型"), max_length=20, choices=VehicleKind.choices)
    vehicle_use = models.CharField(_("车辆用途"), max_length=20, choices=VehicleUse.choices)
    vehicle_price = models.DecimalField(_("车价"), max_digits=18, decimal_places=2)
    vin = models.CharField(_("车架号"), max_length=17, blank=True)
    mileage_km = models.PositiveIntegerField(_("行驶里程（公里）"), null=True, blank=True)
    first_registration_date = models.DateField(_("首次登记日期"), null=True, blank=True)
    down_payment = models.DecimalField(_("首付"), max_digits=18, decimal_places=2)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    method = models.CharField(_("还款方式"), max_length=20)
    balloon_ratio = models.DecimalField(
        _("尾款比例"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    # the car for the one-in-progress rule: "vin:<VIN>" or a hash of product+price+brand/model
    car_key = models.CharField(max_length=80)

    # the indicative quote (recomputed on every save of steps 1 and 3 and at submission)
    amount_financed = models.DecimalField(
        _("融资额"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    ltv = models.DecimalField(
        _("贷款价值比"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    monthly_payment = models.DecimalField(
        _("首期月供"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    apr = models.DecimalField(
        _("年化利率（IRR 法）"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    customer_rate = models.DecimalField(
        _("客户利率"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    items_saved_at = models.DateTimeField(_("融资项目保存时间"), null=True, blank=True)

    # submission and the decision
    submission_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    decision_ref = models.CharField(_("审批编号"), max_length=64, blank=True)
    decision_reasons = models.JSONField(_("审批原因"), default=list, blank=True)
    conditions = models.JSONField(_("批准条件"), default=list, blank=True)
    # an existing customer's pre-approved offer this application takes up: the offer's stored
    # decision and the customer's facts now, handed to risk with the application's facts
    preapproval = models.JSONField(_("预审批依据"), default=dict, blank=True)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)

    # turnaround: every stage is timestamped
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    contract_signed_at = models.DateTimeField(_("签约时间"), null=True, blank=True)
    funded_at = models.DateTimeField(_("放款时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_key", "car_key"],
                condition=Q(status__in=[s.value for s in IN_PROGRESS_STATUSES]),
                name="application_one_in_progress_per_customer_car",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=ApplicationChannel.values),
                name="application_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel="direct") | Q(dealer__isnull=False),
                name="application_dealer_channel_has_dealer",
            ),
            models.CheckConstraint(
                condition=Q(vehicle_price__gt=0)
                & Q(down_payment__gte=0)
                & Q(down_payment__lt=models.F("vehicle_price")),
                name="application_price_and_down_payment",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn", "cancelled"])
                | Q(submitted_at__isnull=False),
                name="application_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["dealer", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def risk_decision_id(self) -> int | None:
        """The risk decision behind the outcome (``decision_ref`` "risk-decision:<id>"), or None
        (an underwriter's decision, or none yet)."""
        ref = self.decision_ref or ""
        number = ref.removeprefix(RISK_DECISION_PREFIX)
        return int(number) if ref.startswith(RISK_DECISION_PREFIX) and number.isdigit() else None

    @property
    def primary_applicant(self):
        for applicant in self.applicants.all():
            if applicant.role == ApplicantRole.PRIMARY:
                return applicant
        return None


class ApplicantRole(models.TextChoices):
    PRIMARY = "primary", _("主借人")
    CO_APPLICANT = "co_applicant", _("共借人")
    GUARANTOR = "guarantor", _("担保人")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("未婚")
    MARRIED = "married", _("已婚")
    DIVORCED = "divorced", _("离异")
    WIDOWED = "widowed", _("丧偶")


class EmploymentKind(models.TextChoices):
    EMPLOYED = "employed", _("受雇")
    SELF_EMPLOYED = "self_employed", _("个体经营")
    BUSINESS_OWNER = "business_owner", _("企业主")
    RETIRED = "retired", _("退休")
    OTHER = "other", _("其他")


class Housing(models.TextChoices):
    OWN = "own", _("自有住房")
    MORTGAGE = "mortgage", _("按揭住房")
    RENT = "rent", _("租房")
    FAMILY = "family", _("与家人同住")


class Applicant(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="applicants"
    )
    role = models.CharField(_("角色"), max_length=20, choices=ApplicantRole.choices)
    name = models.CharField(_("姓名"), max_length=50)
    id_number_enc = models.TextField(_("身份证号（加密）"))
    id_number_hash = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    mobile_enc = models.TextField(_("手机号（加密）"))
    mobile_hash = models.CharField(max_length=64, db_index=True)
    mobile_masked = models.CharField(_("手机号"), max_length=11)
    marital_status = models.CharField(
        _("婚姻状况"), max_length=10, choices=MaritalStatus.choices, blank=True
    )
    address = models.CharField(_("居住地址"), max_length=200, blank=True)
    employment_kind = models.CharField(
        _("就业类型"), max_length=20, choices=EmploymentKind.choices, blank=True
    )
    employer = models.CharField(_("工作单位"), max_length=100, blank=True)
    employment_years = models.DecimalField(
        _("工作年限"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    housing = models.CharField(_("住房情况"), max_length=10, choices=Housing.choices, blank=True)
    monthly_income = models.DecimalField(
        _("月收入"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    bank_account_enc = models.TextField(_("还款账户（加密）"), blank=True)
    bank_account_hash = models.CharField(max_length=64, blank=True, db_index=True)
    bank_account_masked = models.CharField(_("还款账户"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("申请人")
        verbose_name_plural = _("申请人")
        ordering = ["application_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "role"], name="applicant_one_per_role"),
            models.CheckConstraint(
                condition=Q(role__in=ApplicantRole.values), name="applicant_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(monthly_income__isnull=True) | Q(monthly_income__gte=0),
                name="applicant_income_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class FinancedItemKind(models.TextChoices):
    CAR = "car", _("车款")
    PURCHASE_TAX = "purchase_tax", _("购置税")
    INSURANCE = "insurance", _("保险")
    WARRANTY = "warranty", _("延保")
    ACCESSORIES = "accessories", _("精品加装")


class FinancedItem(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="items"
    )
    item_kind = models.CharField(_("项目"), max_length=20, choices=FinancedItemKind.choices)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)
    payee_type = models.CharField(_("收款方类型"), max_length=20, choices=PayeeType.choices)
    payee_name = models.CharField(_("收款方名称"), max_length=200)

    class Meta:
        verbose_name = _("融资项目")
        verbose_name_plural = _("融资项目")
        ordering = ["application_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "item_kind"], name="financed_item_one_per_kind"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="financed_item_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_kind_display()} {self.amount}"


class ApplicationEvent(models.Model):
    """The application's timeline: every status change (and notable step) with its time."""

    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="events"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("事件"), max_length=30)  # status / step / document / consent
    from_status = models.CharField(_("原状态"), max_length=24, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人名称"), max_length=150)
    reason = models.TextField(_("原因"), blank=True)

    class Meta:
        verbose_name = _("申请进度")
        verbose_name_plural = _("申请进度")
        ordering = ["application_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"
