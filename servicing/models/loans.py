"""Loan accounts (贷款账户), their repayment schedules, status history, notes, payoff quotes and
mortgage releases.

A loan's schedule is the set of `LoanScheduleRow`s that are not superseded. A partial prepayment,
an early settlement or a restructure writes a new `schedule_version`: the unpaid rows of the old
version are kept and marked `superseded_by_version`, and the new rows carry the new version, so
version v of the schedule is always `rows with schedule_version <= v and (superseded_by_version is
null or > v)` (see `Loan.schedule_rows_of_version`).

Money columns are fen-exact DecimalFields; the accrual remainder (interest accrued but not yet
posted, below a fen) keeps 10 places.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from origination.models.products import ContractType
from servicing import loan_rules
from servicing.memos import memo_display

MONEY = {"max_digits": 18, "decimal_places": 2}


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    OVERDUE = "overdue", _("逾期")
    RESTRUCTURED = "restructured", _("已重组")
    SETTLED_EARLY = "settled_early", _("提前结清")
    PAID_OFF = "paid_off", _("已还清")
    CHARGED_OFF = "charged_off", _("已核销")
    REPURCHASED = "repurchased", _("已回购")


# Which statuses are closed is a servicing rule with one home (servicing.loan_rules).
CLOSED_STATUSES = loan_rules.CLOSED_STATUSES


class CollateralStatus(models.TextChoices):
    PENDING = "pending", _("待办理")
    DONE = "done", _("已办理")
    OVERDUE = "overdue", _("已超期")
    RELEASED = "released", _("已解除")
    NOT_REQUIRED = "not_required", _("无需办理")


class RateBasis(models.TextChoices):
    FIXED = "fixed", _("固定利率")
    LPR = "lpr", _("LPR 浮动利率")


class Loan(models.Model):
    contract_ref = models.CharField(_("合同编号"), max_length=64, unique=True)
    application_id = models.BigIntegerField(_("申请编号"), null=True, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="loans",
    )
    # Plain ids: the loan is created from plain values by the disbursement code; the rules it
    # was priced on are snapshotted in `product_rules`.
    product_version_id = models.BigIntegerField(_("产品版本"), null=True, blank=True)
    product_rules = models.JSONField(_("产品规则快照"), default=dict, blank=True)
    # loan, 直租 or 售后回租 (the product's, snapshotted): one ledger key, one batch and one set
    # of reports for all three; what differs for a lease is in servicing.services.leases
    contract_type = models.CharField(
        _("合同类型"),
        max_length=20,
        choices=ContractType.choices,
        default=ContractType.LOAN,
        db_default=ContractType.LOAN,  # rows written in SQL (benches, bulk loads) are loans
    )
    dealer_id = models.BigIntegerField(_("经销商"), null=True, blank=True, db_index=True)

    amount_financed = models.DecimalField(_("融资额"), **MONEY)
    annual_rate = models.DecimalField(_("合同年利率"), max_digits=9, decimal_places=6)
    customer_rate = models.DecimalField(
        _("客户年利率"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    penalty_rate = models.DecimalField(_("罚息年利率"), max_digits=9, decimal_places=6)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    method = models.CharField(_("还款方式"), max_length=20)
    value_date = models.DateField(_("起息日"))
    first_due_date = models.DateField(_("首期还款日"))
    day_count = models.CharField(_("计息基础"), max_length=10)
    balloon_amount = models.DecimalField(_("尾款"), default=0, **MONEY)
    fee_per_instalment = models.DecimalField(_("每期费用"), default=0, **MONEY)
    fees = models.JSONField(_("费用明细"), default=list, blank=True)
    payees = models.JSONField(_("收款方"), default=list, blank=True)

    # collateral (车辆与抵押)
    vehicle = models.CharField(_("车辆"), max_length=200, blank=True)
    vin = models.CharField(_("车架号"), max_length=17, blank=True, db_index=True)
    plate = models.CharField(_("车牌号"), max_length=20, blank=True)
    mortgage_status = models.CharField(
        _("抵押登记状态"),
        max_length=16,
        choices=CollateralStatus.choices,
        default=CollateralStatus.PENDING,
    )
    mortgage_deadline = models.DateField(_("抵押登记期限"), null=True, blank=True)
    gps_status = models.CharField(
        _("GPS 安装状态"),
        max_length=16,
        choices=CollateralStatus.choices,
        default=CollateralStatus.PENDING,
    )
    gps_deadline = models.DateField(_("GPS 安装期限"), null=True, blank=True)

    status = models.CharField(
        _("状态"), max_length=16, choices=LoanStatus.choices, default=LoanStatus.ACTIVE
    )
    status_date = models.DateField(_("状态变更营业日"))
    schedule_version = models.PositiveSmallIntegerField(_("还款计划版本"), default=1)
    restructure_count = models.PositiveSmallIntegerField(_("重组次数"), default=0)
    closed_on = models.DateField(_("结清日"), null=True, blank=True)

    # Cached figures, changed only under the loan's row lock together with the ledger postings
    # (tests check them against the ledger's loan balances).
    principal_outstanding = models.DecimalField(_("剩余本金"), **MONEY)
    suspense_balance = models.DecimalField(_("溢缴款余额"), default=0, **MONEY)
    # Interest accrual (计提): through which day; what of the current period is posted; the
    # accrued-but-unposted remainder below a fen (full precision).
    accrued_through = models.DateField(_("计提至"))
    accrual_period_posted = models.DecimalField(_("本期已计提利息"), default=0, **MONEY)
    accrual_remainder = models.DecimalField(
        _("未入账计提尾数"), max_digits=20, decimal_places=10, default=0
    )
    # The rate the schedule in force is priced on (the customer's rate; a restructure may change it).
    schedule_rate = models.DecimalField(_("执行年利率"), max_digits=9, decimal_places=6)
    # A floating-rate loan (LPR 加点): the rate is the LPR of `lpr_tenor` plus the contract's
    # spread, reset on each anniversary of the value date (重定价日); the nightly batch reprices
    # it on the first due date on or after `next_repricing_date` (see servicing.eod.steps.repricing).
    rate_basis = models.CharField(
        _("利率类型"), max_length=8, choices=RateBasis.choices, default=RateBasis.FIXED
    )
    lpr_tenor = models.CharField(_("LPR 期限"), max_length=2, blank=True)
    lpr_spread_bps = models.IntegerField(_("LPR 加点（基点）"), null=True, blank=True)
    next_repricing_date = models.DateField(_("下一重定价日"), null=True, blank=True)

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("贷款账户")
        verbose_name_plural = _("贷款账户")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="loan_status"),
            models.Index(
                fields=["next_repricing_date", "id"],
                name="loan_repricing_due",
                condition=Q(rate_basis="lpr"),
            ),
        ]
        permissions = [("restructure_loan", "可办理贷款重组（展期）")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_financed__gt=0), name="loan_amount_financed_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(contract_type__in=ContractType.values), name="loan_contract_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(principal_outstanding__gte=0), name="loan_principal_outstanding_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(suspense_balance__gte=0), name="loan_suspense_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in LoanStatus]), name="loan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(rate_basis="fixed")
                | Q(rate_basis="lpr", lpr_spread_bps__isnull=False, lpr_tenor__in=["1y", "5y"]),
                name="loan_lpr_link_complete",
            ),
            # a signed contract's rates are never negative (a 0 % subsidised one is fine)
            models.CheckConstraint(
                condition=Q(annual_rate__gte=0, schedule_rate__gte=0, penalty_rate__gte=0),
                name="loan_rates_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return self.contract_ref

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def schedule_rows(self):
        """The schedule in force: rows not superseded, by instalment number."""
        return self.schedule.filter(superseded_by_version__isnull=True).order_by("instalment_no")

    def schedule_rows_of_version(self, version: int):
        return (
            self.schedule.filter(schedule_version__lte=version)
            .filter(Q(superseded_by_version__isnull=True) | Q(superseded_by_version__gt=version))
            .order_by("instalment_no")
        )


class RowStatus(models.TextChoices):
    PENDING = "pending", _("未到期")
    DUE = "due", _("已到期")
    PARTIALLY_PAID = "partially_paid", _("部分还款")
    PAID = "paid", _("已还清")
    OVERDUE = "overdue", _("逾期")


class LoanScheduleRow(models.Model):
    loan = models.ForeignKey(
        Loan, verbose_name=_("贷款账户"), on_delete=models.PROTECT, related_name="schedule"
    )
    schedule_version = models.PositiveSmallIntegerField(_("计划版本"))
    superseded_by_version = models.PositiveSmallIntegerField(
        _("被替代的版本"), null=True, blank=True
    )
    instalment_no = models.PositiveSmallIntegerField(_("期数"))
    due_date = models.DateField(_("还款日"))
    # Interest for this row runs from accrual_start (exclusive) to due_date (inclusive).
    accrual_start = models.DateField(_("计息起日"))
    opening_balance = models.DecimalField(_("期初本金"), **MONEY)
    principal = models.DecimalField(_("本金"), **MONEY)
    interest = models.DecimalField(_("利息"), **MONEY)
    fee = models.DecimalField(_("费用"), **MONEY)
    instalment = models.DecimalField(_("期供"), **MONEY)
    closing_balance = models.DecimalField(_("期末本金"), **MONEY)
    principal_paid = models.DecimalField(_("已还本金"), default=0, **MONEY)
    interest_paid = models.DecimalField(_("已还利息"), default=0, **MONEY)
    fee_paid = models.DecimalField(_("已还费用"), default=0, **MONEY)
    penalty = models.DecimalField(_("罚息"), default=0, **MONEY)
    penalty_paid = models.DecimalField(_("已还罚息"), default=0, **MONEY)
    status = models.CharField(
        _("状态"), max_length=16, choices=RowStatus.choices, default=RowStatus.PENDING
    )
    paid_on = models.DateField(_("还清日"), null=True, blank=True)
    penalty_through = models.DateField(_("罚息计至"), null=True, blank=True)

    class Meta:
        verbose_name = _("还款计划行")
        verbose_name_plural = _("还款计划行")
        ordering = ["loan_id", "instalment_no", "schedule_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "schedule_version", "instalment_no"], name="schedule_row_unique"
            ),
            models.CheckConstraint(
                condition=Q(instalment=F("principal") + F("interest") + F("fee")),
                name="schedule_row_instalment_sum",
            ),
            models.CheckConstraint(
                condition=Q(principal_paid__gte=0, principal_paid__lte=F("principal"))
                & Q(interest_paid__gte=0, interest_paid__lte=F("interest"))
                & Q(fee_paid__gte=0, fee_paid__lte=F("fee"))
                & Q(penalty_paid__gte=0, penalty_paid__lte=F("penalty")),
                name="schedule_row_paid_within_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.instalment_no} v{self.schedule_version}"

    @property
    def principal_unpaid(self):
        return self.principal - self.principal_paid

    @property
    def interest_unpaid(self):
        return self.interest - self.interest_paid

    @property
    def fee_unpaid(self):
        return self.fee - self.fee_paid

    @property
    def penalty_unpaid(self):
        return self.penalty - self.penalty_paid

    @property
    def amount_unpaid(self):
        return self.principal_unpaid + self.interest_unpaid + self.fee_unpaid + self.penalty_unpaid

    @property
    def amount_paid(self):
        return self.principal_paid + self.interest_paid + self.fee_paid + self.penalty_paid


class PenaltyAccrual(models.Model):
    """Penalty interest (罚息) on one overdue row for the days (start, end]: base x daily amount.

    The daily amount is round_half_up(base x penalty rate / 360) to the fen, so n days on an
    unchanged base cost exactly n daily amounts whatever the batch boundaries; a reversal can
    recompute a segment exactly on the restored base.
    """

    row = models.ForeignKey(
        LoanScheduleRow,
        on_delete=models.PROTECT,
        related_name="penalty_accruals",
        # hash-partitioned schedule rows: a guard trigger, not a foreign key (migration 0038)
        db_constraint=False,
    )
    start = models.DateField(_("起（不含）"))
    end = models.DateField(_("止（含）"))
    base = models.DecimalField(_("计罚基数"), **MONEY)
    daily_amount = models.DecimalField(_("日罚息"), **MONEY)
    amount = models.DecimalField(_("罚息"), **MONEY)
    journal_entry_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("罚息计提")
        verbose_name_plural = _("罚息计提")
        ordering = ["row_id", "start", "id"]

    def __str__(self) -> str:
        return f"{self.row_id} {self.start}~{self.end} {self.amount}"


class LoanStatusChange(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    business_date = models.DateField(_("营业日"))
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    actor_label = models.CharField(_("操作人"), max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("贷款状态变更")
        verbose_name_plural = _("贷款状态变更")
        ordering = ["loan_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.from_status} → {self.to_status}"

    def _label(self, code: str) -> str:
        return LoanStatus(code).label if code in LoanStatus.values else code

    @property
    def from_status_label(self) -> str:
        return self._label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return self._label(self.to_status)

    @property
    def reason_display(self) -> str:
        """The reason in the page's language when the system wrote it (servicing.memos)."""
        return memo_display(self.reason)


class LoanNote(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("备注"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("贷款备注")
        verbose_name_plural = _("贷款备注")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:40]


class QuoteStatus(models.TextChoices):
    ISSUED = "issued", _("有效")
    USED = "used", _("已使用")
    EXPIRED = "expired", _("已失效")


class PayoffQuoteRecord(models.Model):
    """An early-settlement quote given to the customer, valid until a date."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payoff_quotes")
    as_of = models.DateField(_("结清日"))
    valid_until = models.DateField(_("有效期至"))
    schedule_version = models.PositiveSmallIntegerField(_("计划版本"))
    paid_instalments = models.PositiveSmallIntegerField(_("已还期数"))
    outstanding_principal = models.DecimalField(_("剩余本金"), **MONEY)
    accrued_interest = models.DecimalField(_("应计利息"), **MONEY)
    early_settlement_fee = models.DecimalField(_("提前结清手续费"), **MONEY)
    total = models.DecimalField(_("结清金额"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.ISSUED
    )
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("提前结清报价")
        verbose_name_plural = _("提前结清报价")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total=F("outstanding_principal")
                    + F("accrued_interest")
                    + F("early_settlement_fee")
                ),
                name="payoff_quote_total_sum",
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.as_of} {self.total}"


class MortgageRelease(models.Model):
    """The task to release the car's mortgage once the loan is closed (解押)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待解押")
        DONE = "done", _("已解押")

    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="mortgage_release")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_on = models.DateField(_("发起营业日"))
    done_on = models.DateField(_("完成日"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("解除抵押任务")
        verbose_name_plural = _("解除抵押任务")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.status}"


class RepricingOutcome(models.TextChoices):
    REPRICED = "repriced", _("已重定价")
    UNCHANGED = "unchanged", _("利率未变")
    SUBSIDISED = "subsidised", _("贴息期内客户利率不变")
    SKIPPED = "skipped", _("未重定价（有提前还款的未到期期供）")


class LoanRepricing(models.Model):
    """One LPR repricing (利率重定价) of a floating-rate loan: the LPR used, the rates before and
    after, and the schedule versions; written by the nightly batch, one per loan and date."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repricings")
    business_date = models.DateField(_("营业日"))
    repricing_date = models.DateField(_("重定价日"))
    lpr_tenor = models.CharField(_("LPR 期限"), max_length=2)
    lpr_rate = models.DecimalField(_("LPR"), max_digits=7, decimal_places=6)
    lpr_effective_date = models.DateField(_("LPR 生效日期"))
    spread_bps = models.IntegerField(_("加点（基点）"))
    old_rate = models.DecimalField(_("原执行年利率"), max_digits=9, decimal_places=6)
    new_rate = models.DecimalField(_("新执行年利率"), max_digits=9, decimal_places=6)
    old_instalment = models.DecimalField(_("原期供"), null=True, blank=True, **MONEY)
    new_instalment = models.DecimalField(_("新期供"), null=True, blank=True, **MONEY)
    old_version = models.PositiveSmallIntegerField(_("原计划版本"))
    new_version = models.PositiveSmallIntegerField(_("新计划版本"))
    outcome = models.CharField(_("结果"), max_length=12, choices=RepricingOutcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("利率重定价")
        verbose_name_plural = _("利率重定价")
        ordering = ["loan_id", "-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "repricing_date"], name="loan_repricing_once_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.repricing_date} {self.old_rate}→{self.new_rate}"


__all__ = [
    "CLOSED_STATUSES",
    "LoanRepricing",
    "RateBasis",
    "RepricingOutcome",
    "CollateralStatus",
    "Loan",
    "LoanNote",
    "LoanScheduleRow",
    "LoanStatus",
    "LoanStatusChange",
    "MortgageRelease",
    "PayoffQuoteRecord",
    "PenaltyAccrual",
    "QuoteStatus",
    "RowStatus",
]
