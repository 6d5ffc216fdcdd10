"""Admin for the disbursement models: read-only (changes go through the services)."""

from django.contrib import admin

from servicing.admin.readonly import ReadOnlyAdmin
from servicing.models.disbursement import (
    Disbursement,
    PaymentAttempt,
    PaymentInstruction,
    ReconciliationLine,
    ReconciliationRun,
    SandboxBankPayment,
)


class InstructionInline(admin.TabularInline):
    model = PaymentInstruction
    fields = ["seq", "payee_kind", "payee_name", "amount", "account_number_masked", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    list_display = ["contract_ref", "amount_financed", "status", "prepared_by", "approved_by",
                    "second_approved_by", "funded_on", "loan_id"]  # fmt: skip
    list_filter = ["status"]
    search_fields = ["contract_ref"]
    exclude = ["contract_facts"]
    inlines = [InstructionInline]


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = ["idempotency_key", "instruction", "attempt_no", "amount", "status", "bank_ref",
                    "business_date"]  # fmt: skip
    list_filter = ["status", "business_date"]
    search_fields = ["idempotency_key", "bank_ref"]
    exclude = ["account_number_enc"]


@admin.register(SandboxBankPayment)
class SandboxBankPaymentAdmin(ReadOnlyAdmin):
    list_display = ["bank_ref", "idempotency_key", "amount", "status", "value_date", "sends",
                    "callbacks_sent"]  # fmt: skip
    list_filter = ["status", "value_date"]
    search_fields = ["idempotency_key", "bank_ref"]


class ReconciliationLineInline(admin.TabularInline):
    model = ReconciliationLine
    fields = ["kind", "idempotency_key", "book_amount", "bank_amount", "book_status", "bank_status"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["statement_date", "bank_lines", "book_lines", "matched", "mismatches",
                    "created_by_label"]  # fmt: skip
    inlines = [ReconciliationLineInline]
