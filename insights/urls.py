"""Pages of insights: deals, campaign spend, dashboards, calibration and backtests."""

from django.urls import path

from insights import dashboard_views as views

app_name = "insights"
urlpatterns: list = [
    path("insights/", views.marketing, name="marketing"),
    path("insights/sales/", views.sales, name="sales"),
    path("insights/quarterly/", views.quarterly, name="quarterly"),
    path("insights/csv/<str:page>/<str:table>/", views.table_csv, name="table-csv"),
]
