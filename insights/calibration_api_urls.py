"""/api/v1/ routes of calibration and backtests (included by insights/api_urls.py)."""

from django.urls import path

from insights import calibration_api as api

urlpatterns = [
    path("calibration/<int:pk>/rules/", api.RuleReportApi.as_view(), name="calibration-rules"),
    path("calibration/<int:pk>/grid/", api.ScoreGridApi.as_view(), name="calibration-grid"),
    path("calibration/<int:pk>/frontier/", api.FrontierApi.as_view(), name="calibration-frontier"),
    path(
        "calibration/<int:pk>/thresholds/",
        api.ThresholdsApi.as_view(),
        name="calibration-thresholds",
    ),
    path("backtests/", api.BacktestCreateApi.as_view(), name="backtests"),
    path("backtests/<int:pk>/", api.BacktestDetailApi.as_view(), name="backtest"),
]
