"""HTML pages of scoring models: list, model page with its rule editor, publish, versions, diff.

Views parse the request, call scoring.services and render. Marketers (scoring.change_scoringmodel)
edit; every other role with scoring.view_scoringmodel reads the same pages without edit controls,
and their writes are refused with 403. htmx requests get the partial they swap; plain requests
get the whole page (or a redirect after a write), so every control also works without htmx.

Modules: model_pages (list, new model, model page, settings, segment), rules (the rule editor),
versions (publish, versions, rollback, diff, preview); model_context holds what they share.
"""

from scoring.views.model_context import has_unpublished_changes
from scoring.views.model_pages import (
    model_detail,
    model_list,
    model_new,
    model_settings,
    segment_add,
    segment_form,
    segment_remove,
)
from scoring.views.rules import (
    rule_edit,
    rule_form,
    rule_move,
    rule_new,
    rule_remove,
    rule_section,
)
from scoring.views.versions import (
    model_preview,
    model_publish_view,
    version_compare,
    version_detail,
    version_rollback,
)

__all__ = [
    "has_unpublished_changes",
    "model_detail",
    "model_list",
    "model_new",
    "model_preview",
    "model_publish_view",
    "model_settings",
    "rule_edit",
    "rule_form",
    "rule_move",
    "rule_new",
    "rule_remove",
    "rule_section",
    "segment_add",
    "segment_form",
    "segment_remove",
    "version_compare",
    "version_detail",
    "version_rollback",
]
