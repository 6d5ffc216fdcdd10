from django.urls import path

from origination import views

app_name = "origination"
urlpatterns = [
    path("calculator/", views.calculator, name="calculator"),
    path("calculator/schedule/", views.calculator_schedule, name="calculator_schedule"),
    path(
        "calculator/schedule.csv",
        views.calculator_schedule,
        {"fmt": "csv"},
        name="calculator_schedule_csv",
    ),
    path(
        "calculator/schedule.pdf",
        views.calculator_schedule,
        {"fmt": "pdf"},
        name="calculator_schedule_pdf",
    ),
    path("quotes/<uuid:reference>/schedule/", views.quote_schedule, name="quote_schedule"),
    path(
        "quotes/<uuid:reference>/schedule.csv",
        views.quote_schedule,
        {"fmt": "csv"},
        name="quote_schedule_csv",
    ),
    path(
        "quotes/<uuid:reference>/schedule.pdf",
        views.quote_schedule,
        {"fmt": "pdf"},
        name="quote_schedule_pdf",
    ),
    path("products/", views.product_list, name="product_list"),
    path("products/<slug:code>/", views.product_detail, name="product_detail"),
    path("products/<slug:code>/draft/", views.product_draft, name="product_draft"),
    path(
        "products/<slug:code>/versions/<int:number>/publish/",
        views.product_publish,
        name="product_publish",
    ),
]

# Application intake (origination/urls_applications.py)
from origination.urls_applications import urlpatterns as _intake_urlpatterns  # noqa: E402

urlpatterns += _intake_urlpatterns

# Underwriting workbench (back office) and the customer's contract pages
from origination import views_contracts, views_workbench  # noqa: E402

urlpatterns += [
    path("workbench/", views_workbench.workbench, name="workbench"),
    path("workbench/cases/<str:reference>/", views_workbench.case, name="workbench_case"),
    path("workbench/cases/<str:reference>/claim/", views_workbench.claim, name="workbench_claim"),
    path(
        "workbench/cases/<str:reference>/release/",
        views_workbench.release,
        name="workbench_release",
    ),
    path(
        "workbench/cases/<str:reference>/approve/",
        views_workbench.approve,
        name="workbench_approve",
    ),
    path(
        "workbench/cases/<str:reference>/counter-offer/",
        views_workbench.counter_offer,
        name="workbench_counter_offer",
    ),
    path(
        "workbench/cases/<str:reference>/request-documents/",
        views_workbench.request_documents,
        name="workbench_request_documents",
    ),
    path(
        "workbench/cases/<str:reference>/decline/",
        views_workbench.decline,
        name="workbench_decline",
    ),
    path(
        "workbench/conditions/<int:pk>/resolve/",
        views_workbench.condition_resolve,
        name="workbench_condition_resolve",
    ),
    path("workbench/documents/<int:pk>/", views_workbench.document, name="workbench_document"),
    path(
        "workbench/contracts/<str:contract_ref>/",
        views_workbench.contract_detail,
        name="workbench_contract",
    ),
    path(
        "workbench/contracts/<str:contract_ref>/pdf/",
        views_workbench.contract_pdf,
        name="workbench_contract_pdf",
    ),
    path(
        "workbench/checklist/<int:pk>/",
        views_workbench.checklist_record,
        name="workbench_checklist_record",
    ),
    path(
        "contracts/<str:contract_ref>/sign/",
        views_contracts.contract_sign_page,
        name="contract_sign",
    ),
    path(
        "contracts/<str:contract_ref>/code/",
        views_contracts.contract_send_code,
        name="contract_send_code",
    ),
    path(
        "contracts/<str:contract_ref>/pdf/",
        views_contracts.contract_document,
        name="contract_document",
    ),
    path("counter-offers/<int:pk>/", views_contracts.counter_offer_page, name="counter_offer"),
]
