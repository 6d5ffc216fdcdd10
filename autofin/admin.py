from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from autofin.forms import ThrottledAdminAuthenticationForm
from autofin.models import (
    ApprovalRequest,
    AuditEntry,
    BusinessCalendar,
    OutboundMessage,
    PolicyValue,
    SecurityEvent,
    User,
)
from autofin.policy import POLICIES, policy_keys_owned_by, policy_set


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


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    """The history of four-eyes requests; approving and rejecting happen on the approvals page,
    through autofin.approvals, never by editing a row."""

    list_display = ("made_at", "action", "target_repr", "maker", "status", "checker", "decided_at")
    list_filter = ("action", "status")
    search_fields = ("target_repr", "maker__username", "checker__username")
    date_hierarchy = "made_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "to", "purpose", "status", "sent_at", "gateway")
    list_filter = ("channel", "status", "purpose")
    search_fields = ("to", "body", "subject")
    date_hierarchy = "created_at"


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReadOnlyAdmin):
    list_display = ("current_date", "closing", "updated_at")


class PolicyValueForm(forms.ModelForm):
    class Meta:
        model = PolicyValue
        fields = ("key", "value", "effective_from", "reason")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        owned = policy_keys_owned_by(request.user) if request else []
        self.fields["key"] = forms.ChoiceField(
            label=_("策略项"), choices=[(k, f"{POLICIES[k].label}（{k}）") for k in owned]
        )

    def clean(self):
        cleaned = super().clean()
        key, value = cleaned.get("key"), cleaned.get("value")
        if key and value is not None:
            try:
                POLICIES[key].parse(value)
            except ValidationError as exc:
                self.add_error("value", exc)
        return cleaned


@admin.register(PolicyValue)
class PolicyValueAdmin(admin.ModelAdmin):
    """Append-only: a new value is a new row from a date; rows are never edited or deleted."""

    form = PolicyValueForm
    list_display = ("key", "value", "effective_from", "created_by", "created_at", "reason")
    list_filter = ("key",)
    search_fields = ("key", "reason")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class _Bound(form):
            def __init__(self, *a, **kw):
                kw["request"] = request
                super().__init__(*a, **kw)

        return _Bound

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        saved = policy_set(
            key=obj.key,
            value=obj.value,
            effective_from=obj.effective_from,
            actor=request.user,
            reason=obj.reason,
        )
        obj.pk = saved.pk


# Every login form goes through the same throttle (autofin.throttle), the admin's included.
admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """The security log, for auditors (read-only; rows are append-only in the database)."""

    list_display = ("created_at", "kind", "actor_label", "ip", "method", "path", "status_code")
    list_filter = ("kind",)
    search_fields = ("actor_label", "ip", "path")
    date_hierarchy = "created_at"
