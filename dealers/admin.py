"""Admin: mostly read-only views; state changes go through the services (and their pages)."""

from django.contrib import admin

from dealers.models.accounts import BankAccountChange, SettlementAccount
from dealers.models.commissions import Agreement, Commission, CommissionStatement
from dealers.models.dealers import Dealer
from dealers.models.grading import DealerAlert, DealerGrade, DealerMonthlyKpi, GradingPolicy
from dealers.models.staff import DealerStaff


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dealer)
class DealerAdmin(ReadOnlyAdmin):
    list_display = [
        "legal_name",
        "uscc",
        "dealer_type",
        "province",
        "city",
        "status",
        "account_manager",
    ]
    list_filter = ["status", "dealer_type", "province"]
    search_fields = ["legal_name", "uscc"]


@admin.register(DealerStaff)
class DealerStaffAdmin(ReadOnlyAdmin):
    list_display = ["user", "dealer", "role", "active"]
    list_filter = ["role", "active"]


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = [
        "dealer",
        "product_line",
        "commission_kind",
        "commission_rate",
        "commission_fixed",
        "cap_rate",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["product_line"]


@admin.register(Commission)
class CommissionAdmin(ReadOnlyAdmin):
    list_display = ["contract_ref", "dealer", "amount_financed", "funded_on", "amount"]
    search_fields = ["contract_ref"]


@admin.register(CommissionStatement)
class CommissionStatementAdmin(ReadOnlyAdmin):
    list_display = ["dealer", "month", "total"]


@admin.register(DealerGrade)
class DealerGradeAdmin(ReadOnlyAdmin):
    list_display = ["dealer", "as_of", "grade", "score", "policy"]
    list_filter = ["grade"]


@admin.register(DealerAlert)
class DealerAlertAdmin(ReadOnlyAdmin):
    list_display = ["dealer", "as_of", "kind", "metric", "message", "resolved_at"]


@admin.register(GradingPolicy)
class GradingPolicyAdmin(admin.ModelAdmin):
    list_display = ["version", "active", "note", "created_at"]


@admin.register(BankAccountChange)
class BankAccountChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "dealer",
        "bank_name",
        "account_number_masked",
        "status",
        "prepared_by",
        "approved_by",
    ]
    exclude = ["account_number_enc", "account_number_hash"]


@admin.register(SettlementAccount)
class SettlementAccountAdmin(ReadOnlyAdmin):
    list_display = ["dealer", "bank_name", "account_number_masked", "verified", "active"]
    exclude = ["account_number_enc", "account_number_hash"]


@admin.register(DealerMonthlyKpi)
class DealerMonthlyKpiAdmin(ReadOnlyAdmin):
    list_display = ["dealer", "month"]
