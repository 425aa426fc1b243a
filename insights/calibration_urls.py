"""Pages of calibration and backtests (included by insights/urls.py under /insights/)."""

from django.urls import path

from insights import calibration_views as views

urlpatterns = [
    path("calibration/", views.calibration_index, name="calibration"),
    path("calibration/<int:pk>/", views.calibration_page, name="calibration-model"),
    path("calibration/<int:pk>/frontier/", views.frontier_partial, name="calibration-frontier"),
    path("calibration/<int:pk>/thresholds/", views.thresholds_apply, name="calibration-thresholds"),
    path("calibration/<int:pk>/backtests/", views.backtest_new, name="backtest-new"),
    path("backtests/<int:pk>/", views.backtest_page, name="backtest"),
]
