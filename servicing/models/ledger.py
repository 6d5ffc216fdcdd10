"""The double-entry ledger: a chart of accounts, journal entries and their lines.

The database holds the ledger's invariants (migration 0003_ledger_guards):

* every line has a side (D/C) and a positive amount (CHECK constraints);
* every entry balances and has at least two lines: a statement-level trigger checks, per
  INSERT statement on the lines, that each entry it touches nets to zero, has at least two lines
  and got all of them in that statement; a deferred constraint trigger on the entries refuses,
  at commit, an entry left without lines;
* entries and lines are append-only: UPDATE, DELETE and TRUNCATE are refused by triggers. A
  mistake is corrected by a reversing entry (`journal_entry_reverse`);
* the tables belong to the maintenance role; the application's role may only SELECT and INSERT
  them, and only the maintenance role may empty them (servicing.ledger_roles);
* a line's and an entry's `loan_id` reference a loan (a lease is a Loan row too);
* the lines are partitioned by month on their entry's business date, which each line carries
  and the balance trigger checks (migration 0045_partitioning, docs/scaling.md).

A line is a side plus a positive amount rather than one signed amount (whose sign convention
a reader must remember and which cannot be CHECKed "> 0") or a debit and a credit column (two
columns per line, one always zero, and a CHECK that exactly one is positive): one amount column
with CHECK > 0 and a one-letter side is the smallest row, reads plainly, and a reversal flips
the side.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models import F, Func
from django.db.models.functions import Now
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from servicing.ledger_names import account_name
from servicing.memos import memo_display


class Side(models.TextChoices):
    DEBIT = "D", _("借")
    CREDIT = "C", _("贷")


class AccountType(models.TextChoices):
    ASSET = "asset", _("资产")
    LIABILITY = "liability", _("负债")
    INCOME = "income", _("收入")
    EXPENSE = "expense", _("费用")
    MEMO = "memo", _("表外备查")


class AccountCode(StrEnum):
    """The chart of accounts by code name; the rows are seeded by migration 0002."""

    # assets
    PRINCIPAL_RECEIVABLE = "principal_receivable"
    INTEREST_RECEIVABLE = "interest_receivable"
    FEE_RECEIVABLE = "fee_receivable"
    PENALTY_RECEIVABLE = "penalty_receivable"
    OEM_SUBSIDY_RECEIVABLE = "oem_subsidy_receivable"
    BANK_CLEARING = "bank_clearing"
    # liabilities
    CUSTOMER_SUSPENSE = "customer_suspense"
    DEALER_PAYABLE = "dealer_payable"
    INSURER_PAYABLE = "insurer_payable"
    TAX_PAYABLE = "tax_payable"
    WARRANTY_PAYABLE = "warranty_payable"
    ACCESSORY_PAYABLE = "accessory_payable"
    GPS_PAYABLE = "gps_payable"
    DEALER_DEPOSIT = "dealer_deposit"
    COMMISSION_PAYABLE = "commission_payable"
    # money a provider says it received that matched no order: parked for a person (挂账)
    UNIDENTIFIED_RECEIPTS = "unidentified_receipts"
    # income
    INTEREST_INCOME = "interest_income"
    FEE_INCOME = "fee_income"
    PENALTY_INCOME = "penalty_income"
    RECOVERY_INCOME = "recovery_income"
    # expense
    CHARGE_OFF_EXPENSE = "charge_off_expense"
    COMMISSION_EXPENSE = "commission_expense"
    ROUNDING = "rounding"
    # off-balance memo pair (a memo entry debits one and credits the other, so it balances too)
    OFF_BALANCE_INTEREST = "off_balance_interest"
    OFF_BALANCE_INTEREST_CONTRA = "off_balance_interest_contra"
    # --- expected credit loss (r-ecl): the month-end provision's expense and the allowance, a
    # contra-asset (asset type, normal side credit) netted against the loans (migration 0015)
    IMPAIRMENT_EXPENSE = "impairment_expense"
    LOAN_LOSS_ALLOWANCE = "loan_loss_allowance"
    # --- OEM subsidies (oem, migration 0020): agreed but unclaimed (asset), not yet earned
    # (liability), earned (income); output VAT of the invoices the lender issues (liability)
    OEM_SUBSIDY_UNBILLED = "oem_subsidy_unbilled"
    OEM_SUBSIDY_DEFERRED = "oem_subsidy_deferred"
    OEM_SUBSIDY_INCOME = "oem_subsidy_income"
    VAT_OUTPUT = "vat_output"
    # --- rec: what a dealer owes for loans it bought back (回购), on the dealer's sub-ledger
    RECOURSE_RECEIVABLE = "recourse_receivable"
    # --- floor-plan finance (库存融资): advances to dealers for stock and their interest
    FLOORPLAN_RECEIVABLE = "floorplan_receivable"
    FLOORPLAN_INTEREST_RECEIVABLE = "floorplan_interest_receivable"
    FLOORPLAN_INTEREST_INCOME = "floorplan_interest_income"
    # --- financing leases (融资租赁, issue 19; decision 0014). A lease posts through the loan
    # roles (principal_receivable is its net investment's principal); the gross-up of the rents
    # not yet earned is a pair that nets to zero: lease_payments_unearned (asset) against
    # unearned_finance_income (contra-asset, credit side), released as interest accrues.
    LEASE_PAYMENTS_UNEARNED = "lease_payments_unearned"
    UNEARNED_FINANCE_INCOME = "unearned_finance_income"
    # 直租: the car's input VAT (asset) and the output VAT inside the principal of the rents not
    # yet due (待转销项税额, liability), moved to vat_output as each rent falls due
    VAT_INPUT = "vat_input"
    VAT_OUTPUT_DEFERRED = "vat_output_deferred"
    # what the lender owes the customer themself (sale-leaseback purchase price, a surplus)
    CUSTOMER_PAYABLE = "customer_payable"
    # --- repo: repossession (收车与处置): the loan's recoverable costs, what is owed to the
    # vendors for them (a sale's surplus owed back to the customer is customer_payable)
    RECOVERABLE_COST_RECEIVABLE = "recoverable_cost_receivable"
    REPOSSESSION_VENDOR_PAYABLE = "repossession_vendor_payable"
    # --- insurance: the agency commission insurers owe (asset) and the income it earns
    INSURANCE_COMMISSION_RECEIVABLE = "insurance_commission_receivable"
    INSURANCE_COMMISSION_INCOME = "insurance_commission_income"
    # --- offers: maintenance credit's bill, owed to the partner service centre until paid
    SERVICE_CENTRE_PAYABLE = "service_centre_payable"


class SourceType(StrEnum):
    """The kinds of document an entry is posted for (free text in the database: apps add more)."""

    DISBURSEMENT = "disbursement"
    REPAYMENT = "repayment"
    ACCRUAL = "accrual"
    FEE = "fee"
    PENALTY = "penalty"
    EARLY_SETTLEMENT = "early_settlement"
    CHARGE_OFF = "charge_off"
    RECOVERY = "recovery"
    SUBSIDY = "subsidy"
    COMMISSION = "commission"
    DEPOSIT = "deposit"
    OFF_BALANCE_INTEREST = "off_balance_interest"
    ADJUSTMENT = "adjustment"
    PROVISION = "provision"
    REPURCHASE = "repurchase"
    FLOORPLAN = "floorplan"
    REPOSSESSION = "repossession"


# What the loan page shows for an entry's source type (unknown ones, added by apps, show raw).
SOURCE_TYPE_LABELS = {
    SourceType.DISBURSEMENT: _("放款"),
    SourceType.REPAYMENT: _("还款"),
    SourceType.ACCRUAL: _("计息"),
    SourceType.FEE: _("费用"),
    SourceType.PENALTY: _("罚息"),
    SourceType.EARLY_SETTLEMENT: _("提前结清"),
    SourceType.CHARGE_OFF: _("核销"),
    SourceType.RECOVERY: _("核销后收回"),
    SourceType.SUBSIDY: _("贴息"),
    SourceType.COMMISSION: _("佣金"),
    SourceType.DEPOSIT: _("保证金"),
    SourceType.OFF_BALANCE_INTEREST: _("表外利息"),
    SourceType.ADJUSTMENT: _("调整"),
    SourceType.PROVISION: _("减值准备计提"),
    SourceType.REPURCHASE: _("经销商回购"),
    SourceType.REPOSSESSION: _("收车处置"),
    SourceType.FLOORPLAN: _("库存融资"),
    "payment_order": _("在线还款"),
    "restructure": _("重组"),
    "oem_claim": _("厂商贴息索赔"),
    "oem_receipt": _("厂商贴息回款"),
    "invoice": _("开票"),
    "lease": _("融资租赁"),
}


class LedgerAccount(models.Model):
    code = models.SlugField(_("科目代码"), max_length=64, unique=True)
    name = models.CharField(_("科目名称"), max_length=100)
    account_type = models.CharField(_("科目类别"), max_length=10, choices=AccountType.choices)
    normal_side = models.CharField(_("余额方向"), max_length=1, choices=Side.choices)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("会计科目")
        verbose_name_plural = _("会计科目")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(normal_side__in=["D", "C"]),
                name="ledger_account_normal_side_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    account_type__in=["asset", "liability", "income", "expense", "memo"]
                ),
                name="ledger_account_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def display_name(self) -> str:
        """The name in the page's language, by code (rows are not translated)."""
        return account_name(self.code, self.name)


class JournalEntry(models.Model):
    """One balanced posting for one business document. Never changed: reversed instead."""

    business_date = models.DateField(_("营业日"), db_index=True)
    posted_at = models.DateTimeField(_("记账时间"), db_default=Now())
    source_type = models.CharField(_("来源单据类型"), max_length=32)
    source_id = models.CharField(_("来源单据号"), max_length=64)
    # The loan (or lease: also a Loan row) this entry belongs to, if one. The key is checked at
    # commit (Django's deferred foreign key): funding posts the entry and creates the loan in
    # one transaction.
    loan = models.ForeignKey(
        "servicing.Loan",
        verbose_name=_("贷款账户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("摘要"), max_length=255, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True)
    # One-to-one: an entry can be reversed once.
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲正的分录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记账人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Names system actors (the nightly batch) that have no user row, as the audit trail does.
    created_by_label = models.CharField(_("记账人名称"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("会计分录")
        verbose_name_plural = _("会计分录")
        ordering = ["-business_date", "-id"]
        indexes = [models.Index(fields=["source_type", "source_id"], name="journal_entry_source")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(idempotency_key=""), name="journal_entry_key_not_blank"
            ),
            models.CheckConstraint(
                condition=~models.Q(source_type=""), name="journal_entry_source_type_not_blank"
            ),
            models.CheckConstraint(
                condition=~models.Q(reverses=models.F("id")), name="journal_entry_not_self_reversal"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.business_date} {self.source_type}:{self.source_id}"

    @property
    def source_type_label(self) -> str:
        return SOURCE_TYPE_LABELS.get(self.source_type, self.source_type)

    @property
    def description_display(self) -> str:
        """The memo in the page's language (stored in Chinese, see servicing.memos)."""
        return memo_display(self.description)


class JournalLine(models.Model):
    # No foreign-key constraints in the database (db_constraint=False): one statement-level
    # guard checks and locks the rows a statement's lines name, once each, instead of one
    # deferred check per line and key (migration 0049_journal_line_reference_guard says what
    # holds where); the entry is the balance check's to find.
    entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("分录"),
        on_delete=models.PROTECT,
        related_name="lines",
        db_constraint=False,
    )
    account = models.ForeignKey(
        LedgerAccount,
        verbose_name=_("科目"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    side = models.CharField(_("借贷方向"), max_length=1, choices=Side.choices)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)
    # Denormalised from the posting so a loan's balances are read from the lines alone. A line
    # names at most one sub-ledger account (CHECK journal_line_one_subledger); sub-ledgers added
    # later join that CHECK with their own nullable key, as the dealer's did.
    loan = models.ForeignKey(
        "servicing.Loan",
        verbose_name=_("贷款账户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # journal_line_loan_account leads with it
    )
    # The dealer's sub-ledger (commission payable and what the dealer owes back; later its
    # deposit and floor-plan advances): a dealer's balances are read from its lines alone, as a
    # loan's are, and a dealer's money is never booked against one of the dealer's loans.
    dealer = models.ForeignKey(
        "dealers.Dealer",
        verbose_name=_("经销商"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # journal_line_dealer_account leads with it
    )

    # A floor-plan advance's own key (库存融资): its lines also name the dealer, whose sub-ledger
    # it is part of, and never a loan (CHECK journal_line_floorplan_on_dealer).
    floorplan_advance = models.ForeignKey(
        "servicing.FloorplanAdvance",
        verbose_name=_("库存融资放款"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # journal_line_floorplan_account leads with it
    )
    # The entry's business date, the key the lines are partitioned on by month (migration
    # 0045_partitioning). PostgreSQL routes a row before any trigger could fill it, so the
    # posting code writes it from the entry in the INSERT itself and the balance trigger refuses
    # a line whose date is not its entry's.
    business_date = models.DateField(_("营业日"))

    class Meta:
        verbose_name = _("分录明细")
        verbose_name_plural = _("分录明细")
        ordering = ["entry_id", "id"]
        indexes = [
            models.Index(
                fields=["loan_id", "account"],
                name="journal_line_loan_account",
                condition=models.Q(loan_id__isnull=False),
            ),
            models.Index(
                fields=["dealer_id", "account"],
                name="journal_line_dealer_account",
                condition=models.Q(dealer_id__isnull=False),
            ),
            models.Index(
                fields=["floorplan_advance_id", "account"],
                name="journal_line_floorplan_account",
                condition=models.Q(floorplan_advance_id__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="journal_line_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=models.Q(side__in=["D", "C"]), name="journal_line_side_valid"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    Func(
                        F("loan"),
                        F("dealer"),
                        function="num_nonnulls",
                        output_field=models.IntegerField(),
                    ),
                    1,
                ),
                name="journal_line_one_subledger",
            ),
            models.CheckConstraint(
                condition=models.Q(floorplan_advance__isnull=True)
                | models.Q(dealer__isnull=False, loan__isnull=True),
                name="journal_line_floorplan_on_dealer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.account_id} {self.amount}"
