"""HTML pages of scoring models: list, model page with its rule editor, publish, versions, diff.

Views parse the request, call scoring.services and render. Marketers (scoring.change_scoringmodel)
edit; every other role with scoring.view_scoringmodel reads the same pages without edit controls,
and their writes are refused with 403. htmx requests get the partial they swap; plain requests
get the whole page (or a redirect after a write), so every control also works without htmx.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import DomainError
from core.http import page_render, page_require
from scoring.forms import (
    RULE_FORMS,
    ConditionForm,
    DiffForm,
    PublishForm,
    ScoringModelForm,
    add_domain_error,
)
from scoring.models import ModelVersion, ScoringModel
from scoring.preview import draft_preview
from scoring.selectors import latest_version, model_get_for_user, version_get
from scoring.services import (
    RULE_MODELS,
    model_create,
    model_publish,
    model_rollback,
    model_update,
    rule_add,
    rule_delete,
    rule_reorder,
    rule_update,
    version_diff,
)
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


def _model_for(request, pk: int, *, edit: bool = False) -> ScoringModel:
    """The model, if the user may read it (and change it when `edit`); 403 / 404 otherwise."""
    page_require(request, VIEW)
    if edit:
        page_require(request, CHANGE)
    return model_get_for_user(user=request.user, pk=pk)


def _kind(kind: str) -> str:
    if kind not in RULE_MODELS:
        raise Http404("No such rule list")
    return kind


def _rule_for(model: ScoringModel, kind: str, rule_id: int):
    return get_object_or_404(RULE_MODELS[_kind(kind)], model=model, pk=rule_id)


def _render_write(request, model: ScoringModel, template: str, context: dict, status: int = 200):
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


def _section(model: ScoringModel, kind: str, can_edit: bool, **kwargs) -> RuleSection:
    section = RuleSection(model=model, kind=kind, can_edit=can_edit, **kwargs)
    section.rules = list(RULE_MODELS[kind].objects.filter(model=model).order_by("position", "id"))
    for rule in section.rules:
        rule.model = model  # the sentences read the model's lookback
    return section


def _segment(model: ScoringModel) -> list[dict]:
    return list(model.segment or [])


def _model_context(request, model: ScoringModel, **overrides) -> dict:
    can_edit = request.user.has_perm(CHANGE)
    versions = list(model.versions.select_related("published_by").order_by("-number"))
    latest = versions[0] if versions else None
    context = {
        "model": model,
        "can_edit": can_edit,
        "can_preview": request.user.has_perm(ALL_CONTACTS),
        "versions": versions,
        "latest": latest,
        "unpublished": has_unpublished_changes(model, latest),
        "segment": _segment(model),
        "sections": [_section(model, kind, can_edit) for kind in RULE_MODELS],
        "settings_form": ScoringModelForm.for_model(model) if can_edit else None,
        "condition_form": ConditionForm() if can_edit else None,
        "publish_form": PublishForm() if can_edit else None,
        "diff_form": DiffForm(),
    }
    context.update(overrides)
    return context


# --- list and new model -----------------------------------------------------------------------


@require_GET
def model_list(request):
    page_require(request, VIEW)
    models = list(
        ScoringModel.objects.annotate(
            fit_count=Count("fitrules", distinct=True),
            engagement_count=Count("engagementrules", distinct=True),
            disqualifier_count=Count("disqualifiers", distinct=True),
        )
    )
    latest_numbers = dict(
        ModelVersion.objects.values("model_id")
        .annotate(n=Max("number"))
        .values_list("model_id", "n")
    )
    latest = {
        (v.model_id, v.number): v
        for v in ModelVersion.objects.filter(
            model_id__in=latest_numbers, number__in=set(latest_numbers.values())
        )
    }
    rows = []
    for model in models:
        version = latest.get((model.pk, latest_numbers.get(model.pk)))
        rows.append(
            {
                "model": model,
                "latest": version,
                "unpublished": has_unpublished_changes(model, version),
            }
        )
    return page_render(
        request,
        "scoring/model_list.html",
        {"rows": rows, "can_add": request.user.has_perm(ADD)},
    )


@require_http_methods(["GET", "POST"])
def model_new(request):
    page_require(request, VIEW)
    page_require(request, ADD)
    if request.method == "GET":
        form = ScoringModelForm(initial={"is_active": True})
        return page_render(request, "scoring/model_new.html", {"form": form})
    form = ScoringModelForm(request.POST)
    if form.is_valid():
        try:
            model = model_create(data={**form.cleaned_data, "segment": []}, by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"Created “{model.name}”. Add its rules, then publish it.")
            return redirect("scoring-model", pk=model.pk)
    return page_render(request, "scoring/model_new.html", {"form": form}, status=400)


# --- model page, settings and segment ---------------------------------------------------------


@require_GET
def model_detail(request, pk: int):
    model = _model_for(request, pk)
    return page_render(request, "scoring/model_detail.html", _model_context(request, model))


def _model_page_or_partial(request, model, partial: str, status: int = 200, **overrides):
    """After a write: the htmx partial, or for a plain form post the page (redirect if fine)."""
    if request.htmx:
        context = _model_context(request, model, **overrides)
        template = f"scoring/model_detail.html#{partial}"
        return _render_write(request, model, template, context, status=status)
    if status == 200:
        return redirect(reverse("scoring-model", args=[model.pk]) + f"#{partial}")
    context = _model_context(request, model, **overrides)
    return page_render(request, "scoring/model_detail.html", context, status=status)


@require_POST
def model_settings(request, pk: int):
    model = _model_for(request, pk, edit=True)
    form = ScoringModelForm.for_model(model, request.POST)
    if form.is_valid():
        try:
            model_update(model=model, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            model.refresh_from_db()
            if not request.htmx:
                messages.success(request, "Settings saved.")
            return _model_page_or_partial(
                request,
                model,
                "settings",
                settings_form=ScoringModelForm.for_model(model),
                saved=True,
            )
    model.refresh_from_db()
    return _model_page_or_partial(request, model, "settings", status=400, settings_form=form)


@require_POST
def segment_add(request, pk: int):
    model = _model_for(request, pk, edit=True)
    form = ConditionForm(request.POST)
    if form.is_valid():
        try:
            model_update(model=model, data={"segment": [*_segment(model), form.condition_data()]})
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _model_page_or_partial(request, model, "segment")
    model.refresh_from_db()
    return _model_page_or_partial(request, model, "segment", status=400, condition_form=form)


@require_POST
def segment_remove(request, pk: int, index: int):
    model = _model_for(request, pk, edit=True)
    segment = _segment(model)
    if not 0 <= index < len(segment):
        raise Http404("No such condition")
    del segment[index]
    model_update(model=model, data={"segment": segment})
    return _model_page_or_partial(request, model, "segment")


@require_POST
def segment_form(request, pk: int):
    """Re-render the segment condition form for the chosen field (its operators); saves nothing."""
    model = _model_for(request, pk, edit=True)
    form = ConditionForm(
        initial={name: request.POST.get(name, "") for name in ConditionForm.base_fields}
    )
    return page_render(
        request, "scoring/partials/segment_form.html", {"model": model, "condition_form": form}
    )


# --- rules ------------------------------------------------------------------------------------


def _section_response(request, model, kind: str, status: int = 200, **kwargs):
    can_edit = request.user.has_perm(CHANGE)
    section = _section(model, kind, can_edit, **kwargs)
    if request.htmx:
        template = "scoring/partials/rule_section.html"
        return _render_write(request, model, template, {"section": section}, status)
    if status == 200:
        return redirect(reverse("scoring-model", args=[model.pk]) + f"#rules-{kind}")
    sections = [section if s == kind else _section(model, s, can_edit) for s in RULE_MODELS]
    context = _model_context(request, model, sections=sections)
    return page_render(request, "scoring/model_detail.html", context, status=status)


@require_GET
def rule_section(request, pk: int, kind: str):
    model = _model_for(request, pk)
    return _section_response(request, model, _kind(kind))


@require_http_methods(["GET", "POST"])
def rule_new(request, pk: int, kind: str):
    """GET: the section with an empty "add a rule" form; POST: add the rule."""
    model = _model_for(request, pk, edit=True)
    form_cls = RULE_FORMS[_kind(kind)]
    if request.method == "GET":
        return _section_response(request, model, kind, add_form=form_cls())
    form = form_cls(request.POST)
    if form.is_valid():
        try:
            rule_add(model=model, kind=kind, data=form.rule_data())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _section_response(request, model, kind)
    return _section_response(request, model, kind, status=400, add_form=form)


@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int, kind: str, rule_id: int):
    """GET: the section with this rule's form open; POST: save the rule."""
    model = _model_for(request, pk, edit=True)
    rule = _rule_for(model, kind, rule_id)
    form_cls = RULE_FORMS[kind]
    if request.method == "GET":
        form = form_cls(initial=form_cls.initial_for(rule))
        return _section_response(request, model, kind, editing=rule.pk, edit_form=form)
    form = form_cls(request.POST)
    if form.is_valid():
        try:
            rule_update(rule=rule, data=form.rule_data())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _section_response(request, model, kind)
    return _section_response(request, model, kind, status=400, editing=rule.pk, edit_form=form)


@require_POST
def rule_form(request, pk: int, kind: str):
    """Re-render a rule form after its field or mode changed (fitting operators); saves nothing."""
    model = _model_for(request, pk, edit=True)
    form_cls = RULE_FORMS[_kind(kind)]
    form = form_cls(initial={name: request.POST.get(name, "") for name in form_cls.base_fields})
    rule = None
    if request.POST.get("rule"):
        rule_id = request.POST["rule"]
        if not rule_id.isdigit():
            raise Http404("No such rule")
        rule = _rule_for(model, kind, int(rule_id))
    section = RuleSection(model=model, kind=kind, can_edit=True)
    return page_render(
        request,
        "scoring/partials/rule_form.html",
        {"section": section, "form": form, "rule": rule},
    )


@require_POST
def rule_remove(request, pk: int, kind: str, rule_id: int):
    model = _model_for(request, pk, edit=True)
    rule_delete(rule=_rule_for(model, kind, rule_id))
    return _section_response(request, model, kind)


@require_POST
def rule_move(request, pk: int, kind: str, rule_id: int):
    """Move a rule one place up or down (direction=up|down)."""
    model = _model_for(request, pk, edit=True)
    rule = _rule_for(model, kind, rule_id)
    ids = list(
        RULE_MODELS[kind]
        .objects.filter(model=model)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    at = ids.index(rule.pk)
    to = at - 1 if request.POST.get("direction") == "up" else at + 1
    if 0 <= to < len(ids):
        ids[at], ids[to] = ids[to], ids[at]
        rule_reorder(model=model, kind=kind, ordered_ids=ids)
    return _section_response(request, model, kind)


# --- publish, versions, rollback, diff --------------------------------------------------------


@require_POST
def model_publish_view(request, pk: int):
    model = _model_for(request, pk, edit=True)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version = model_publish(model=model, by=request.user, note=form.cleaned_data["note"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"Published version {version.number}. Every contact is being rescored with it.",
            )
            return redirect(reverse("scoring-model", args=[model.pk]) + "#versions")
    context = _model_context(request, model, publish_form=form)
    return page_render(request, "scoring/model_detail.html", context, status=400)


@require_GET
def version_detail(request, pk: int, number: int):
    model = _model_for(request, pk)
    version = version_get(model=model, number=number)
    context = {
        "model": model,
        "version": version,
        "definition": version.definition,
        "can_edit": request.user.has_perm(CHANGE),
        "is_latest": not model.versions.filter(number__gt=number).exists(),
        "kinds": [(kind, SECTIONS[kind][0]) for kind in RULE_MODELS],
    }
    return page_render(request, "scoring/version_detail.html", context)


@require_POST
def version_rollback(request, pk: int, number: int):
    model = _model_for(request, pk, edit=True)
    version = version_get(model=model, number=number)
    try:
        new = model_rollback(model=model, version=version, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Rolled back: version {new.number} has the rules of version {version.number}.",
        )
    return redirect(reverse("scoring-model", args=[model.pk]) + "#versions")


@require_GET
def version_compare(request, pk: int):
    model = _model_for(request, pk)
    versions = list(model.versions.select_related("published_by").order_by("-number"))
    form = DiffForm(request.GET or None)
    diff = a = b = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            numbers = {v.number: v for v in versions}
            a = numbers.get(form.cleaned_data["a"])
            b = numbers.get(form.cleaned_data["b"])
            if a is None:
                form.add_error("a", "No such version.")
            if b is None:
                form.add_error("b", "No such version.")
            if a and b:
                diff = version_diff(a, b)
        if diff is None:
            status = 400
    context = {
        "model": model,
        "versions": versions,
        "diff_form": form,
        "diff": diff,
        "a": a,
        "b": b,
        "kinds": [(kind, SECTIONS[kind][0]) for kind in RULE_MODELS],
    }
    return page_render(request, "scoring/version_diff.html", context, status=status)


@require_GET
def model_preview(request, pk: int):
    """The draft against the published version, on the current data (htmx loads it on a click).

    It counts and lists contacts across the whole database, so it is for users who may see every
    contact (marketing, managers, admins), not for reps.
    """
    model = _model_for(request, pk)
    page_require(request, ALL_CONTACTS)
    try:
        preview = draft_preview(model=model)
    except DomainError as exc:
        return page_render(request, "scoring/partials/preview.html", {"error": exc.message}, 400)
    context = {
        "model": model,
        "preview": preview,
        "example_lists": [
            ("Gained, e.g.", preview.gained_examples, "gained"),
            ("Lost, e.g.", preview.lost_examples, "lost"),
        ],
    }
    return page_render(request, "scoring/partials/preview.html", context)
