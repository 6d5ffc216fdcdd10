"""Admin for loan accounts and repayments, the payment provider's callback alerts and the
reversal requests: read-only (money moves through the services)."""

from django.contrib import admin

from servicing.admin.readonly import ReadOnlyAdmin
from servicing.models.loans import (
    Loan,
    LoanNote,
    LoanScheduleRow,
    MortgageRelease,
    PayoffQuoteRecord,
)
from servicing.models.repayments import (
    AutoDebitBatch,
    PaymentAlert,
    PaymentOrder,
    Repayment,
    RepaymentAllocation,
    RepaymentReversal,
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


for _model in (PayoffQuoteRecord, PaymentOrder, MortgageRelease, LoanNote, AutoDebitBatch):
    admin.site.register(_model, ReadOnlyAdmin)
