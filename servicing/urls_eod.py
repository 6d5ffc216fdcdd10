"""URLs of the nightly settlement and collections pages (included by servicing.urls)."""

from django.urls import path

from servicing import views_collections, views_eod

urlpatterns = [
    path("servicing/eod/", views_eod.eod_dashboard, name="eod_dashboard"),
    path("servicing/eod/progress/", views_eod.eod_progress, name="eod_progress"),
    path(
        "servicing/eod/<int:batch_id>/progress/",
        views_eod.eod_progress,
        name="eod_progress_batch",
    ),
    path("servicing/eod/<int:batch_id>/", views_eod.eod_batch_detail, name="eod_batch_detail"),
    path("servicing/eod/<int:batch_id>/retry/", views_eod.eod_retry, name="eod_retry"),
    path("servicing/eod/start/", views_eod.eod_start, name="eod_start"),
    path("servicing/eod/curves/", views_eod.eod_curves, name="eod_curves"),
    path(
        "servicing/collections/",
        views_collections.collections_queue,
        name="collections_queue",
    ),
    path(
        "servicing/collections/<int:case_id>/",
        views_collections.collections_case,
        name="collections_case",
    ),
    path(
        "servicing/collections/<int:case_id>/contact/",
        views_collections.collections_contact,
        name="collections_contact",
    ),
    path(
        "servicing/collections/<int:case_id>/promise/",
        views_collections.collections_promise,
        name="collections_promise",
    ),
    path(
        "servicing/collections/<int:case_id>/note/",
        views_collections.collections_note,
        name="collections_note",
    ),
]
