from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The top layer: deals, marketing spend, funnel metrics, calibration and backtests. It reads
    the apps below through their selectors and hooks; none of them imports it."""

    name = "insights"

    def ready(self):
        from insights.dashboard_views import home_for_user
        from leads import hooks

        hooks.home_page.register(home_for_user)
