"""Pages of insights: deals, campaign spend, dashboards, calibration and backtests."""

from django.urls import path

from insights import views

app_name = "insights"
urlpatterns: list = [
    path("insights/", views.marketing, name="marketing"),
    path("insights/sales/", views.sales, name="sales"),
    path("insights/quarterly/", views.quarterly, name="quarterly"),
    path("insights/<str:page>/csv/<str:table>/", views.table_csv, name="table-csv"),
]
