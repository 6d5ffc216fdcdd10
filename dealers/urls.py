from django.urls import path

from dealers.views import kpis, manager, overview, staff, statements

app_name = "dealers"
urlpatterns = [
    # the dealer portal (dealer staff)
    path("", overview.portal_home, name="portal_home"),
    path("licences/upload/", overview.portal_licence_upload, name="portal_licence_upload"),
    path("licences/<int:pk>/", overview.licence_download, name="licence_download"),
    path("staff/", staff.portal_staff, name="portal_staff"),
    path(
        "staff/<int:pk>/deactivate/", staff.portal_staff_deactivate, name="portal_staff_deactivate"
    ),
    path("agreements/", overview.portal_agreements, name="portal_agreements"),
    path("statements/", statements.portal_statements, name="portal_statements"),
    path(
        "statements/<int:pk>/", statements.portal_statement_detail, name="portal_statement_detail"
    ),
    path("statements/<int:pk>/csv/", statements.portal_statement_csv, name="portal_statement_csv"),
    path("kpis/", kpis.portal_kpis, name="portal_kpis"),
    path("invite/<str:token>/", staff.invite_accept, name="invite_accept"),
    # account managers (back office)
    path("manage/", manager.manager_home, name="manager_home"),
    path("manage/onboard/", manager.manager_onboard, name="manager_onboard"),
    path("manage/<int:pk>/", manager.manager_dealer, name="manager_dealer"),
    path(
        "manage/<int:pk>/transition/",
        manager.manager_dealer_transition,
        name="manager_dealer_transition",
    ),
    path("manage/<int:pk>/grade/", manager.manager_grade_recompute, name="manager_grade_recompute"),
    path(
        "manage/<int:pk>/bank-account/",
        manager.manager_bank_change_prepare,
        name="manager_bank_change_prepare",
    ),
    path("manage/<int:pk>/invite/", manager.manager_invite, name="manager_invite"),
    path(
        "manage/bank-changes/<int:pk>/decide/",
        manager.manager_bank_change_decide,
        name="manager_bank_change_decide",
    ),
    path(
        "manage/alerts/<int:pk>/resolve/",
        manager.manager_alert_resolve,
        name="manager_alert_resolve",
    ),
]
