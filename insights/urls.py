"""Pages of insights: deals, campaign spend, dashboards, calibration and backtests."""

app_name = "insights"
urlpatterns: list = []
