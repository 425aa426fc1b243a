"""Pages of insights: deals, campaign spend, dashboards, calibration and backtests."""

from django.urls import include, path

from insights import views

app_name = "insights"
urlpatterns: list = [
    path("insights/campaign-spend/", views.spend_list, name="spend"),
    path("insights/campaign-spend/<int:pk>/", views.spend_edit, name="spend-edit"),
    path("insights/campaign-spend/<int:pk>/delete/", views.spend_delete, name="spend-delete"),
    path("insights/", include("insights.calibration_urls")),
]
