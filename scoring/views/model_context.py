"""What the scoring model pages share: the access check, the model page's context, the rule
sections, and the answer to an htmx edit of the draft."""

from dataclasses import dataclass, field

from django.template.loader import render_to_string

from core.exceptions import DomainError
from core.http import page_render, page_require
from scoring.forms import ConditionForm, DiffForm, PublishForm, ScoringModelForm
from scoring.hooks import draft_panels_for, rule_figures_for
from scoring.models import ModelVersion, ScoringModel
from scoring.selectors import latest_version, model_get_for_user
from scoring.services import RULE_MODELS
from scoring.spec import spec_from_draft

VIEW = "scoring.view_scoringmodel"
ADD = "scoring.add_scoringmodel"
CHANGE = "scoring.change_scoringmodel"
ALL_CONTACTS = "leads.view_all_contacts"
SECTIONS = {
    "fit_rules": (
        "Fit rules",
        "Points for who the contact is: a contact or company field, an operator and a value.",
    ),
    "engagement_rules": (
        "Engagement rules",
        "Points for what the contact did: events, optionally filtered on a property.",
    ),
    "disqualifiers": (
        "Disqualifiers",
        "Keep a contact from becoming an MQL whatever its score.",
    ),
}


# --- access -----------------------------------------------------------------------------------


def model_for_request(request, pk: int, *, edit: bool = False) -> ScoringModel:
    """The model, if the user may read it (and change it when `edit`); 403 / 404 otherwise."""
    page_require(request, VIEW)
    if edit:
        page_require(request, CHANGE)
    return model_get_for_user(user=request.user, pk=pk)


def write_response(request, model: ScoringModel, template: str, context: dict, status: int = 200):
    """An htmx answer to a draft edit: the swapped partial plus, out of band, the draft's state
    (unpublished changes or not) in the page head and the publish card."""
    response = page_render(request, template, context, status)
    latest = latest_version(model=model)
    state = {"oob": True, "latest": latest, "unpublished": has_unpublished_changes(model, latest)}
    response.content += render_to_string(
        "scoring/partials/draft_status.html", state, request=request
    ).encode()
    return response


# --- what the pages show ----------------------------------------------------------------------


def has_unpublished_changes(model: ScoringModel, latest: ModelVersion | None) -> bool:
    """True when publishing now would create a new version (the draft differs from the latest)."""
    if latest is None:
        return True
    try:
        return spec_from_draft(model).to_dict() != latest.definition
    except DomainError:
        return True


@dataclass
class RuleSection:
    model: ScoringModel
    kind: str
    can_edit: bool
    add_form: object = None  # an open "add a rule" form
    editing: int | None = None  # id of the rule being edited
    edit_form: object = None
    rules: list = field(default_factory=list)

    @property
    def title(self) -> str:
        return SECTIONS[self.kind][0]

    @property
    def help(self) -> str:
        return SECTIONS[self.kind][1]

    @property
    def form_template(self) -> str:
        return f"scoring/partials/form_{self.kind}.html"


def rule_section_load(
    model: ScoringModel, kind: str, can_edit: bool, figures: dict | None = None, **kwargs
) -> RuleSection:
    """One rule list of the draft, in order, with the editor state given in kwargs and, beside
    each rule, the figures apps above give for it (scoring.hooks.rule_figures: `figures`)."""
    section = RuleSection(model=model, kind=kind, can_edit=can_edit, **kwargs)
    section.rules = list(RULE_MODELS[kind].objects.filter(model=model).order_by("position", "id"))
    for rule in section.rules:
        rule.model = model  # the sentences read the model's lookback
        rule.figures = (figures or {}).get(rule.key, "")
    return section


def rule_figures_for_request(request, model: ScoringModel) -> dict[str, str]:
    return rule_figures_for(user=request.user, model=model)


def segment_conditions(model: ScoringModel) -> list[dict]:
    """A copy of the draft's segment conditions."""
    return list(model.segment or [])


def model_context(request, model: ScoringModel, **overrides) -> dict:
    """The model page's context; `overrides` replace parts (a bound form with its errors)."""
    can_edit = request.user.has_perm(CHANGE)
    figures = rule_figures_for_request(request, model)
    versions = list(model.versions.select_related("published_by").order_by("-number"))
    latest = versions[0] if versions else None
    context = {
        "model": model,
        "can_edit": can_edit,
        "can_preview": request.user.has_perm(ALL_CONTACTS),
        "versions": versions,
        "latest": latest,
        "unpublished": has_unpublished_changes(model, latest),
        "segment": segment_conditions(model),
        "sections": [rule_section_load(model, kind, can_edit, figures) for kind in RULE_MODELS],
        "draft_panels": draft_panels_for(user=request.user, model=model),
        "settings_form": ScoringModelForm.for_model(model) if can_edit else None,
        "condition_form": ConditionForm() if can_edit else None,
        "publish_form": PublishForm() if can_edit else None,
        "diff_form": DiffForm(),
    }
    context.update(overrides)
    return context
