from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The top layer: deals, marketing spend, funnel metrics, calibration and backtests. It reads
    the apps below through their selectors and hooks; none of them imports it."""

    name = "insights"

    def ready(self) -> None:
        from insights import backtest_tasks  # noqa: F401 - registers the Celery task
        from insights.calibration_hooks import backtest_panel_for_page, rule_figures_for_editor
        from scoring import hooks as scoring_hooks

        scoring_hooks.draft_page_panels.register(backtest_panel_for_page)
        scoring_hooks.rule_figures.register(rule_figures_for_editor)
