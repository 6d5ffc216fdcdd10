"""The lease pages' URLs (issue 19), in the servicing namespace (servicing/urls.py adds them)."""

from django.urls import path

from servicing.views import lease_assets, lease_end, leases

lease_patterns = [
    path(
        "servicing/loans/<int:loan_id>/lease-asset/register/",
        lease_assets.lease_asset_register,
        name="lease_asset_register",
    ),
    path(
        "servicing/lease-policies/<int:policy_id>/number/",
        lease_assets.lease_policy_number,
        name="lease_policy_number",
    ),
    path("servicing/loans/<int:loan_id>/lease/quote/", lease_end.lease_quote, name="lease_quote"),
    path(
        "servicing/loans/<int:loan_id>/lease/buyout/", lease_end.lease_buyout, name="lease_buyout"
    ),
    path(
        "servicing/loans/<int:loan_id>/lease/return/", lease_end.lease_return, name="lease_return"
    ),
    path(
        "servicing/loans/<int:loan_id>/lease/remarket/",
        lease_end.lease_remarket,
        name="lease_remarket",
    ),
    path(
        "servicing/loans/<int:loan_id>/lease/absorb/", lease_end.lease_absorb, name="lease_absorb"
    ),
    path(
        "servicing/loans/<int:loan_id>/lease/title/",
        lease_end.lease_title_done,
        name="lease_title_done",
    ),
    path(
        "my/loans/<int:loan_id>/invoices/<int:invoice_id>.pdf",
        leases.my_invoice_pdf,
        name="my_invoice_pdf",
    ),
    path(
        "servicing/loans/<int:loan_id>/invoices/<int:invoice_id>.pdf",
        leases.loan_invoice_pdf,
        name="loan_invoice_pdf",
    ),
    path("servicing/lease-assets/", leases.lease_asset_list, name="lease_asset_list"),
    path("finance/leases/", leases.lease_reports, name="lease_reports"),
    path(
        "finance/leases/<int:year>/<int:month>/",
        leases.lease_reports_month,
        name="lease_reports_month",
    ),
    path(
        "finance/leases/<int:year>/<int:month>/book.csv",
        leases.lease_book_csv,
        name="lease_book_csv",
    ),
    path(
        "finance/leases/<int:year>/<int:month>/vat.csv", leases.lease_vat_csv, name="lease_vat_csv"
    ),
    path(
        "finance/leases/<int:year>/<int:month>/unearned.csv",
        leases.lease_unearned_csv,
        name="lease_unearned_csv",
    ),
]
