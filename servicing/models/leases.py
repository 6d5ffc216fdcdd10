"""The lessor's register of leased cars (融资租赁资产台账) and the one insurance-policy record.

A lease is a `Loan` row whose `contract_type` is direct_lease (直租) or sale_leaseback (售后回租).
Its car is a `LeaseAsset`: for 直租 the lessor buys it from the dealer and owns it from delivery
(registered to the lessor); for 售后回租 the lessor buys it from the customer, and the title moves
to the lessor or a mortgage is registered, per product. The lessor's ownership ends with the
buyout (留购价) and title transfer, a return and sale, or a write-off.

`InsurancePolicy` is the one policy record per financed vehicle, for leases (the lessor as the
beneficiary) and loans alike (the lifecycle issue's renewals read and write it too).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from servicing.models.loans import Loan

MONEY = {"max_digits": 18, "decimal_places": 2}


class TitleHolder(models.TextChoices):
    LESSOR = "lessor", _("出租人")
    CUSTOMER = "customer", _("承租人")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待登记")
    REGISTERED_TO_LESSOR = "registered_to_lessor", _("已登记在出租人名下")
    MORTGAGED = "mortgaged", _("已办理抵押登记")
    TRANSFERRED = "transferred", _("已过户给承租人")
    RELEASED = "released", _("已解除抵押")


class AssetStatus(models.TextChoices):
    ON_LEASE = "on_lease", _("租赁中")
    BOUGHT_OUT = "bought_out", _("已留购")
    RETURNED = "returned", _("已退还")
    SOLD = "sold", _("已处置")
    WRITTEN_OFF = "written_off", _("已核销")


class LeaseAsset(models.Model):
    loan = models.OneToOneField(
        Loan, verbose_name=_("租赁合同"), on_delete=models.PROTECT, related_name="lease_asset"
    )
    vin = models.CharField(_("车架号"), max_length=17, db_index=True)
    plate = models.CharField(_("车牌号"), max_length=20, blank=True)
    vehicle = models.CharField(_("车辆"), max_length=200, blank=True)
    engine_no = models.CharField(_("发动机号"), max_length=40, blank=True)
    # the purchase: from the dealer (直租) or from the customer (售后回租)
    seller_name = models.CharField(_("出卖人"), max_length=200, blank=True)
    purchase_price = models.DecimalField(_("购买价（含税）"), **MONEY)
    purchase_invoice_no = models.CharField(_("购车发票号码"), max_length=20, blank=True)
    purchase_vat = models.DecimalField(_("购车进项税额"), default=0, **MONEY)
    title_holder = models.CharField(
        _("所有权人"), max_length=10, choices=TitleHolder.choices, default=TitleHolder.LESSOR
    )
    registration_status = models.CharField(
        _("登记状态"), max_length=24, choices=RegistrationStatus.choices,
        default=RegistrationStatus.PENDING,
    )  # fmt: skip
    registered_on = models.DateField(_("登记日"), null=True, blank=True)
    # 留购价 billed with the last rent; the residual value of a residual-value lease
    buyout_price = models.DecimalField(_("留购价"), default=0, **MONEY)
    residual_value = models.DecimalField(_("残值"), default=0, **MONEY)
    # the 留购价 added to the last rent's fee (servicing.services.leases.end_of_term)
    buyout_billed = models.BooleanField(_("留购价已计入末期租金"), default=False)
    status = models.CharField(
        _("资产状态"), max_length=12, choices=AssetStatus.choices, default=AssetStatus.ON_LEASE
    )
    status_date = models.DateField(_("状态变更日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("租赁资产")
        verbose_name_plural = _("租赁资产台账")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    purchase_price__gt=0,
                    purchase_vat__gte=0,
                    buyout_price__gte=0,
                    residual_value__gte=0,
                )
                & Q(purchase_vat__lt=F("purchase_price")),
                name="lease_asset_amounts",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(status__in=AssetStatus.values)
                & Q(registration_status__in=RegistrationStatus.values)
                & Q(title_holder__in=TitleHolder.values),
                name="lease_asset_states_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vin} ({self.loan_id})"


class PolicyStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    EXPIRED = "expired", _("已到期")
    RENEWED = "renewed", _("已续保")
    CANCELLED = "cancelled", _("已退保")


class InsurancePolicy(models.Model):
    """A motor policy on a financed car (one row per policy term)."""

    loan = models.ForeignKey(
        Loan, verbose_name=_("合同"), on_delete=models.PROTECT, related_name="insurance_policies"
    )
    vin = models.CharField(_("车架号"), max_length=17, db_index=True)
    # the insurer as a payee of the register when the premium is financed or paid through us
    insurer_payee_id = models.BigIntegerField(_("保险公司"), null=True, blank=True)
    insurer_name = models.CharField(_("保险公司名称"), max_length=200)
    # blank until operations enter it (a lease's policy is opened at funding from the contract)
    policy_number = models.CharField(_("保单号"), max_length=40, blank=True)
    cover = models.JSONField(_("险种"), default=list, blank=True)
    premium = models.DecimalField(_("保费"), **MONEY)
    starts_on = models.DateField(_("起保日"))
    ends_on = models.DateField(_("终保日"))
    beneficiary_name = models.CharField(_("第一受益人"), max_length=200, blank=True)
    # checked against the lender's name when recorded: a lease or a secured loan needs the lender
    # as the first beneficiary
    lender_is_beneficiary = models.BooleanField(_("本公司为第一受益人"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.ACTIVE
    )
    renews = models.OneToOneField(
        "self", verbose_name=_("续保自"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="renewed_by",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保单")
        verbose_name_plural = _("保单")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["insurer_name", "policy_number"],
                condition=~Q(policy_number=""),
                name="insurance_policy_unique",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(premium__gte=0, ends_on__gt=F("starts_on")),
                name="insurance_policy_amounts_dates",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PolicyStatus.values), name="insurance_policy_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer_name} {self.policy_number}"


__all__ = [
    "AssetStatus", "InsurancePolicy", "LeaseAsset", "PolicyStatus", "RegistrationStatus",
    "TitleHolder",
]  # fmt: skip
