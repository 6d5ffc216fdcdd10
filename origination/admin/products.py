"""Django admin for products, versions (with their rate tables), the LPR, regulatory limits and
quotes. Published versions are read-only here (and immutable in the database); "修改规则"
opens a draft and "发布" publishes it through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autofin.approvals import ApprovalError
from autofin.audit import audit_record
from origination.approvals import product_version_publish_submit
from origination.models import (
    LprRate,
    Product,
    ProductVersion,
    Quote,
    RateTableEntry,
    RegulatoryLimits,
)
from origination.services.products import (
    ProductRulesInvalidError,
    ProductVersionImmutableError,
    product_draft_open,
)


class VersionInline(admin.TabularInline):
    model = ProductVersion
    fields = ("number", "status", "change_note", "published_at", "published_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "vehicle_kind", "contract_type", "secured", "is_active")
    list_filter = ("vehicle_kind", "contract_type", "is_active")
    search_fields = ("code", "name")
    inlines = [VersionInline]
    actions = ["open_draft"]

    @admin.action(description=_("修改规则：打开草稿版本"), permissions=["change"])
    def open_draft(self, request, queryset):
        for product in queryset:
            draft = product_draft_open(actor=request.user, product=product)
            self.message_user(
                request, gettext("%(p)s：草稿 v%(n)s") % {"p": product, "n": draft.number}
            )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user, obj=obj, action="product_change" if change else "product_add"
        )


class RateTableEntryInline(admin.TabularInline):
    model = RateTableEntry
    extra = 0
    fields = ("term_months", "tier", "annual_rate", "spread_bps")

    def _editable(self, obj) -> bool:
        return obj is None or not obj.is_published

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(ProductVersion)
class ProductVersionAdmin(admin.ModelAdmin):
    list_display = ("product", "number", "status", "change_note", "published_at")
    list_filter = ("status", "product")
    inlines = [RateTableEntryInline]
    readonly_fields = ("status", "published_at", "published_by", "created_by", "rules")
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return (*self.readonly_fields, "product", "number")
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, obj=obj, action="product_version_update", to_state="draft")

    @admin.action(description=_("发布所选草稿（生成新版本）"), permissions=["change"])
    def publish(self, request, queryset):
        for version in queryset.select_related("product"):
            try:
                submitted = product_version_publish_submit(actor=request.user, version=version)
            except ApprovalError as exc:
                self.message_user(request, f"{version}：{exc.message}", messages.ERROR)
            except ProductVersionImmutableError:
                self.message_user(
                    request,
                    gettext("%(v)s 已发布，不能再次发布") % {"v": version},
                    messages.WARNING,
                )
            except ProductRulesInvalidError as exc:
                for problem in exc.violations:
                    self.message_user(
                        request, f"{version}：{problem.render(gettext)}", messages.ERROR
                    )
            else:
                done = gettext("%(v)s 已提交复核") if submitted.pending else gettext("已发布 %(v)s")
                self.message_user(request, done % {"v": version})


@admin.register(LprRate)
class LprRateAdmin(admin.ModelAdmin):
    list_display = ("tenor", "rate", "effective_date", "created_at")
    list_filter = ("tenor",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, obj=obj, action="lpr_rate_record", to_state=str(obj.rate))


@admin.register(RegulatoryLimits)
class RegulatoryLimitsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "max_term_months",
        "max_term_months_used",
        "ltv_personal",
        "updated_at",
    )

    def has_add_permission(self, request):
        return not RegulatoryLimits.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            obj=obj,
            action="regulatory_limits_update",
            data={name: str(form.cleaned_data[name]) for name in form.changed_data},
        )


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "product_version",
        "vehicle_price",
        "amount_financed",
        "term_months",
        "apr",
        "created_at",
    )
    list_filter = ("product_version__product",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
