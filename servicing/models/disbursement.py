"""Multi-payee disbursement (放款 / 多方付款): one `Disbursement` per contract, split into one
`PaymentInstruction` per payee, each paid through the payment gateway by `PaymentAttempt`s that
carry the idempotency key the bank dedupes on.

Invariants the database holds (migration `*_disbursement` + `*_disbursement_guards`):

* one disbursement per contract (unique contract_id and contract_ref);
* the instructions of a disbursement sum EXACTLY to its amount financed: a deferred constraint
  trigger checks it at commit for every disbursement whose instructions (or amount) changed;
* maker-checker: approved_by and second_approved_by differ from prepared_by and from each other
  (CHECK); a payee register change is approved by someone other than its maker (CHECK);
* an instruction has at most one attempt that is not `failed` (partial unique index): a new
  attempt (with a new key) is possible only after the bank confirmed the previous one failed,
  so an instruction can never be paid twice;
* idempotency keys are unique, at our side and at the (sandbox) bank's side.

Payee bank accounts come only from verified master data (the dealers' settlement accounts and
the `Payee` register, kept in origination: the layer that names a contract's payees), never typed in on a disbursement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from origination.models.payees import REGISTER_KINDS, Payee, PayeeChange, PayeeKind

MONEY = {"max_digits": 18, "decimal_places": 2}


class DisbursementStatus(models.TextChoices):
    PREPARED = "prepared", _("待复核")
    AWAITING_SECOND = "awaiting_second", _("待第二复核")
    RELEASED = "released", _("付款中")
    FUNDED = "funded", _("已放款")


class Disbursement(models.Model):
    # Plain ids: the contract lives in origination and is read through its selector; the facts
    # needed at funding are snapshotted in `contract_facts` when the disbursement is prepared.
    contract_id = models.BigIntegerField(_("合同"), unique=True)
    contract_ref = models.CharField(_("合同编号"), max_length=64, unique=True)
    application_id = models.BigIntegerField(_("申请编号"), null=True, blank=True)
    dealer_id = models.BigIntegerField(_("经销商"), null=True, blank=True, db_index=True)
    customer_name = models.CharField(_("客户"), max_length=100, blank=True)
    amount_financed = models.DecimalField(_("融资额"), **MONEY)
    contract_facts = models.JSONField(_("合同要素快照"), default=dict)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=DisbursementStatus.choices,
        default=DisbursementStatus.PREPARED,
        db_index=True,
    )
    needs_two_approvers = models.BooleanField(_("需双人复核"), default=False)
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
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("第二复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    prepared_at = models.DateTimeField(_("经办时间"), auto_now_add=True)
    released_at = models.DateTimeField(_("放行时间"), null=True, blank=True)
    funded_at = models.DateTimeField(_("放款完成时间"), null=True, blank=True)
    funded_on = models.DateField(_("放款营业日"), null=True, blank=True)
    loan_id = models.BigIntegerField(_("贷款账户"), null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("放款")
        verbose_name_plural = _("放款")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_financed__gt=0), name="disbursement_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DisbursementStatus.values), name="disbursement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="disbursement_approver_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(second_approved_by__isnull=True)
                | (
                    ~Q(second_approved_by=F("prepared_by"))
                    & ~Q(second_approved_by=F("approved_by"))
                    & Q(approved_by__isnull=False)
                ),
                name="disbursement_second_approver_distinct",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["prepared", "awaiting_second"])
                | (
                    Q(approved_by__isnull=False)
                    & (Q(needs_two_approvers=False) | Q(second_approved_by__isnull=False))
                ),
                name="disbursement_released_is_approved",
            ),
            models.CheckConstraint(
                condition=~Q(status="funded") | Q(loan_id__isnull=False),
                name="disbursement_funded_has_loan",
            ),
        ]

    def __str__(self) -> str:
        return self.contract_ref


class InstructionStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("银行已受理")
    SUCCEEDED = "succeeded", _("付款成功")
    FAILED = "failed", _("付款失败")
    UNKNOWN = "unknown", _("结果未知（超时）")


IN_FLIGHT_STATUSES = (
    InstructionStatus.PENDING,
    InstructionStatus.SENDING,
    InstructionStatus.SENT,
    InstructionStatus.UNKNOWN,
)


class PaymentInstruction(models.Model):
    """One payee's share of a disbursement. Its status is that of its current attempt."""

    disbursement = models.ForeignKey(
        Disbursement, verbose_name=_("放款"), on_delete=models.PROTECT, related_name="instructions"
    )
    seq = models.PositiveSmallIntegerField(_("序号"))
    payee_kind = models.CharField(_("收款方类型"), max_length=16, choices=PayeeKind.choices)
    payee = models.ForeignKey(
        Payee,
        verbose_name=_("收款方"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instructions",
    )
    payee_dealer_id = models.BigIntegerField(_("收款经销商"), null=True, blank=True)
    payee_name = models.CharField(_("收款方名称"), max_length=200)
    item_kind = models.CharField(_("融资项目"), max_length=20, blank=True)
    amount = models.DecimalField(_("金额"), **MONEY)
    # The account of the current attempt (from master data; masked for display).
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_masked = models.CharField(_("账号"), max_length=40)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=InstructionStatus.choices,
        default=InstructionStatus.PENDING,
        db_index=True,
    )
    attempt_count = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    failure_reason = models.CharField(_("失败原因"), max_length=255, blank=True)
    succeeded_at = models.DateTimeField(_("成功时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("付款指令")
        verbose_name_plural = _("付款指令")
        ordering = ["disbursement_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["disbursement", "seq"], name="instruction_seq_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instruction_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=InstructionStatus.values), name="instruction_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(payee_kind="dealer") & Q(payee_dealer_id__isnull=False))
                | Q(payee_kind="lender")
                # 售后回租: the customer's own checked card, never a payee of the register
                | (Q(payee_kind="customer") & Q(payee__isnull=True))
                | (~Q(payee_kind__in=["dealer", "lender", "customer"]) & Q(payee__isnull=False)),
                name="instruction_payee_from_master_data",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disbursement_id}#{self.seq} {self.payee_name} {self.amount}"


class PaymentAttempt(models.Model):
    """One send of an instruction to the bank under one idempotency key."""

    instruction = models.ForeignKey(
        PaymentInstruction,
        verbose_name=_("付款指令"),
        on_delete=models.PROTECT,
        related_name="attempts",
    )
    attempt_no = models.PositiveSmallIntegerField(_("第几次"))
    idempotency_key = models.CharField(_("幂等键"), max_length=80, unique=True)
    amount = models.DecimalField(_("金额"), **MONEY)
    account_name = models.CharField(_("户名"), max_length=200)
    bank_name = models.CharField(_("开户行"), max_length=100)
    account_number_enc = models.TextField()
    account_number_masked = models.CharField(_("账号"), max_length=40)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=InstructionStatus.choices,
        default=InstructionStatus.PENDING,
    )
    business_date = models.DateField(_("营业日"))
    bank_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    error = models.CharField(_("说明"), max_length=255, blank=True)
    sends = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    status_queries = models.PositiveSmallIntegerField(_("查询次数"), default=0)
    journal_entry_id = models.BigIntegerField(_("付款分录"), null=True, blank=True)
    created_by_label = models.CharField(_("发起人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("付款尝试")
        verbose_name_plural = _("付款尝试")
        ordering = ["instruction_id", "attempt_no"]
        constraints = [
            models.UniqueConstraint(fields=["instruction", "attempt_no"], name="attempt_no_unique"),
            # Never two live attempts for one instruction: a new key only after a confirmed
            # failure.
            models.UniqueConstraint(
                fields=["instruction"],
                condition=~Q(status="failed"),
                name="attempt_one_live_per_instruction",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="attempt_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=InstructionStatus.values), name="attempt_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["business_date"], name="attempt_business_date")]

    def __str__(self) -> str:
        return self.idempotency_key


class SandboxBankPayment(models.Model):
    """The sandbox bank's own book of payments (its "remote" state; written on its own
    connection, so it survives our rollbacks and worker crashes). Deduped by idempotency key."""

    class Status(models.TextChoices):
        LOST = "lost", _("请求丢失")  # a timed-out request the bank never received
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    idempotency_key = models.CharField(max_length=80, unique=True)
    bank_ref = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(**MONEY)
    account_number_hash = models.CharField(max_length=64)
    account_number_last4 = models.CharField(max_length=4)
    account_name = models.CharField(max_length=200)
    reference = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=255, blank=True)
    value_date = models.DateField()
    sends = models.PositiveIntegerField(default=1)
    callbacks_due = models.PositiveIntegerField(default=1)
    callbacks_sent = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("沙箱银行付款")
        verbose_name_plural = _("沙箱银行付款")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.bank_ref} {self.amount} {self.status}"


class ReconciliationRun(models.Model):
    statement_date = models.DateField(_("对账日"))
    statement_file = models.CharField(_("对账单文件"), max_length=255)
    bank_lines = models.PositiveIntegerField(_("银行记录数"), default=0)
    book_lines = models.PositiveIntegerField(_("账务记录数"), default=0)
    matched = models.PositiveIntegerField(_("一致"), default=0)
    mismatches = models.PositiveIntegerField(_("差异"), default=0)
    created_by_label = models.CharField(_("执行人"), max_length=150)
    created_at = models.DateTimeField(_("执行时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("对账")
        verbose_name_plural = _("对账")
        ordering = ["-statement_date", "-id"]

    def __str__(self) -> str:
        return f"{self.statement_date} #{self.pk}"


class MismatchKind(models.TextChoices):
    MISSING_AT_BANK = "missing_at_bank", _("银行无记录")
    MISSING_IN_BOOKS = "missing_in_books", _("账务无记录")
    AMOUNT_DIFFERS = "amount_differs", _("金额不符")
    STATUS_DIFFERS = "status_differs", _("状态不符")


class ReconciliationLine(models.Model):
    run = models.ForeignKey(
        ReconciliationRun, verbose_name=_("对账"), on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("差异类型"), max_length=20, choices=MismatchKind.choices)
    idempotency_key = models.CharField(_("幂等键"), max_length=80)
    bank_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    attempt = models.ForeignKey(
        PaymentAttempt,
        verbose_name=_("付款尝试"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    book_amount = models.DecimalField(_("账务金额"), null=True, blank=True, **MONEY)
    bank_amount = models.DecimalField(_("银行金额"), null=True, blank=True, **MONEY)
    book_status = models.CharField(_("账务状态"), max_length=10, blank=True)
    bank_status = models.CharField(_("银行状态"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("对账差异")
        verbose_name_plural = _("对账差异")
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


__all__ = [
    "IN_FLIGHT_STATUSES",
    "REGISTER_KINDS",
    "Disbursement",
    "DisbursementStatus",
    "InstructionStatus",
    "MismatchKind",
    "Payee",
    "PayeeChange",
    "PayeeKind",
    "PaymentAttempt",
    "PaymentInstruction",
    "ReconciliationLine",
    "ReconciliationRun",
    "SandboxBankPayment",
]
