from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from autofin.models import AuditEntry, BusinessCalendar, OutboundMessage, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("联系方式"), {"fields": ("display_name", "phone")}),
    )
    list_display = ("username", "display_name", "phone", "email", "is_staff", "is_active")
    search_fields = ("username", "display_name", "phone", "email")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are written by the system only: operators may look, never edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "object_repr", "action", "from_state", "to_state")
    list_filter = ("action", "content_type")
    search_fields = ("object_repr", "actor_label", "reason", "object_id")
    date_hierarchy = "created_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "to", "purpose", "status", "sent_at", "gateway")
    list_filter = ("channel", "status", "purpose")
    search_fields = ("to", "body", "subject")
    date_hierarchy = "created_at"


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReadOnlyAdmin):
    list_display = ("current_date", "closing", "updated_at")
