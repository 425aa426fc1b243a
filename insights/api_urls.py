"""/api/v1/ routes of insights: deals, campaign spend, metrics, calibration, backtests."""

from django.urls import include, path

app_name = "insights-api"
urlpatterns: list = [
    path("", include("insights.calibration_api_urls")),
]
