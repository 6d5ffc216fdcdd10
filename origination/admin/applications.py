"""Django admin for applications (read-mostly: every change goes through the services and the
state machine), consent texts (new versions are added, old ones never edited), consents and
personal-data requests. Identity fields show masked only."""

from __future__ import annotations

from django.contrib import admin

from origination.models.applications import Applicant, Application, ApplicationEvent, FinancedItem
from origination.models.documents import ApplicationDocument
from origination.models.privacy import Consent, ConsentText, DataRequest


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ApplicantInline(_ReadOnlyInline):
    model = Applicant
    fields = ("role", "name", "id_number_masked", "mobile_masked", "monthly_income")
    readonly_fields = fields


class FinancedItemInline(_ReadOnlyInline):
    model = FinancedItem
    fields = ("item_kind", "amount", "payee_type", "payee_name")
    readonly_fields = fields


class DocumentInline(_ReadOnlyInline):
    model = ApplicationDocument
    fields = ("doc_kind", "original_name", "content_type", "size", "sha256", "uploaded_at")
    readonly_fields = fields


class EventInline(_ReadOnlyInline):
    model = ApplicationEvent
    fields = ("created_at", "kind", "from_status", "to_status", "actor_label", "reason")
    readonly_fields = fields


class ConsentInline(_ReadOnlyInline):
    model = Consent
    fields = ("consent_kind", "text", "given_at", "given_via", "withdrawn_at")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "channel",
        "status",
        "customer_name",
        "dealer",
        "vehicle_brand",
        "vehicle_model",
        "vehicle_price",
        "submitted_at",
    )
    list_filter = ("status", "channel", "vehicle_kind")
    search_fields = ("reference", "customer_name", "vin")
    date_hierarchy = "created_at"
    inlines = [ApplicantInline, FinancedItemInline, DocumentInline, ConsentInline, EventInline]
    exclude = ("customer_mobile_enc", "customer_key", "car_key", "submission_key")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ("consent_kind", "version", "required", "effective_at")
    list_filter = ("consent_kind",)

    def get_readonly_fields(self, request, obj=None):
        # a text customers have consented to is never edited: add a new version instead
        if obj is not None:
            return ("consent_kind", "version", "text_zh", "text_en", "required", "effective_at")
        return ()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "status", "created_at")
    list_filter = ("kind", "status")
    readonly_fields = ("user", "kind", "status", "result", "created_at")

    def has_add_permission(self, request):
        return False
