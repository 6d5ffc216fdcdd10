"""Admin of the payee register: read-only (changes go through the maker-checker pages)."""

from django.contrib import admin

from origination.models.payees import Payee, PayeeChange


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payee)
class PayeeAdmin(ReadOnlyAdmin):
    list_display = [
        "payee_type",
        "name",
        "bank_name",
        "account_number_masked",
        "verified",
        "active",
    ]
    list_filter = ["payee_type", "verified", "active"]
    exclude = ["account_number_enc", "account_number_hash"]


@admin.register(PayeeChange)
class PayeeChangeAdmin(ReadOnlyAdmin):
    list_display = ["name", "account_number_masked", "status", "prepared_by", "approved_by"]
    list_filter = ["status"]
    exclude = ["account_number_enc", "account_number_hash"]
