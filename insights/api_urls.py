"""/api/v1/ routes of insights: deals, campaign spend, metrics, calibration, backtests."""

from django.urls import include, path

from insights import api, metrics_api
from insights.metrics import METRICS

app_name = "insights-api"
urlpatterns: list = [
    path("deals/", api.DealListCreateApi.as_view(), name="deals"),
    path("deals/<int:pk>/", api.DealDetailApi.as_view(), name="deal"),
    path("campaign-spend/", api.SpendListCreateApi.as_view(), name="campaign-spend"),
    path("campaign-spend/<int:pk>/", api.SpendDetailApi.as_view(), name="campaign-spend-row"),
    path("metrics/", metrics_api.MetricDefinitionsApi.as_view(), name="metric-definitions"),
    *(
        path(f"metrics/{name}/", metrics_api.metric_view(name).as_view(), name=f"metric-{name}")
        for name in METRICS
    ),
    path("", include("insights.calibration_api_urls")),
]
