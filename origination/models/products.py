"""Products and their versions (immutable once published), and the choices pricing speaks in.
The rate tables, the LPR and the regulatory limits are in ``rates``; saved quotes in ``quotes``.

A product's rules live on a ``ProductVersion``. The product manager edits a *draft* version
(scalar fields, JSON lists and ``RateTableEntry`` rows); publishing freezes it: the rules are
copied into the ``rules`` JSON snapshot that quotes are priced on, and database triggers (see
migration 0002) refuse any later change to a published version or its rate rows. Editing a
published product opens a new draft numbered max + 1.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.quoting.rules import ProductRules


class VehicleKind(models.TextChoices):
    NEW = "new", _("新车")
    USED = "used", _("二手车")
    NEV = "nev", _("新能源车")
    COMMERCIAL = "commercial", _("商用车")


class VehicleUse(models.TextChoices):
    PERSONAL = "personal", _("自用")
    COMMERCIAL = "commercial", _("营运")


class ContractType(models.TextChoices):
    LOAN = "loan", _("贷款")
    DIRECT_LEASE = "direct_lease", _("直租")
    SALE_LEASEBACK = "sale_leaseback", _("售后回租")


class RepaymentMethod(models.TextChoices):
    EQUAL_INSTALMENT = "equal_instalment", _("等额本息")
    EQUAL_PRINCIPAL = "equal_principal", _("等额本金")
    INTEREST_ONLY = "interest_only", _("先息后本")
    BALLOON = "balloon", _("弹性尾款")


class DayCountChoice(models.TextChoices):
    THIRTY_360 = "30/360", _("30/360")
    ACT_365F = "ACT/365F", _("ACT/365F")


class Tier(models.TextChoices):
    A = "A", _("A 类")
    B = "B", _("B 类")
    C = "C", _("C 类")
    D = "D", _("D 类")


class RateBasis(models.TextChoices):
    FIXED = "fixed", _("固定利率")
    LPR = "lpr", _("LPR 加点")


class LprTenor(models.TextChoices):
    ONE_YEAR = "1y", _("1 年期")
    FIVE_YEAR = "5y", _("5 年期以上")


class FeeKind(models.TextChoices):
    HANDLING = "handling", _("手续费")
    GPS = "gps", _("GPS 费")
    MORTGAGE_REGISTRATION = "mortgage_registration", _("抵押登记费")


class ItemKind(models.TextChoices):
    PURCHASE_TAX = "purchase_tax", _("购置税")
    INSURANCE = "insurance", _("保险")
    WARRANTY = "warranty", _("延保")
    ACCESSORIES = "accessories", _("精品加装")


class PayeeType(models.TextChoices):
    TAX_AUTHORITY = "tax_authority", _("税务机关")
    INSURER = "insurer", _("保险公司")
    DEALER = "dealer", _("经销商")
    WARRANTY_PROVIDER = "warranty_provider", _("延保服务商")
    SERVICE_CENTRE = "service_centre", _("维修保养服务商")


class ProductPurpose(models.TextChoices):
    """What a product finances. A car (its price, LTV, mortgage and GPS rules), or — for an
    existing customer's financed car — its maintenance at a partner service centre (保养分期) or
    its insurance renewal: small unsecured instalments paid to that payee, no LTV, no mortgage,
    no GPS (docs/offers.md). Never cash to the customer."""

    VEHICLE = "vehicle", _("购车")
    MAINTENANCE = "maintenance", _("保养分期")
    INSURANCE_RENEWAL = "insurance_renewal", _("续保分期")


def choices_q(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class Product(models.Model):
    code = models.SlugField(_("产品代码"), max_length=40, unique=True)
    name = models.CharField(_("产品名称"), max_length=100)
    vehicle_kind = models.CharField(_("产品线"), max_length=20, choices=VehicleKind.choices)
    contract_type = models.CharField(_("合同类型"), max_length=20, choices=ContractType.choices)
    secured = models.BooleanField(_("车辆抵押"), default=True)
    purpose = models.CharField(
        _("融资用途"), max_length=20, choices=ProductPurpose.choices, default=ProductPurpose.VEHICLE
    )
    description = models.TextField(_("产品说明"), blank=True)
    is_active = models.BooleanField(_("在售"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=choices_q("vehicle_kind", VehicleKind), name="product_vehicle_kind_valid"
            ),
            models.CheckConstraint(
                condition=choices_q("contract_type", ContractType),
                name="product_contract_type_valid",
            ),
            models.CheckConstraint(
                condition=choices_q("purpose", ProductPurpose), name="product_purpose_valid"
            ),
            # maintenance and insurance credit take no security over the car (no mortgage)
            models.CheckConstraint(
                condition=Q(purpose="vehicle") | Q(secured=False, contract_type="loan"),
                name="product_purpose_unsecured_loan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class ProductVersion(models.Model):
    """One version of a product's rules. Published versions are immutable (database triggers)."""

    product = models.ForeignKey(
        Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    change_note = models.CharField(_("变更说明"), max_length=200, blank=True)

    terms = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("可选期限（月）"))
    max_term_months = models.PositiveSmallIntegerField(_("最长期限（月）"))
    methods = ArrayField(
        models.CharField(max_length=20, choices=RepaymentMethod.choices),
        verbose_name=_("还款方式"),
    )
    balloon_ratio_min = models.DecimalField(
        _("尾款比例下限"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    balloon_ratio_max = models.DecimalField(
        _("尾款比例上限"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    ltv_rules = models.JSONField(
        _("首付与贷款价值比规则"),
        default=list,
        help_text=_(
            '按车辆类型与用途：[{"vehicle_kind": "new", "vehicle_use": "personal", '
            '"min_down_payment_ratio": "0.20", "max_ltv": "0.80"}]'
        ),
    )
    amount_min = models.DecimalField(_("最低融资额"), max_digits=18, decimal_places=2)
    amount_max = models.DecimalField(_("最高融资额"), max_digits=18, decimal_places=2)
    day_count = models.CharField(
        _("计息基础"), max_length=10, choices=DayCountChoice.choices, default="30/360"
    )
    rate_basis = models.CharField(
        _("定价方式"), max_length=10, choices=RateBasis.choices, default=RateBasis.FIXED
    )
    lpr_tenor = models.CharField(_("LPR 期限"), max_length=2, choices=LprTenor.choices, blank=True)
    fees = models.JSONField(
        _("费用"),
        default=list,
        blank=True,
        help_text=_(
            '[{"fee_kind": "handling", "basis": "percent", "value": "0.01", "financed": true}]；'
            "basis 为 percent（车款融资额与附加品之和的比例）或 fixed（固定金额）"
        ),
    )
    penalty_markup = models.DecimalField(
        _("罚息上浮比例"),
        max_digits=5,
        decimal_places=4,
        default="0.5000",
        help_text=_("罚息利率 = 合同利率 ×（1 + 上浮比例）"),
    )
    lock_in_months = models.PositiveSmallIntegerField(_("提前结清锁定期（月）"), default=0)
    early_settlement_fee_rate = models.DecimalField(
        _("提前结清手续费率"), max_digits=5, decimal_places=4, default="0.0000"
    )
    subsidy_customer_rate = models.DecimalField(
        _("贴息后客户利率"),
        max_digits=7,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("厂商贴息：客户支付的年利率（如 0 表示零利率），利率表为资金方收益率"),
    )
    subsidy_terms = ArrayField(
        models.PositiveSmallIntegerField(),
        verbose_name=_("贴息期限（月）"),
        default=list,
        blank=True,
        help_text=_("留空表示全部期限"),
    )
    subsidy_payer = models.CharField(_("贴息厂商"), max_length=100, blank=True)
    financed_items = models.JSONField(
        _("可融资附加品"),
        default=list,
        blank=True,
        help_text=_(
            '[{"item_kind": "insurance", "payee_type": "insurer", "cap_amount": "15000.00", '
            '"cap_ratio": null}]'
        ),
    )
    waterfall = models.JSONField(
        _("还款冲抵顺序"),
        default=list,
        blank=True,
        help_text=_(
            '留空为默认顺序（罚息→费用→逾期利息→逾期本金→当期）；"by_instalment" 为逐期冲抵；'
            '或按顺序列出：["penalty", "fee", "interest", "principal"]'
        ),
    )
    leaseback_title = models.CharField(
        _("回租车辆权属"), max_length=10, blank=True,
        choices=[("transfer", _("过户至出租人")), ("mortgage", _("抵押登记给出租人"))],
        help_text=_("售后回租产品：车辆过户至出租人，或办理抵押登记；其他产品留空"),
    )  # fmt: skip
    rules = models.JSONField(_("规则快照"), default=dict, blank=True, editable=False)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("产品版本")
        verbose_name_plural = _("产品版本")
        ordering = ["product", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="product_version_number"),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="draft"),
                name="product_version_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(status="published") & Q(published_at__isnull=False) & ~Q(rules={})),
                name="product_version_published_has_snapshot",
            ),
            models.CheckConstraint(
                condition=Q(amount_min__gt=0) & Q(amount_max__gt=models.F("amount_min")),
                name="product_version_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    def rules_build(self) -> dict:
        """The rules as a snapshot dict, from this version's fields and rate rows."""
        product = self.product
        rate_key = "annual_rate" if self.rate_basis == RateBasis.FIXED else "spread_bps"
        rates = []
        for entry in self.rate_entries.order_by("term_months", "tier"):
            value = entry.annual_rate if rate_key == "annual_rate" else entry.spread_bps
            if value is not None:
                rates.append(
                    {"term_months": entry.term_months, "tier": entry.tier, rate_key: str(value)}
                )
        data = {
            "product_code": product.code,
            "product_name": product.name,
            "version": self.number,
            "vehicle_kind": product.vehicle_kind,
            "contract_type": product.contract_type,
            "secured": product.secured,
            "purpose": product.purpose,
            "terms": sorted(self.terms or []),
            "max_term_months": self.max_term_months,
            "methods": list(self.methods or []),
            "balloon_ratio_min": _s(self.balloon_ratio_min),
            "balloon_ratio_max": _s(self.balloon_ratio_max),
            "ltv_rules": self.ltv_rules or [],
            "amount_min": _s(self.amount_min),
            "amount_max": _s(self.amount_max),
            "day_count": self.day_count,
            "rate_basis": self.rate_basis,
            "lpr_tenor": self.lpr_tenor or None,
            "rates": rates,
            "fees": self.fees or [],
            "penalty_markup": _s(self.penalty_markup),
            "lock_in_months": self.lock_in_months,
            "early_settlement_fee_rate": _s(self.early_settlement_fee_rate),
            "subsidy": (
                {
                    "customer_rate": _s(self.subsidy_customer_rate),
                    "terms": sorted(self.subsidy_terms or []),
                    "payer": self.subsidy_payer,
                }
                if self.subsidy_customer_rate is not None
                else None
            ),
            "financed_items": self.financed_items or [],
            "waterfall": self.waterfall or [],
            "leaseback_title": self.leaseback_title
            or ("mortgage" if product.contract_type == "sale_leaseback" else ""),
        }
        # Normalise through the parser so the snapshot has one canonical shape.
        return ProductRules.from_dict(data).as_dict()

    def current_rules(self) -> dict:
        return self.rules if self.is_published else self.rules_build()


def _s(value) -> str | None:
    return None if value is None else str(value)
