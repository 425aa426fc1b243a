"""Pages of insights: dashboards, campaign spend, calibration and backtests."""

from django.urls import include, path

from insights import dashboard_views, views

app_name = "insights"
urlpatterns: list = [
    path("insights/", dashboard_views.marketing, name="marketing"),
    path("insights/sales/", dashboard_views.sales, name="sales"),
    path("insights/quarterly/", dashboard_views.quarterly, name="quarterly"),
    path("insights/csv/<str:page>/<str:table>/", dashboard_views.table_csv, name="table-csv"),
    path("insights/campaign-spend/", views.spend_list, name="spend"),
    path("insights/campaign-spend/<int:pk>/", views.spend_edit, name="spend-edit"),
    path("insights/campaign-spend/<int:pk>/delete/", views.spend_delete, name="spend-delete"),
    path("insights/", include("insights.calibration_urls")),
]
