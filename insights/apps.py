from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The top layer: deals, marketing spend, funnel metrics, calibration and backtests. It reads
    the apps below through their selectors and hooks; none of them imports it."""

    name = "insights"

    def ready(self) -> None:
        from insights.demo import demo_history_seed
        from insights.generate import history_generate_for_run
        from leads import hooks

        hooks.demo_seed.register(demo_history_seed)
        hooks.data_generated.register(history_generate_for_run)
