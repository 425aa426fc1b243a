"""The hook points of the handoff: where the apps built on it add to what the queue shows.

handoff never imports feedback. Where feedback must take part (sales' decision on an MQL),
handoff calls these hooks (see core.hooks); feedback registers its receivers in its
AppConfig.ready(), so they run in INSTALLED_APPS order. `tests/test_hooks.py` asserts exactly
this wiring.

| hook | called by | receivers, in order |
|---|---|---|
| mql_page_panels | the MQL page (handoff.pages.mql_page), also when it shows a refused action | feedback: decision_panel_for_page |
"""

from core.hooks import Hook

mql_page_panels = Hook(
    "mql_page_panels",
    """Panels that apps above add to the MQL page. Receivers get `user`, `mql` and `forms` (the
    bound forms of a refused action, by name, e.g. {"reject": form} with its errors; empty
    otherwise) and return a core.hooks.Panel (template, context, scripts) or None. While the
    MQL is open the panels show among its actions (after the touch form, before reassign);
    once it is settled, in their place.""",
)
