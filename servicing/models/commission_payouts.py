"""Paying a dealer's monthly commission statement (返佣付款): one `CommissionPayout` per statement
with a positive net, the dealer's VAT invoice (发票) for it, maker-checker release, and the bank
payment under an idempotency key the bank dedupes on, as a disbursement's.

Invariants the database holds:

* one payout per statement (unique statement_id); amount > 0;
* the checker is not the maker (CHECK), and a released or paid payout was approved (CHECK);
* a payout has at most one live key: a new key (attempt_no + 1) exists only after the bank
  confirmed the previous one failed, so a statement is never paid twice;
* a paid payout has its bank reference, pay date and ledger entry (CHECK).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicing.models.outgoing import BankStatus, OutgoingPayment

MONEY = {"max_digits": 18, "decimal_places": 2}


class PayoutStatus(models.TextChoices):
    HELD = "held", _("待发票")  # policy wants the dealer's invoice before it is prepared
    DRAFT = "draft", _("待经办")
    PREPARED = "prepared", _("待复核")
    RELEASED = "released", _("付款中")
    PAID = "paid", _("已付")
    FAILED = "failed", _("付款失败")


class CommissionPayout(OutgoingPayment):
    # Plain ids and a snapshot: the statement and the dealer live in the dealers app.
    statement_id = models.BigIntegerField(_("结算单"), unique=True)
    statement_number = models.CharField(_("结算单号"), max_length=32)
    dealer_id = models.BigIntegerField(_("经销商"), db_index=True)
    dealer_name = models.CharField(_("经销商名称"), max_length=200)
    month = models.DateField(_("月份"))
    accrued_total = models.DecimalField(_("本月返佣"), **MONEY)
    set_off = models.DecimalField(_("抵扣（追回及上期结转）"), **MONEY)
    # What the dealer owes for repurchases (回购), set against this payout: the maker sees it,
    # the checker's release posts it (debt_set_off_on), the bank pays `amount`, the rest.
    debt_set_off = models.DecimalField(_("抵扣回购欠款"), default=0, **MONEY)
    debt_set_off_on = models.DateField(_("欠款抵扣日"), null=True, blank=True)
    amount = models.DecimalField(_("应付净额"), **MONEY)
    status = models.CharField(_("状态"), max_length=10, choices=PayoutStatus.choices, db_index=True)
    # The dealer's VAT invoice for the commission (a service fee).
    invoice_number = models.CharField(_("发票号码"), max_length=40, blank=True)
    invoice_amount = models.DecimalField(_("发票金额（含税）"), null=True, blank=True, **MONEY)
    invoice_tax = models.DecimalField(_("税额"), null=True, blank=True, **MONEY)
    invoice_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发票登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The verified settlement account, snapshotted by the maker and checked again at release.
    account_id = models.BigIntegerField(_("结算账户"), null=True, blank=True)
    account_name = models.CharField(_("户名"), max_length=200, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    account_number_enc = models.TextField(blank=True)
    account_number_masked = models.CharField(_("账号"), max_length=40, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    prepared_at = models.DateTimeField(_("经办时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The business date the current key was released on: the bank's requested date, and the
    # day whose bank statement lists it (reconciliation).
    attempt_no = models.PositiveSmallIntegerField(_("第几次付款"), default=0)
    paid_on = models.DateField(_("付款日"), null=True, blank=True)
    journal_entry_id = models.BigIntegerField(_("付款分录"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("返佣付款")
        verbose_name_plural = _("返佣付款")
        ordering = ["-month", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0)
                & Q(debt_set_off__gte=0)
                & Q(accrued_total__gte=0)
                & Q(set_off__lte=0)
                # nothing left for the bank only when a debt took it all
                & (Q(amount__gt=0) | Q(debt_set_off__gt=0))
                & Q(amount=F("accrued_total") + F("set_off") - F("debt_set_off")),
                name="payout_amount_is_net",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PayoutStatus.values), name="payout_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="payout_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["released", "paid", "failed"])
                | (
                    Q(approved_by__isnull=False)
                    & Q(idempotency_key__isnull=False)
                    & Q(business_date__isnull=False)
                    & ~Q(account_number_enc="")
                ),
                name="payout_released_is_approved",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | (
                    Q(paid_on__isnull=False)
                    & (
                        (
                            ~Q(bank_ref="")
                            & Q(journal_entry_id__isnull=False)
                            & Q(bank_status="succeeded")
                        )
                        # nothing left for the bank: the posted set-off paid it all
                        | (Q(amount=0) & Q(debt_set_off_on__isnull=False))
                    )
                ),
                name="payout_paid_is_recorded",
            ),
            models.CheckConstraint(
                condition=Q(invoice_amount__isnull=True)
                | (
                    ~Q(invoice_number="")
                    & Q(invoice_amount__gt=0)
                    & Q(invoice_tax__gte=0)
                    & Q(invoice_tax__lt=F("invoice_amount"))
                ),
                name="payout_invoice_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_number} {self.amount}"


__all__ = ["BankStatus", "CommissionPayout", "PayoutStatus"]
