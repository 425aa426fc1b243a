"""The rule editor of a model page: the three rule lists, add, edit, remove and move a rule."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import DomainError
from core.http import page_render
from scoring.forms import RULE_FORMS, add_domain_error
from scoring.models import ScoringModel
from scoring.services import RULE_MODELS, rule_add, rule_delete, rule_reorder, rule_update
from scoring.views.model_context import (
    CHANGE,
    RuleSection,
    model_context,
    model_for_request,
    rule_figures_for_request,
    rule_section_load,
    write_response,
)


def _kind(kind: str) -> str:
    if kind not in RULE_MODELS:
        raise Http404("No such rule list")
    return kind


def _rule_for(model: ScoringModel, kind: str, rule_id: int):
    return get_object_or_404(RULE_MODELS[_kind(kind)], model=model, pk=rule_id)


def _section_response(request, model, kind: str, status: int = 200, **kwargs):
    can_edit = request.user.has_perm(CHANGE)
    figures = rule_figures_for_request(request, model)
    section = rule_section_load(model, kind, can_edit, figures, **kwargs)
    if request.htmx:
        template = "scoring/partials/rule_section.html"
        return write_response(request, model, template, {"section": section}, status)
    if status == 200:
        return redirect(reverse("scoring-model", args=[model.pk]) + f"#rules-{kind}")
    sections = [
        section if s == kind else rule_section_load(model, s, can_edit, figures)
        for s in RULE_MODELS
    ]
    context = model_context(request, model, sections=sections)
    return page_render(request, "scoring/model_detail.html", context, status=status)


@require_GET
def rule_section(request, pk: int, kind: str):
    model = model_for_request(request, pk)
    return _section_response(request, model, _kind(kind))


@require_http_methods(["GET", "POST"])
def rule_new(request, pk: int, kind: str):
    """GET: the section with an empty "add a rule" form; POST: add the rule."""
    model = model_for_request(request, pk, edit=True)
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
    model = model_for_request(request, pk, edit=True)
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
    model = model_for_request(request, pk, edit=True)
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
    model = model_for_request(request, pk, edit=True)
    rule_delete(rule=_rule_for(model, kind, rule_id))
    return _section_response(request, model, kind)


@require_POST
def rule_move(request, pk: int, kind: str, rule_id: int):
    """Move a rule one place up or down (direction=up|down)."""
    model = model_for_request(request, pk, edit=True)
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
