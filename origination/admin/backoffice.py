"""Django admin for the workbench's reference data (authority limits) and read-only views of
cases, conditions, counter-offers, contracts, signatures and checklist items. Every change of
state goes through the services (audited); the admin only edits reference data."""

from __future__ import annotations

from django.contrib import admin

from autofin.audit import audit_record
from origination.models.contracts import Contract, ContractSignature, FundingChecklistItem
from origination.models.underwriting import (
    AuthorityLimit,
    Condition,
    CounterOffer,
    UnderwritingCase,
)


@admin.register(AuthorityLimit)
class AuthorityLimitAdmin(admin.ModelAdmin):
    list_display = ("role", "max_amount", "updated_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            obj=obj,
            action="authority_limit_change",
            to_state=str(obj.max_amount if obj.max_amount is not None else "unlimited"),
            data={"changed": list(form.changed_data)},
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UnderwritingCase)
class UnderwritingCaseAdmin(ReadOnlyAdmin):
    list_display = ("application", "assigned_to", "claimed_at", "documents_requested_at")
    list_select_related = ("application", "assigned_to")


@admin.register(Condition)
class ConditionAdmin(ReadOnlyAdmin):
    list_display = ("application", "condition_kind", "amount", "status", "created_at")
    list_filter = ("condition_kind", "status")


@admin.register(CounterOffer)
class CounterOfferAdmin(ReadOnlyAdmin):
    list_display = ("application", "down_payment", "term_months", "amount_financed", "status")
    list_filter = ("status",)


class ChecklistInline(admin.TabularInline):
    model = FundingChecklistItem
    fields = ("item_kind", "status", "deadline", "evidence", "recorded_by", "recorded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = (
        "contract_ref",
        "application",
        "version",
        "status",
        "amount_financed",
        "term_months",
        "apr",
        "signed_at",
    )
    list_filter = ("status", "contract_type")
    search_fields = ("contract_ref", "application__reference")
    inlines = [ChecklistInline]


@admin.register(ContractSignature)
class ContractSignatureAdmin(ReadOnlyAdmin):
    list_display = ("contract", "signer_name", "signed_at", "ip_address", "signed_pdf_sha256")


@admin.register(FundingChecklistItem)
class FundingChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ("contract", "item_kind", "status", "deadline", "recorded_by")
    list_filter = ("item_kind", "status")
