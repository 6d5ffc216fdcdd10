"""Agreements (commission terms, deposit) and the commissions, clawbacks and monthly
statements they give rise to."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from dealers.models.dealers import Dealer, ProductLine


class DateRange(Func):
    """PostgreSQL's daterange(): Agreement's no-overlap exclusion constraint compares them."""

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
    # 首期违约回购: the dealer buys back a loan it sold whose first instalment defaults
    # (servicing.recourse_fpd_days); a proven fraud is bought back whatever this says
    recourse_fpd = models.BooleanField(_("首期违约回购"), default=False)
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
    # the application's salesperson as the funder named them: dealers may not read origination,
    # and a statement must keep the name it was earned under
    salesperson_name = models.CharField(_("销售顾问"), max_length=100, blank=True)
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
    """A dealer's month, frozen when issued: its number, period, lines and figures never change
    afterwards (trigger dealers_statement_frozen); only its payment is recorded on it.

    net_amount = total (this month's accruals and clawbacks) + brought_forward (what the dealer
    still owed from the previous statement, <= 0). A positive net is paid out (待付 → 已付); a
    negative one is owed by the dealer and carried into the next statement (结转)."""

    class PayStatus(models.TextChoices):
        PENDING = "pending", _("待付")
        PAID = "paid", _("已付")
        CARRIED = "carried", _("结转下期")
        NIL = "nil", _("无应付")

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("经销商"), on_delete=models.PROTECT, related_name="statements"
    )
    number = models.CharField(_("结算单号"), max_length=32, unique=True)
    month = models.DateField(_("月份"))  # first day of the month
    accrued_total = models.DecimalField(
        _("本月返佣"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    clawback_total = models.DecimalField(
        _("本月追回"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("合计"), max_digits=18, decimal_places=2)
    brought_forward = models.DecimalField(
        _("上期结转应收"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    net_amount = models.DecimalField(
        _("应付净额"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    carried_from = models.OneToOneField(
        "self",
        verbose_name=_("结转自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="carried_into",
    )
    pay_status = models.CharField(
        _("付款状态"), max_length=10, choices=PayStatus.choices, default=PayStatus.PENDING
    )
    paid_on = models.DateField(_("付款日"), null=True, blank=True)
    bank_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    # Of a carried debt (net < 0), what the dealer has since settled outside commission (a
    # departing dealer's deposit set against it, servicing): brought forward net of it.
    debt_settled = models.DecimalField(
        _("已抵扣结转欠款"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("返佣结算单")
        verbose_name_plural = _("返佣结算单")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month"], name="one_statement_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="statement_month_first_day"),
            models.CheckConstraint(
                condition=Q(accrued_total__gte=0)
                & Q(clawback_total__lte=0)
                & Q(total=F("accrued_total") + F("clawback_total"))
                & Q(brought_forward__lte=0)
                & Q(net_amount=F("total") + F("brought_forward")),
                name="statement_figures_add_up",
            ),
            models.CheckConstraint(
                condition=(Q(pay_status="pending") & Q(net_amount__gt=0) & Q(paid_on__isnull=True))
                | (
                    Q(pay_status="paid")
                    & Q(net_amount__gt=0)
                    & Q(paid_on__isnull=False)
                    & ~Q(bank_ref="")
                )
                | (Q(pay_status="carried") & Q(net_amount__lt=0) & Q(paid_on__isnull=True))
                | (Q(pay_status="nil") & Q(net_amount=0) & Q(paid_on__isnull=True)),
                name="statement_pay_status_matches_net",
            ),
            models.CheckConstraint(
                condition=Q(debt_settled=0)
                | (
                    Q(pay_status="carried")
                    & Q(debt_settled__gt=0)
                    & Q(debt_settled__lte=-F("net_amount"))
                ),
                name="statement_debt_settled_within_debt",
            ),
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
