from django.urls import path

from servicing.api import compliance as c

app_name = "compliance-api"
urlpatterns = [
    path("hits/", c.ScreeningHitListView.as_view(), name="hit-list"),
    path("hits/<int:hit_id>/", c.ScreeningHitDetailView.as_view(), name="hit-detail"),
    path("hits/<int:hit_id>/decide/", c.ScreeningHitDecideView.as_view(), name="hit-decide"),
    path("alerts/", c.AmlAlertListView.as_view(), name="alert-list"),
    path("alerts/<int:alert_id>/", c.AmlAlertDetailView.as_view(), name="alert-detail"),
    path(
        "alerts/<int:alert_id>/investigate/",
        c.AmlAlertInvestigateView.as_view(),
        name="alert-investigate",
    ),
    path("alerts/<int:alert_id>/decide/", c.AmlAlertDecideView.as_view(), name="alert-decide"),
]
