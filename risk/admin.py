from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from autofin.approvals import ApprovalError
from risk.approvals import rule_set_activate_submit
from risk.models import (
    BlacklistEntry,
    BureauQuery,
    CustomerRiskRating,
    Decision,
    DecisionReviewRequest,
    EarlyWarningHit,
    EarlyWarningRule,
    FraudHit,
    Rule,
    RuleSet,
    Scorecard,
    ScorecardVersion,
    ScreeningHit,
    Strategy,
    WatchListEntry,
    WatchListLoad,
)
from risk.services import rule_set_clone


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0
    fields = ("position", "code", "rule_kind", "reason_code", "params", "enabled", "explanation")

    # The rules in force change only by activating another set (a strategy change, four eyes).
    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.is_active) and super().has_change_permission(
            request, obj
        )

    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.is_active) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_active) and super().has_delete_permission(
            request, obj
        )


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("version", "name", "is_active", "created_at")
    readonly_fields = ("is_active",)
    inlines = [RuleInline]
    actions = ["activate", "clone"]

    @admin.action(description=_("设为生效版本"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个规则集"), messages.ERROR)
            return
        try:
            submitted = rule_set_activate_submit(rule_set_id=queryset.get().pk, actor=request.user)
        except ApprovalError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request, _("已提交复核，批准后生效") if submitted.pending else _("规则集已生效")
            )

    @admin.action(description=_("复制为新版本"))
    def clone(self, request, queryset):
        for rs in queryset:
            rule_set_clone(rule_set_id=rs.pk, actor=request.user)
        self.message_user(request, _("已复制"))


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("code", "rule_kind", "reason_code", "enabled", "rule_set")
    list_filter = ("rule_set", "rule_kind", "enabled")

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.rule_set.is_active) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.rule_set.is_active) and super().has_delete_permission(
            request, obj
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "rule_set" in form.base_fields:
            # New rules go into draft sets only; the set in force changes through activation.
            form.base_fields["rule_set"].queryset = RuleSet.objects.filter(is_active=False)
        return form


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    list_display = ("kind", "value_hash", "reason", "created_at")
    list_filter = ("kind",)


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    """Read-only: thresholds change on the strategy page, with a preview and four eyes."""

    list_display = ("product_line", "decline_below", "approve_above", "tier_cutoffs", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EarlyWarningRule)
class EarlyWarningRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "strength", "params", "enabled", "description")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ("name", "product_line", "contract_type")


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(ReadOnlyAdmin):
    list_display = ("scorecard", "version", "status", "challenger_share", "test_auc", "created_at")
    exclude = ("artefact", "report")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("application_ref", "outcome", "score", "tier", "rule_set", "created_at")
    list_filter = ("outcome", "tier")
    search_fields = ("application_ref",)


@admin.register(FraudHit)
class FraudHitAdmin(ReadOnlyAdmin):
    list_display = ("application_ref", "check_code", "dealer_id", "created_at")
    list_filter = ("check_code",)


@admin.register(EarlyWarningHit)
class EarlyWarningHitAdmin(ReadOnlyAdmin):
    list_display = ("loan_ref", "rule_code", "strength", "created_at")


@admin.register(DecisionReviewRequest)
class DecisionReviewRequestAdmin(ReadOnlyAdmin):
    list_display = ("decision", "status", "created_at")


@admin.register(BureauQuery)
class BureauQueryAdmin(ReadOnlyAdmin):
    # The compliance page (risk:bureau_queries) filters and exports; the admin is for one row.
    list_display = ("queried_at", "purpose", "subject_ref", "consent_ref", "status", "found")
    list_filter = ("purpose", "status")
    search_fields = ("subject_ref", "consent_ref", "id_hash")


# Watch lists change only by loading a file; hits and ratings by the compliance pages.
@admin.register(WatchListEntry)
class WatchListEntryAdmin(ReadOnlyAdmin):
    list_display = ("list_type", "name", "source", "external_ref", "birth_date", "active")
    list_filter = ("list_type", "source", "active")
    search_fields = ("name", "external_ref")
    exclude = ("id_hash", "name_keys")


@admin.register(WatchListLoad)
class WatchListLoadAdmin(ReadOnlyAdmin):
    list_display = (
        "source",
        "file_name",
        "added",
        "changed",
        "removed",
        "loaded_at",
        "screened_at",
    )


@admin.register(ScreeningHit)
class ScreeningHitAdmin(ReadOnlyAdmin):
    list_display = ("subject_ref", "subject_name", "entry", "score", "status", "created_at")
    list_filter = ("status",)


@admin.register(CustomerRiskRating)
class CustomerRiskRatingAdmin(ReadOnlyAdmin):
    list_display = ("subject_ref", "level", "points", "rated_at")
    list_filter = ("level",)
