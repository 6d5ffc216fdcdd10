"""The origination API under /api/v1/: products, quotes, applications (intake)."""

from django.urls import path

from origination.api import applications, products, quotes

urlpatterns = [
    path("products/", products.ProductListView.as_view(), name="api-products-root"),
    path("products/<slug:code>/", products.ProductDetailView.as_view(), name="api-products-detail"),
    path("quotes/", quotes.QuoteCreateView.as_view(), name="api-quotes-root"),
    path("quotes/<uuid:reference>/", quotes.QuoteDetailView.as_view(), name="api-quotes-detail"),
    path(
        "applications/",
        applications.ApplicationListCreateView.as_view(),
        name="api-applications-root",
    ),
    path(
        "applications/<str:reference>/",
        applications.ApplicationDetailView.as_view(),
        name="api-applications-detail",
    ),
    path(
        "applications/<str:reference>/documents/",
        applications.ApplicationDocumentView.as_view(),
        name="api-applications-documents",
    ),
    path(
        "applications/<str:reference>/submit/",
        applications.ApplicationSubmitView.as_view(),
        name="api-applications-submit",
    ),
    path(
        "applications/<str:reference>/status/",
        applications.ApplicationStatusView.as_view(),
        name="api-applications-status",
    ),
]
