from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The top layer: deals, marketing spend, funnel metrics, calibration and backtests. It reads
    the apps below through their selectors and hooks; none of them imports it."""

    name = "insights"

    def ready(self) -> None:
        from insights import backtest_tasks  # noqa: F401 - registers the Celery task
        from insights.calibration_hooks import backtest_panel_for_page, rule_figures_for_editor
        from insights.dashboard_views import home_for_user
        from insights.demo import demo_history_seed
        from insights.generate import history_generate_for_run
        from insights.imports import deals_import_kind, spend_import_kind
        from insights.panels import company_deals_panel_for_page, deals_panel_for_page
        from leads import hooks
        from scoring import hooks as scoring_hooks

        hooks.contact_page_panels.register(deals_panel_for_page)
        hooks.company_page_panels.register(company_deals_panel_for_page)
        hooks.import_kinds.register(deals_import_kind)
        hooks.import_kinds.register(spend_import_kind)
        hooks.demo_seed.register(demo_history_seed)
        hooks.data_generated.register(history_generate_for_run)
        hooks.home_page.register(home_for_user)
        scoring_hooks.draft_page_panels.register(backtest_panel_for_page)
        scoring_hooks.rule_figures.register(rule_figures_for_editor)
