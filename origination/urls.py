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
