from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from servicing.models import JournalEntry, JournalLine, LedgerAccount

# --- ledger: read-only (entries are posted by the services and never changed) ---


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "account_type", "normal_side", "sort_order"]
    list_filter = ["account_type", "normal_side"]
    search_fields = ["code", "name"]


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ["account", "side", "amount", "loan_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "business_date",
        "source_type",
        "source_id",
        "loan_id",
        "description",
        "reverses",
        "posted_at",
        "created_by_label",
    ]
    list_filter = ["business_date", "source_type"]
    search_fields = ["=id", "=loan_id", "source_id", "idempotency_key", "description"]
    date_hierarchy = "business_date"
    list_select_related = ["reverses"]
    readonly_fields = [
        "business_date",
        "posted_at",
        "source_type",
        "source_id",
        "loan_id",
        "description",
        "idempotency_key",
        "reverses",
        "reversed_by_link",
        "created_by",
        "created_by_label",
    ]
    fields = readonly_fields
    inlines = [JournalLineInline]
    show_full_result_count = False

    @admin.display(description=_("被冲正分录"))
    def reversed_by_link(self, obj):
        reversal = JournalEntry.objects.filter(reverses_id=obj.pk).first()
        return str(reversal) if reversal else "-"


# --- loan accounts and repayments (read-only: money moves through the services) ---

from servicing.models import (  # noqa: E402
    AutoDebitBatch,
    Loan,
    LoanNote,
    LoanScheduleRow,
    MortgageRelease,
    PaymentOrder,
    PayoffQuoteRecord,
    Repayment,
    RepaymentAllocation,
)


class LoanScheduleRowInline(admin.TabularInline):
    model = LoanScheduleRow
    fields = ["instalment_no", "schedule_version", "superseded_by_version", "due_date",
              "instalment", "principal_paid", "interest_paid", "fee_paid", "penalty", "status"]  # fmt: skip
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["contract_ref", "customer", "status", "amount_financed",
                    "principal_outstanding", "value_date", "schedule_version"]  # fmt: skip
    list_filter = ["status", "method"]
    search_fields = ["contract_ref", "vin", "plate", "customer__display_name", "customer__phone"]
    list_select_related = ["customer"]
    inlines = [LoanScheduleRowInline]


class RepaymentAllocationInline(admin.TabularInline):
    model = RepaymentAllocation
    fields = ["row", "component", "amount", "row_status_before"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "loan", "source", "purpose", "amount", "status", "received_on",
                    "prepared_by", "approved_by"]  # fmt: skip
    list_filter = ["source", "status", "purpose"]
    search_fields = ["=id", "loan__contract_ref", "external_ref", "idempotency_key"]
    inlines = [RepaymentAllocationInline]


for _model in (PayoffQuoteRecord, PaymentOrder, MortgageRelease, LoanNote, AutoDebitBatch):
    admin.site.register(_model, ReadOnlyAdmin)
# --- money checks (issue 14): callback alerts for finance, reversal requests -------------------

from servicing.models import PaymentAlert, RepaymentReversal  # noqa: E402


@admin.register(PaymentAlert)
class PaymentAlertAdmin(ReadOnlyAdmin):
    list_display = ["id", "order", "kind", "order_status", "callback_status", "order_amount",
                    "claimed_amount", "parked_entry_id", "status", "created_at"]  # fmt: skip
    list_filter = ["kind", "status"]
    search_fields = ["=id", "order__provider_ref", "order__loan__contract_ref"]


@admin.register(RepaymentReversal)
class RepaymentReversalAdmin(ReadOnlyAdmin):
    list_display = ["id", "repayment", "status", "reason", "requested_by", "decided_by",
                    "created_at", "decided_at"]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["=id", "=repayment__id", "repayment__loan__contract_ref"]


import servicing.admin_disbursement  # noqa: E402,F401 - disbursement admin

# --- the nightly reconciliation's findings: read-only for finance (corrections go through the
# services, never by editing these rows) ---
from servicing.models import FinanceTask, LedgerBreak  # noqa: E402


@admin.register(LedgerBreak)
class LedgerBreakAdmin(ReadOnlyAdmin):
    list_display = ["business_date", "loan", "component", "stored", "ledger", "resolved_on"]
    list_filter = ["business_date", "component"]
    search_fields = ["loan__contract_ref"]


@admin.register(FinanceTask)
class FinanceTaskAdmin(ReadOnlyAdmin):
    list_display = ["business_date", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
