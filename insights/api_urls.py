"""/api/v1/ routes of insights: deals, campaign spend, metrics, calibration, backtests."""

from django.urls import include, path

from insights import api

app_name = "insights-api"
urlpatterns: list = [
    path("deals/", api.DealListCreateApi.as_view(), name="deals"),
    path("deals/<int:pk>/", api.DealDetailApi.as_view(), name="deal"),
    path("campaign-spend/", api.SpendListCreateApi.as_view(), name="campaign-spend"),
    path("campaign-spend/<int:pk>/", api.SpendDetailApi.as_view(), name="campaign-spend-row"),
    path("", include("insights.calibration_api_urls")),
]
