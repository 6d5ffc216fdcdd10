"""Dealers (the B side): onboarding, staff, agreements, commissions, channel risk grade, KPIs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from autofin.crypto import mask


class DealerType(models.TextChoices):
    FOUR_S = "four_s", _("4S店")
    SECONDARY = "secondary", _("二网")
    USED = "used", _("二手车商")
    BRAND_STORE = "brand_store", _("品牌直营店")
    LEASE_COMPANY = "lease_company", _("融资租赁公司")


class DealerStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    UNDER_REVIEW = "under_review", _("审核中")
    ACTIVE = "active", _("合作中")
    SUSPENDED = "suspended", _("已暂停")
    TERMINATED = "terminated", _("已终止")


class ProductLine(models.TextChoices):
    NEW = "new", _("新车")
    USED = "used", _("二手车")
    NEV = "nev", _("新能源车")
    COMMERCIAL = "commercial", _("商用车")


class Dealer(models.Model):
    legal_name = models.CharField(_("企业名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    dealer_type = models.CharField(_("经销商类型"), max_length=20, choices=DealerType.choices)
    brands = models.CharField(_("经营品牌"), max_length=300, blank=True, help_text=_("用逗号分隔"))
    province = models.CharField(_("省份"), max_length=30)
    city = models.CharField(_("城市"), max_length=30)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DealerStatus.choices, default=DealerStatus.APPLIED
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("渠道客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_dealers",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("经销商")
        verbose_name_plural = _("经销商")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DealerStatus.values), name="dealer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(dealer_type__in=DealerType.values), name="dealer_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class DealerLicence(models.Model):
    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("营业执照")
        AUTHORISATION = "authorisation", _("品牌授权书")
        OTHER = "other", _("其他资质")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="licences"
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    original_name = models.CharField(_("文件名"), max_length=200)
    path = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资质文件")
        verbose_name_plural = _("资质文件")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.dealer_id}: {self.original_name}"


class SettlementAccount(models.Model):
    """A dealer's bank account for disbursements and commissions; created only by an approved
    BankAccountChange. One active account per dealer."""

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="accounts"
    )
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    branch_name = models.CharField(_("支行"), max_length=100, blank=True)
    account_number_enc = models.TextField()
    account_number_hash = models.CharField(max_length=64, db_index=True)
    account_number_masked = models.CharField(_("账号"), max_length=40)
    verified = models.BooleanField(_("已核验"), default=False)
    active = models.BooleanField(_("启用"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("结算账户")
        verbose_name_plural = _("结算账户")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer"], condition=Q(active=True), name="one_active_account_per_dealer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number_masked}"


def mask_account(number: str) -> str:
    return mask(number, keep_start=4, keep_end=4)


class BankAccountChange(models.Model):
    """Maker-checker request for a new settlement account (复核 (双人))."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待复核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="account_changes"
    )
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    branch_name = models.CharField(_("支行"), max_length=100, blank=True)
    account_number_enc = models.TextField()
    account_number_hash = models.CharField(max_length=64)
    account_number_masked = models.CharField(_("账号"), max_length=40)
    reason = models.TextField(_("变更原因"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
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
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("复核意见"), blank=True)
    account = models.OneToOneField(
        SettlementAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="change"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("结算账户变更")
        verbose_name_plural = _("结算账户变更")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="bank_change_maker_is_not_checker",
            ),
            models.UniqueConstraint(
                fields=["dealer"],
                condition=Q(status="pending"),
                name="one_pending_bank_change_per_dealer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id}: {self.bank_name} {self.account_number_masked}"


class StaffRole(models.TextChoices):
    DEALER_ADMIN = "dealer_admin", _("经销商管理员")
    DEALER_SALES = "dealer_sales", _("经销商销售")


class DealerStaff(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.PROTECT,
        related_name="dealer_staff",
    )
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(_("角色"), max_length=20, choices=StaffRole.choices)
    active = models.BooleanField(_("在职"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    deactivated_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("经销商员工")
        verbose_name_plural = _("经销商员工")
        ordering = ["dealer_id", "role", "id"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.dealer_id}"


class StaffInvitation(models.Model):
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(_("角色"), max_length=20, choices=StaffRole.choices)
    display_name = models.CharField(_("姓名"), max_length=100)
    email = models.EmailField(_("邮箱"), blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # Only a hash of the token is stored: the link in the message is the one copy of it.
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("有效期至"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("员工邀请")
        verbose_name_plural = _("员工邀请")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""), name="invitation_has_email_or_phone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} → {self.dealer_id}"


class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


class Agreement(models.Model):
    class CommissionKind(models.TextChoices):
        PERCENT = "percent", _("按融资额比例")
        FIXED = "fixed", _("每单固定金额")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="agreements"
    )
    product_line = models.CharField(_("产品线"), max_length=20, choices=ProductLine.choices)
    commission_kind = models.CharField(_("返佣方式"), max_length=10, choices=CommissionKind.choices)
    commission_rate = models.DecimalField(
        _("返佣比例"), max_digits=9, decimal_places=6, default=Decimal("0")
    )
    commission_fixed = models.DecimalField(
        _("每单返佣"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    cap_rate = models.DecimalField(
        _("返佣上限（占融资额）"), max_digits=9, decimal_places=6, default=Decimal("0.05")
    )
    clawback_months = models.PositiveSmallIntegerField(_("追回期（月）"), default=6)
    clawback_share = models.DecimalField(
        _("追回比例"), max_digits=9, decimal_places=6, default=Decimal("1")
    )
    deposit_required = models.DecimalField(
        _("应缴保证金"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    deposit_held = models.DecimalField(
        _("已缴保证金"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    effective_from = models.DateField(_("生效日"))
    effective_to = models.DateField(_("到期日（含）"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合作协议")
        verbose_name_plural = _("合作协议")
        ordering = ["dealer_id", "product_line", "-effective_from"]
        constraints = [
            ExclusionConstraint(
                name="agreement_no_overlap",
                expressions=[
                    (F("dealer"), RangeOperators.EQUAL),
                    (F("product_line"), RangeOperators.EQUAL),
                    (
                        DateRange(
                            "effective_from",
                            "effective_to",
                            RangeBoundary(inclusive_lower=True, inclusive_upper=True),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="agreement_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0)
                & Q(commission_fixed__gte=0)
                & Q(cap_rate__gte=0)
                & Q(clawback_share__gte=0)
                & Q(clawback_share__lte=1)
                & Q(deposit_required__gte=0)
                & Q(deposit_held__gte=0),
                name="agreement_figures_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.product_line} {self.effective_from}"


class Commission(models.Model):
    """One accrual per funded contract (idempotent by contract_ref)."""

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="commissions"
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("协议"), on_delete=models.PROTECT, related_name="commissions"
    )
    contract_ref = models.CharField(_("合同号"), max_length=64, unique=True)
    product_line = models.CharField(_("产品线"), max_length=20, choices=ProductLine.choices)
    amount_financed = models.DecimalField(_("融资额"), max_digits=18, decimal_places=2)
    funded_on = models.DateField(_("放款日"))
    uncapped_amount = models.DecimalField(_("计算返佣"), max_digits=18, decimal_places=2)
    cap_amount = models.DecimalField(_("返佣上限"), max_digits=18, decimal_places=2)
    amount = models.DecimalField(_("返佣金额"), max_digits=18, decimal_places=2)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("返佣")
        verbose_name_plural = _("返佣")
        ordering = ["-funded_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lte=F("cap_amount")),
                name="commission_within_cap",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_ref}: {self.amount}"


class CommissionClawback(models.Model):
    commission = models.OneToOneField(
        Commission, verbose_name=_("返佣"), on_delete=models.PROTECT, related_name="clawback"
    )
    reason = models.CharField(_("原因"), max_length=30)
    event_date = models.DateField(_("事件日"))
    amount = models.DecimalField(_("追回金额"), max_digits=18, decimal_places=2)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("返佣追回")
        verbose_name_plural = _("返佣追回")
        constraints = [
            models.CheckConstraint(condition=Q(amount__lte=0), name="clawback_is_negative")
        ]

    def __str__(self) -> str:
        return f"{self.commission_id}: {self.amount}"


class CommissionStatement(models.Model):
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="statements"
    )
    month = models.DateField(_("月份"))  # first day of the month
    total = models.DecimalField(_("合计"), max_digits=18, decimal_places=2)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("返佣结算单")
        verbose_name_plural = _("返佣结算单")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month"], name="one_statement_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="statement_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m}"


class CommissionStatementLine(models.Model):
    class Kind(models.TextChoices):
        ACCRUAL = "accrual", _("返佣")
        CLAWBACK = "clawback", _("追回")

    statement = models.ForeignKey(
        CommissionStatement, on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    commission = models.OneToOneField(
        Commission, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_line"
    )
    clawback = models.OneToOneField(
        CommissionClawback,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_line",
    )
    contract_ref = models.CharField(_("合同号"), max_length=64)
    event_date = models.DateField(_("日期"))
    amount_financed = models.DecimalField(_("融资额"), max_digits=18, decimal_places=2)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("结算单明细")
        verbose_name_plural = _("结算单明细")
        ordering = ["event_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="accrual", commission__isnull=False, clawback__isnull=True)
                    | Q(kind="clawback", commission__isnull=True, clawback__isnull=False)
                ),
                name="statement_line_one_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_ref} {self.amount}"


class GradingPolicy(models.Model):
    """Weights, good/bad bounds, alert thresholds and grade cut-offs; one active version.

    metrics: {name: {"weight": n, "good": x, "bad": y, "alert": z}} — a metric scores 100 at
    `good` and 0 at `bad` (linear between, clamped); an alert fires when it is on the bad side
    of `alert`. cutoffs: {"A": 85, "B": 70, "C": 50}: the lowest score of each grade; below C is D.
    """

    version = models.PositiveIntegerField(_("版本"), unique=True)
    active = models.BooleanField(_("生效"), default=False)
    metrics = models.JSONField(_("指标与权重"))
    cutoffs = models.JSONField(_("等级分数线"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道评级策略")
        verbose_name_plural = _("渠道评级策略")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_grading_policy"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class DealerGrade(models.Model):
    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="grades"
    )
    as_of = models.DateField(_("评级日"))
    policy = models.ForeignKey(GradingPolicy, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    grade = models.CharField(_("渠道评级"), max_length=1, choices=Grade.choices)
    inputs = models.JSONField(_("输入指标"))
    contributions = models.JSONField(_("各指标得分"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道评级")
        verbose_name_plural = _("渠道评级")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "as_of"], name="one_grade_per_dealer_day")
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.as_of} {self.grade}"


class DealerAlert(models.Model):
    class Kind(models.TextChoices):
        GRADE_DROP = "grade_drop", _("评级下调")
        METRIC = "metric", _("指标越限")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    metric = models.CharField(_("指标"), max_length=50, blank=True)
    as_of = models.DateField(_("日期"))
    message = models.CharField(_("内容"), max_length=300)
    data = models.JSONField(default=dict, blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("渠道预警")
        verbose_name_plural = _("渠道预警")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "as_of", "kind", "metric"], name="one_alert_per_event"
            )
        ]

    def __str__(self) -> str:
        return self.message


class DealerMonthlyKpi(models.Model):
    """Figures origination and servicing hand in for one dealer and month."""

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.CASCADE, related_name="kpis"
    )
    month = models.DateField(_("月份"))
    figures = models.JSONField(_("指标"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("经销商月度指标")
        verbose_name_plural = _("经销商月度指标")
        ordering = ["dealer_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month"], name="one_kpi_row_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="kpi_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m}"
