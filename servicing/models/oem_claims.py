"""OEM interest subsidies (厂商贴息) on the books: the carmaker's agreement, each subsidised
loan's deferral and its recognition/billing periods, the monthly claims with their lines and the
OEM's receipts.

Three accounts carry the money (the pairs are documented in docs/integrations.md "OEM claims"):
`oem_subsidy_unbilled` (asset, per loan: the subsidy agreed but not yet claimed),
`oem_subsidy_deferred` (liability, per loan: the subsidy not yet earned) and
`oem_subsidy_receivable` (asset, no sub-ledger key: what has been claimed and is unpaid).
`OemSubsidyPeriod` rows are the sub-ledger of the first two, `OemClaim` of the third.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 9, "decimal_places": 6}


class EarlySettlementOption(models.TextChoices):
    """What the OEM agreement says happens to the rest of the subsidy when a loan ends early
    (early settlement or charge-off)."""

    KEEPS_PAYING = "keeps_paying", _("厂商继续按原计划支付")
    STOPS = "stops", _("贴息停止")
    CLAWBACK = "clawback", _("厂商追回已付贴息")


class OemAgreement(models.Model):
    """The carmaker that pays a product's subsidy (named by the product's `subsidy_payer`)."""

    name = models.CharField(_("厂商名称"), max_length=100, unique=True)
    taxpayer_id = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=40, blank=True)
    early_settlement_option = models.CharField(
        _("提前结清贴息处理"),
        max_length=16,
        choices=EarlySettlementOption.choices,
        default=EarlySettlementOption.STOPS,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("厂商贴息协议")
        verbose_name_plural = _("厂商贴息协议")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OemSubsidyStatus(models.TextChoices):
    ACTIVE = "active", _("贴息中")
    ENDED = "ended", _("已结束")


class OemSubsidy(models.Model):
    """A subsidised loan's subsidy: the amount deferred at funding and what became of it."""

    loan = models.OneToOneField(
        "servicing.Loan", verbose_name=_("贷款账户"), on_delete=models.PROTECT,
        related_name="oem_subsidy",
    )  # fmt: skip
    agreement = models.ForeignKey(
        OemAgreement, verbose_name=_("厂商"), on_delete=models.PROTECT, related_name="subsidies"
    )
    amount = models.DecimalField(_("贴息总额"), **MONEY)
    customer_rate = models.DecimalField(_("客户利率"), **RATE)
    lender_rate = models.DecimalField(_("资金方利率"), **RATE)
    funded_on = models.DateField(_("放款营业日"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OemSubsidyStatus.choices, default=OemSubsidyStatus.ACTIVE
    )
    ended_on = models.DateField(_("结束日"), null=True, blank=True)
    end_option = models.CharField(
        _("结束处理"), max_length=16, choices=EarlySettlementOption.choices, blank=True
    )

    class Meta:
        verbose_name = _("贷款贴息")
        verbose_name_plural = _("贷款贴息")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="oem_subsidy_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}:{self.loan_id}"


class OemSubsidyPeriod(models.Model):
    """One instalment period's share of the subsidy by the effective-interest method:
    recognised day by day over (start, end], claimed from the OEM in the month `end` falls in."""

    subsidy = models.ForeignKey(
        OemSubsidy, verbose_name=_("贷款贴息"), on_delete=models.PROTECT, related_name="periods"
    )
    loan_id = models.BigIntegerField(_("贷款账户"))
    seq = models.PositiveSmallIntegerField(_("期数"))
    start = models.DateField(_("起日"))
    end = models.DateField(_("止日"))
    amount = models.DecimalField(_("本期贴息"), **MONEY)
    recognised = models.DecimalField(_("已确认"), default=0, **MONEY)
    # null until claimed; `billed` false with `cancelled` true: stopped before it was claimed
    claim_line = models.ForeignKey(
        "servicing.OemClaimLine", verbose_name=_("索赔明细"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="periods",
    )  # fmt: skip
    cancelled = models.BooleanField(_("已停止"), default=False)

    class Meta:
        verbose_name = _("贴息期间")
        verbose_name_plural = _("贴息期间")
        ordering = ["loan_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["subsidy", "seq"], name="oem_period_once"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="oem_period_dates"),
            models.CheckConstraint(
                condition=Q(recognised__gte=0, recognised__lte=F("amount")),
                name="oem_period_recognised_within",
            ),
        ]
        indexes = [models.Index(fields=["loan_id", "end"], name="oem_period_loan_end")]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.seq}"


class OemClaimStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发送")
    CONFIRMED = "confirmed", _("已确认")
    PARTLY_DISPUTED = "partly_disputed", _("部分争议")
    PAID = "paid", _("已回款")


class OemClaim(models.Model):
    """One claim per OEM per month: the subsidy of the periods that fell due in it."""

    agreement = models.ForeignKey(
        OemAgreement, verbose_name=_("厂商"), on_delete=models.PROTECT, related_name="claims"
    )
    month = models.DateField(_("所属月份"))  # the first of the month
    claimed_on = models.DateField(_("索赔日"))
    status = models.CharField(
        _("状态"), max_length=16, choices=OemClaimStatus.choices, default=OemClaimStatus.DRAFT
    )
    total = models.DecimalField(_("索赔金额"), default=0, **MONEY)
    # the OEM's figure accepted below ours (dispute resolved by accepting it)
    written_down = models.DecimalField(_("争议核减"), default=0, **MONEY)
    # subsidy the OEM took back on loans ended early under the clawback option, netted here
    clawed_back = models.DecimalField(_("厂商追回"), default=0, **MONEY)
    received = models.DecimalField(_("已回款"), default=0, **MONEY)
    reference = models.CharField(_("厂商受理号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("厂商贴息索赔")
        verbose_name_plural = _("厂商贴息索赔")
        ordering = ["-month", "agreement_id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "month"], name="oem_claim_once_a_month"),
            models.CheckConstraint(
                condition=Q(received__gte=0, written_down__gte=0, clawed_back__gte=0)
                & Q(received__lte=F("total") - F("written_down")),
                name="oem_claim_received_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}:{self.month:%Y-%m}"

    @property
    def outstanding(self):
        return self.total - self.written_down - self.clawed_back - self.received


class OemClaimLineStatus(models.TextChoices):
    PENDING = "pending", _("待厂商确认")
    CONFIRMED = "confirmed", _("已确认")
    DISPUTED = "disputed", _("有争议")
    ACCEPTED = "accepted", _("按厂商金额确认")


class OemClaimLine(models.Model):
    claim = models.ForeignKey(
        OemClaim, verbose_name=_("索赔单"), on_delete=models.PROTECT, related_name="lines"
    )
    loan_id = models.BigIntegerField(_("贷款账户"))
    contract_ref = models.CharField(_("合同编号"), max_length=64)
    vin = models.CharField(_("车架号"), max_length=17, blank=True)
    customer_rate = models.DecimalField(_("客户利率"), **RATE)
    lender_rate = models.DecimalField(_("资金方利率"), **RATE)
    amount = models.DecimalField(_("本期贴息"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=12, choices=OemClaimLineStatus.choices,
        default=OemClaimLineStatus.PENDING,
    )  # fmt: skip
    oem_amount = models.DecimalField(_("厂商核定金额"), null=True, blank=True, **MONEY)
    dispute_reason = models.CharField(_("争议原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("贴息索赔明细")
        verbose_name_plural = _("贴息索赔明细")
        ordering = ["claim_id", "contract_ref"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "loan_id"], name="oem_claim_line_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="oem_claim_line_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return self.contract_ref


class OemClaimReceipt(models.Model):
    """Money the OEM paid against a claim (seen on the bank statement)."""

    claim = models.ForeignKey(
        OemClaim, verbose_name=_("索赔单"), on_delete=models.PROTECT, related_name="receipts"
    )
    amount = models.DecimalField(_("回款金额"), **MONEY)
    bank_ref = models.CharField(_("银行流水号"), max_length=64, unique=True)
    received_on = models.DateField(_("到账营业日"))
    created_by_label = models.CharField(_("登记人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("贴息回款")
        verbose_name_plural = _("贴息回款")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="oem_receipt_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return self.bank_ref


__all__ = [
    "EarlySettlementOption",
    "OemAgreement",
    "OemClaim",
    "OemClaimLine",
    "OemClaimLineStatus",
    "OemClaimReceipt",
    "OemClaimStatus",
    "OemSubsidy",
    "OemSubsidyPeriod",
    "OemSubsidyStatus",
]
