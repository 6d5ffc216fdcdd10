"""Admin for the ledger: the chart of accounts, the journal (entries are posted by the services
and never changed), and the nightly reconciliation's findings (corrections go through the
services, never by editing these rows)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from servicing.admin.readonly import ReadOnlyAdmin
from servicing.models import JournalEntry, JournalLine, LedgerAccount
from servicing.models.eod import FinanceTask, LedgerBreak


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


@admin.register(LedgerBreak)
class LedgerBreakAdmin(ReadOnlyAdmin):
    list_display = ["business_date", "loan", "component", "stored", "ledger", "resolved_on"]
    list_filter = ["business_date", "component"]
    search_fields = ["loan__contract_ref"]


@admin.register(FinanceTask)
class FinanceTaskAdmin(ReadOnlyAdmin):
    list_display = ["business_date", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
