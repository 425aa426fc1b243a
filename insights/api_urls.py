"""/api/v1/ routes of insights: deals, campaign spend, metrics, calibration, backtests."""

from django.urls import path

from insights import metrics_api
from insights.metrics import METRICS

app_name = "insights-api"
urlpatterns: list = [
    path(
        "metrics/",
        metrics_api.MetricDefinitionsApi.as_view(),
        name="metric-definitions",
    ),
    *(
        path(f"metrics/{name}/", metrics_api.metric_view(name).as_view(), name=f"metric-{name}")
        for name in METRICS
    ),
]
