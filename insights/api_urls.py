"""/api/v1/ routes of insights: deals, campaign spend, metrics, calibration, backtests."""

app_name = "insights-api"
urlpatterns: list = []
