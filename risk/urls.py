from django.urls import path

from risk.views import bureau_queries, scorecards, strategy

app_name = "risk"
urlpatterns = [
    path("risk/models/", scorecards.model_list, name="model_list"),
    path("risk/models/<int:pk>/", scorecards.model_detail, name="model_detail"),
    path("risk/models/<int:pk>/plots/<slug:kind>.png", scorecards.model_plot, name="model_plot"),
    path("risk/models/<int:pk>/promote/", scorecards.model_promote, name="model_promote"),
    path("risk/models/<int:pk>/challenger/", scorecards.model_challenger, name="model_challenger"),
    path("risk/strategy/", strategy.strategy, name="strategy"),
    path("risk/bureau-queries/", bureau_queries.bureau_queries, name="bureau_queries"),
    path("risk/bureau-queries.csv", bureau_queries.bureau_queries_csv, name="bureau_queries_csv"),
]
