from django.urls import path

from origination.api import views

urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="api-products-root"),
    path("products/<slug:code>/", views.ProductDetailView.as_view(), name="api-products-detail"),
    path("quotes/", views.QuoteCreateView.as_view(), name="api-quotes-root"),
    path("quotes/<uuid:reference>/", views.QuoteDetailView.as_view(), name="api-quotes-detail"),
]
