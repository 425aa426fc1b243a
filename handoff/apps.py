from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "handoff"

    def ready(self) -> None:
        from handoff.demo import demo_pipeline_seed
        from handoff.services import mqls_follow_stages
        from handoff.views import home_for_user
        from leads import hooks

        hooks.stage_changed.register(mqls_follow_stages)
        hooks.demo_seed.register(demo_pipeline_seed)
        hooks.home_page.register(home_for_user)
