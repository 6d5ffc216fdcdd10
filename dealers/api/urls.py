from django.urls import path

from dealers.api import views

app_name = "dealers_api"
urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("staff/", views.StaffList.as_view(), name="staff"),
    path("agreements/", views.AgreementList.as_view(), name="agreements"),
    path("commissions/", views.CommissionList.as_view(), name="commissions"),
    path("statements/", views.StatementList.as_view(), name="statements"),
    path("statements/<int:pk>/", views.StatementDetail.as_view(), name="statement_detail"),
    path("kpis/", views.KpiList.as_view(), name="kpis"),
]
