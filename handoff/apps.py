from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "handoff"

    def ready(self) -> None:
        from handoff.demo import demo_pipeline_seed
        from handoff.services import mqls_follow_stages
        from leads import hooks

        hooks.stage_changed.register(mqls_follow_stages)
        hooks.demo_seed.register(demo_pipeline_seed)
