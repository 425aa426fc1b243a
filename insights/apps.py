from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The top layer: deals, marketing spend, funnel metrics, calibration and backtests. It reads
    the apps below through their selectors and hooks; none of them imports it."""

    name = "insights"
