from django.urls import path

from risk import views

app_name = "risk"
urlpatterns = [
    path("risk/models/", views.model_list, name="model_list"),
    path("risk/models/<int:pk>/", views.model_detail, name="model_detail"),
    path("risk/models/<int:pk>/plots/<slug:kind>.png", views.model_plot, name="model_plot"),
    path("risk/models/<int:pk>/promote/", views.model_promote, name="model_promote"),
    path("risk/models/<int:pk>/challenger/", views.model_challenger, name="model_challenger"),
    path("risk/strategy/", views.strategy, name="strategy"),
]
