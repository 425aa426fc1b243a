"""Publishing a model's draft, its versions (one, a comparison, a rollback) and the draft preview."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.http import page_render, page_require
from scoring.forms import DiffForm, PublishForm, add_domain_error
from scoring.preview import draft_preview
from scoring.selectors import version_get
from scoring.services import RULE_MODELS, model_publish, model_rollback, version_diff
from scoring.views.model_context import (
    ALL_CONTACTS,
    CHANGE,
    SECTIONS,
    model_context,
    model_for_request,
)


@require_POST
def model_publish_view(request, pk: int):
    model = model_for_request(request, pk, edit=True)
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
    context = model_context(request, model, publish_form=form)
    return page_render(request, "scoring/model_detail.html", context, status=400)


@require_GET
def version_detail(request, pk: int, number: int):
    model = model_for_request(request, pk)
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
    model = model_for_request(request, pk, edit=True)
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
    model = model_for_request(request, pk)
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
    model = model_for_request(request, pk)
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
