from django.urls import path

from dealers import views

app_name = "dealers"
urlpatterns = [
    # the dealer portal (dealer staff)
    path("", views.portal_home, name="portal_home"),
    path("licences/upload/", views.portal_licence_upload, name="portal_licence_upload"),
    path("licences/<int:pk>/", views.licence_download, name="licence_download"),
    path("staff/", views.portal_staff, name="portal_staff"),
    path(
        "staff/<int:pk>/deactivate/", views.portal_staff_deactivate, name="portal_staff_deactivate"
    ),
    path("agreements/", views.portal_agreements, name="portal_agreements"),
    path("statements/", views.portal_statements, name="portal_statements"),
    path("statements/<int:pk>/", views.portal_statement_detail, name="portal_statement_detail"),
    path("statements/<int:pk>/csv/", views.portal_statement_csv, name="portal_statement_csv"),
    path("kpis/", views.portal_kpis, name="portal_kpis"),
    path("invite/<str:token>/", views.invite_accept, name="invite_accept"),
    # account managers (back office)
    path("manage/", views.manager_home, name="manager_home"),
    path("manage/onboard/", views.manager_onboard, name="manager_onboard"),
    path("manage/<int:pk>/", views.manager_dealer, name="manager_dealer"),
    path(
        "manage/<int:pk>/transition/",
        views.manager_dealer_transition,
        name="manager_dealer_transition",
    ),
    path("manage/<int:pk>/grade/", views.manager_grade_recompute, name="manager_grade_recompute"),
    path(
        "manage/<int:pk>/bank-account/",
        views.manager_bank_change_prepare,
        name="manager_bank_change_prepare",
    ),
    path("manage/<int:pk>/invite/", views.manager_invite, name="manager_invite"),
    path(
        "manage/bank-changes/<int:pk>/decide/",
        views.manager_bank_change_decide,
        name="manager_bank_change_decide",
    ),
    path(
        "manage/alerts/<int:pk>/resolve/", views.manager_alert_resolve, name="manager_alert_resolve"
    ),
]
