"""Intake URLs (applications, sign-up, consents, the dealer portal's application pages);
appended to origination.urls."""

from django.urls import path

from origination import views_apply, views_dealer

urlpatterns = [
    path("apply/signup/", views_apply.signup, name="signup"),
    path("apply/", views_apply.apply_start, name="apply_start"),
    path("apply/quote/", views_apply.quote_preview, name="apply_quote"),
    path("apply/confirm/<str:token>/", views_apply.apply_confirm, name="apply_confirm"),
    path("apply/<str:reference>/<slug:step>/", views_apply.apply_step, name="apply_step"),
    path("my/applications/", views_apply.my_applications, name="my_applications"),
    path(
        "my/applications/<str:reference>/",
        views_apply.application_detail,
        name="application_detail",
    ),
    path(
        "my/applications/<str:reference>/withdraw/",
        views_apply.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "my/applications/<str:reference>/review/",
        views_apply.application_review_request,
        name="application_review_request",
    ),
    path("my/consents/", views_apply.consents_page, name="consents"),
    path("my/consents/<int:pk>/withdraw/", views_apply.consent_withdraw, name="consent_withdraw"),
    path("my/data/export/", views_apply.data_export, name="data_export"),
    path("my/data/delete/", views_apply.data_delete, name="data_delete"),
    path(
        "applications/documents/<int:pk>/",
        views_apply.document_download,
        name="document_download",
    ),
    path("applications/report/", views_apply.intake_report, name="intake_report"),
    # the dealer portal (mounted beside dealers' /dealer/ pages)
    path("dealer/pipeline/", views_dealer.dealer_pipeline, name="dealer_pipeline"),
    path("dealer/applications/", views_dealer.dealer_applications, name="dealer_applications"),
    path(
        "dealer/applications/new/",
        views_dealer.dealer_application_new,
        name="dealer_application_new",
    ),
    path(
        "dealer/applications/<str:reference>/",
        views_dealer.dealer_application_detail,
        name="dealer_application_detail",
    ),
    path(
        "dealer/applications/<str:reference>/confirm-sms/",
        views_dealer.dealer_send_confirmation,
        name="dealer_send_confirmation",
    ),
    path(
        "dealer/applications/<str:reference>/<slug:step>/",
        views_dealer.dealer_application_step,
        name="dealer_application_step",
    ),
]
