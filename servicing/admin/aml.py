"""AML alerts in the admin, read-only: compliance decides them on the compliance pages."""

from django.contrib import admin

from servicing.admin.readonly import ReadOnlyAdmin
from servicing.models.aml import AmlAlert


@admin.register(AmlAlert)
class AmlAlertAdmin(ReadOnlyAdmin):
    list_display = ("kind", "loan", "business_date", "amount", "status", "report_due")
    list_filter = ("kind", "status")
    date_hierarchy = "business_date"
