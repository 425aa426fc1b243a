from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        from feedback.decision_panel import decision_panel_for_page
        from handoff import hooks

        hooks.mql_page_panels.register(decision_panel_for_page)
