from django.urls import path

from origination.api import views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="api-products-root"),
    path("products/<slug:code>/", views.ProductDetailView.as_view(), name="api-products-detail"),
    path("quotes/", views.QuoteCreateView.as_view(), name="api-quotes-root"),
    path("quotes/<uuid:reference>/", views.QuoteDetailView.as_view(), name="api-quotes-detail"),
]

# Applications (intake): origination/api/applications.py
from origination.api import applications as _applications  # noqa: E402

urlpatterns += [
    path(
        "applications/",
        _applications.ApplicationListCreateView.as_view(),
        name="api-applications-root",
    ),
    path(
        "applications/<str:reference>/",
        _applications.ApplicationDetailView.as_view(),
        name="api-applications-detail",
    ),
    path(
        "applications/<str:reference>/documents/",
        _applications.ApplicationDocumentView.as_view(),
        name="api-applications-documents",
    ),
    path(
        "applications/<str:reference>/submit/",
        _applications.ApplicationSubmitView.as_view(),
        name="api-applications-submit",
    ),
    path(
        "applications/<str:reference>/status/",
        _applications.ApplicationStatusView.as_view(),
        name="api-applications-status",
    ),
]
