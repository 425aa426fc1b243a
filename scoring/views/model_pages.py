"""The scoring models list, a new model, and the model page with its settings and segment."""

from django.contrib import messages
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import DomainError
from core.http import page_render, page_require
from scoring.forms import ConditionForm, ScoringModelForm, add_domain_error
from scoring.models import ModelVersion, ScoringModel
from scoring.services import model_create, model_update
from scoring.views.model_context import (
    ADD,
    VIEW,
    has_unpublished_changes,
    model_context,
    model_for_request,
    segment_conditions,
    write_response,
)


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
    model = model_for_request(request, pk)
    return page_render(request, "scoring/model_detail.html", model_context(request, model))


def _model_page_or_partial(request, model, partial: str, status: int = 200, **overrides):
    """After a write: the htmx partial, or for a plain form post the page (redirect if fine)."""
    if request.htmx:
        context = model_context(request, model, **overrides)
        template = f"scoring/model_detail.html#{partial}"
        return write_response(request, model, template, context, status=status)
    if status == 200:
        return redirect(reverse("scoring-model", args=[model.pk]) + f"#{partial}")
    context = model_context(request, model, **overrides)
    return page_render(request, "scoring/model_detail.html", context, status=status)


@require_POST
def model_settings(request, pk: int):
    model = model_for_request(request, pk, edit=True)
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
    model = model_for_request(request, pk, edit=True)
    form = ConditionForm(request.POST)
    if form.is_valid():
        try:
            model_update(
                model=model, data={"segment": [*segment_conditions(model), form.condition_data()]}
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _model_page_or_partial(request, model, "segment")
    model.refresh_from_db()
    return _model_page_or_partial(request, model, "segment", status=400, condition_form=form)


@require_POST
def segment_remove(request, pk: int, index: int):
    model = model_for_request(request, pk, edit=True)
    segment = segment_conditions(model)
    if not 0 <= index < len(segment):
        raise Http404("No such condition")
    del segment[index]
    model_update(model=model, data={"segment": segment})
    return _model_page_or_partial(request, model, "segment")


@require_POST
def segment_form(request, pk: int):
    """Re-render the segment condition form for the chosen field (its operators); saves nothing."""
    model = model_for_request(request, pk, edit=True)
    form = ConditionForm(
        initial={name: request.POST.get(name, "") for name in ConditionForm.base_fields}
    )
    return page_render(
        request, "scoring/partials/segment_form.html", {"model": model, "condition_form": form}
    )
