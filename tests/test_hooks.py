"""The wiring between apps: who reacts to what happens in a lower app, and in which order.

A change here is a change of architecture: update the table of leads/hooks.py, scoring/hooks.py or
handoff/hooks.py with it.
"""

from handoff import hooks as handoff_hooks
from leads import hooks
from scoring import hooks as scoring_hooks


def test_stage_changes_are_followed_by_the_sales_queue():
    assert hooks.stage_changed.names() == ["handoff.services.stages.mqls_follow_stages"]


def test_contact_changes_queue_a_rescore():
    assert hooks.contacts_changed.names() == [
        "scoring.rescore.queue.contacts_rescore_queue",
    ]


def test_scoring_adds_score_filters_and_the_score_panel_to_the_contact_pages():
    assert hooks.contact_filters.names() == ["scoring.filters.ContactScoreFilter"]
    assert hooks.contact_list_columns.names() == ["scoring.score_panel.score_column"]
    assert hooks.contact_page_panels.names() == [
        "scoring.score_panel.score_panel_for_page",
        "insights.panels.deals_panel_for_page",
    ]


def test_insights_adds_the_deals_panel_to_the_company_page():
    assert hooks.company_page_panels.names() == [
        "insights.panels.company_deals_panel_for_page",
    ]


def test_insights_adds_deals_and_campaign_spend_to_the_csv_imports():
    assert hooks.import_kinds.names() == [
        "insights.imports.deals_import_kind",
        "insights.imports.spend_import_kind",
    ]


def test_the_demo_data_of_the_apps_above_leads_is_seeded_through_one_hook():
    assert hooks.demo_seed.names() == [
        "scoring.demo.demo_model_seed",
        "handoff.demo.demo_pipeline_seed",
        "insights.demo.demo_history_seed",
    ]


def test_generated_data_gets_its_history_from_insights():
    assert hooks.data_generated.names() == ["insights.generate.history_generate_for_run"]


def test_feedback_adds_sales_decision_to_the_mql_page():
    assert handoff_hooks.mql_page_panels.names() == [
        "feedback.decision_panel.decision_panel_for_page",
    ]


def test_insights_adds_the_backtest_and_rule_figures_to_the_scoring_model_page():
    assert scoring_hooks.draft_page_panels.names() == [
        "insights.calibration_hooks.backtest_panel_for_page",
    ]
    assert scoring_hooks.rule_figures.names() == [
        "insights.calibration_hooks.rule_figures_for_editor",
    ]


def test_a_receiver_registers_once_and_runs_in_registration_order():
    from core.hooks import Hook

    calls = []
    hook = Hook("example", "For this test.")

    def first(**kwargs):
        calls.append(("first", kwargs))
        return 1

    def second(**kwargs):
        calls.append(("second", kwargs))
        return 2

    hook.register(first)
    hook.register(second)
    hook.register(first)  # ready() may run again: no second registration
    assert hook(value=3) == [1, 2]
    assert calls == [("first", {"value": 3}), ("second", {"value": 3})]


def test_insights_chooses_the_home_page_by_role():
    assert hooks.home_page.names() == [
        "handoff.views.home_for_user",
        "insights.dashboard_views.home_for_user",
    ]
