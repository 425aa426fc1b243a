"""The hook points of scoring: where the apps built on it add to the scoring model page.

scoring never imports the apps above it. Where they take part in the model page (figures about
the draft's rules, actions on the draft), scoring calls these hooks (see core.hooks); each app
registers its receivers in its AppConfig.ready(), so they run in INSTALLED_APPS order.
`tests/test_hooks.py` asserts exactly this wiring.

| hook | called by | receivers, in order |
|---|---|---|
| draft_page_panels | the model page's *Preview the draft* card | insights: backtest_panel_for_page |
| rule_figures | the rule editor (each rule section of the model page) | insights: rule_figures_for_editor |
"""

from core.hooks import Hook

draft_page_panels = Hook(
    "draft_page_panels",
    """Panels and actions that apps above add to the draft's preview card on the model page.
    Receivers get `user` and `model` (the ScoringModel whose draft is shown) and return a
    core.hooks.Panel (template, context, scripts) or None.""",
)

rule_figures = Hook(
    "rule_figures",
    """Short figures shown beside each rule of the draft in the rule editor. Receivers get
    `user` and `model` and return a dict {rule key: short text} (e.g. "fired on 412 MQLs · 61%
    accepted · lift 1.3×") or None; the texts of several receivers are joined.""",
)


def rule_figures_for(*, user, model) -> dict[str, str]:
    """The figures of every receiver for `model`'s rules, joined per rule key."""
    figures: dict[str, list[str]] = {}
    for result in rule_figures(user=user, model=model):
        for key, text in (result or {}).items():
            figures.setdefault(key, []).append(text)
    return {key: " · ".join(texts) for key, texts in figures.items()}


def draft_panels_for(*, user, model) -> list:
    """The panels of every receiver for `model`'s draft, in order (None left out)."""
    return [panel for panel in draft_page_panels(user=user, model=model) if panel is not None]
