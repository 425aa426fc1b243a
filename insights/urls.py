"""Pages of insights: deals, campaign spend, dashboards, calibration and backtests."""

from django.urls import include, path

app_name = "insights"
urlpatterns: list = [
    path("insights/", include("insights.calibration_urls")),
]
