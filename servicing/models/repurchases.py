"""Recourse (回购): a dealer buying back a loan it sold, at the loan's outstanding balance.

A `Repurchase` is requested by a finance maker on a ground (a proven fraud, or a first-payment
default the dealer's agreement makes it liable for) and approved by a checker who is not the
maker. The approval is the repurchase date: the loan's receivables move to the dealer's
`recourse_receivable` sub-ledger, its allowance is released and it closes as `repurchased`;
the credit-reporting feed reads that date here (`closed_on`). What the dealer then pays, or
has set against its deposit, is a `RepurchaseCollection`: the dealer's recourse sub-ledger is
the approved amounts less the collections, and equals its ledger balance to the fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2}


class RepurchaseGround(models.TextChoices):
    FRAUD = "fraud", _("欺诈贷款")
    FIRST_PAYMENT_DEFAULT = "fpd", _("首期违约")


class RepurchaseSettlement(models.TextChoices):
    DEALER_PAYS = "dealer_pays", _("经销商付款")
    DEPOSIT = "deposit", _("保证金抵扣")


class RepurchaseStatus(models.TextChoices):
    REQUESTED = "requested", _("待复核")
    DUE = "due", _("待收回")
    SETTLED = "settled", _("已结清")
    REJECTED = "rejected", _("已驳回")


class Repurchase(models.Model):
    loan = models.ForeignKey(
        "servicing.Loan", verbose_name=_("贷款账户"), on_delete=models.PROTECT, related_name="+"
    )
    # Plain id and a snapshot: the dealer lives in the dealers app.
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    dealer_name = models.CharField(_("经销商名称"), max_length=200)
    contract_ref = models.CharField(_("合同编号"), max_length=64)
    ground = models.CharField(_("回购原因"), max_length=12, choices=RepurchaseGround.choices)
    evidence = models.TextField(_("依据说明"))
    settlement = models.CharField(
        _("结算方式"), max_length=12, choices=RepurchaseSettlement.choices
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=RepurchaseStatus.choices, db_index=True
    )
    requested_on = models.DateField(_("申请营业日"))
    # Fixed at approval, the repurchase date (the loan's ledger balances on that day)
    closed_on = models.DateField(_("回购日"), null=True, blank=True)
    principal = models.DecimalField(_("本金"), default=0, **MONEY)
    interest = models.DecimalField(_("利息"), default=0, **MONEY)
    fee = models.DecimalField(_("费用"), default=0, **MONEY)
    penalty = models.DecimalField(_("罚息"), default=0, **MONEY)
    amount = models.DecimalField(_("回购金额"), default=0, **MONEY)
    allowance_released = models.DecimalField(_("转回减值准备"), default=0, **MONEY)
    collected = models.DecimalField(_("已收回"), default=0, **MONEY)
    journal_entry_id = models.BigIntegerField(_("回购分录"), null=True, blank=True, unique=True)
    requested_by = models.ForeignKey(
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
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("经销商回购")
        verbose_name_plural = _("经销商回购")
        ordering = ["-id"]
        constraints = [
            # one live repurchase per loan (a rejected one may be asked again)
            models.UniqueConstraint(
                fields=["loan"], condition=~Q(status="rejected"), name="repurchase_one_per_loan"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="repurchase_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("principal") + F("interest") + F("fee") + F("penalty"))
                & Q(collected__gte=0)
                & Q(collected__lte=F("amount"))
                & Q(allowance_released__gte=0),
                name="repurchase_figures",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "rejected"], collected=0)
                | (
                    Q(status__in=["due", "settled"])
                    & Q(amount__gt=0)
                    & Q(approved_by__isnull=False)
                    & Q(closed_on__isnull=False)
                    & Q(journal_entry_id__isnull=False)
                ),
                name="repurchase_approved_is_booked",
            ),
            models.CheckConstraint(
                condition=~Q(status="settled") | Q(collected=F("amount")),
                name="repurchase_settled_is_collected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_ref} {self.dealer_name}"

    @property
    def outstanding(self):
        return self.amount - self.collected


class RepurchaseCollectionKind(models.TextChoices):
    BANK = "bank", _("银行到账")
    DEPOSIT = "deposit", _("保证金抵扣")
    COMMISSION = "commission", _("返佣抵扣")


class RepurchaseCollection(models.Model):
    repurchase = models.ForeignKey(
        Repurchase, verbose_name=_("回购"), on_delete=models.PROTECT, related_name="collections"
    )
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    kind = models.CharField(_("方式"), max_length=10, choices=RepurchaseCollectionKind.choices)
    # Once per document: the bank's reference, or "repurchase-<id>" for the deposit set-off
    reference = models.CharField(_("凭证"), max_length=80)
    amount = models.DecimalField(_("金额"), **MONEY)
    on = models.DateField(_("营业日"))
    journal_entry_id = models.BigIntegerField(_("分录"), unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("回购款收回")
        verbose_name_plural = _("回购款收回")
        ordering = ["-on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference"], name="repurchase_collection_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="repurchase_collection_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.repurchase_id} {self.kind} {self.amount}"


__all__ = [
    "Repurchase",
    "RepurchaseCollection",
    "RepurchaseCollectionKind",
    "RepurchaseGround",
    "RepurchaseSettlement",
    "RepurchaseStatus",
]
