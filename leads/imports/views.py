"""Pages of the CSV imports (contacts, and the kinds apps above register): upload → map columns
→ progress and report."""

from functools import wraps
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import DomainError
from core.http import list_template, page_render
from leads.imports.contacts_csv import csv_inspect
from leads.imports.contacts_mapping import mapping_guess
from leads.imports.forms import ImportMappingForm, ImportUploadForm
from leads.imports.jobs import import_job_create, import_job_start
from leads.imports.kinds import (
    CONTACTS,
    import_kind_get,
    import_kinds,
    import_kinds_for_user,
    kind_mapping_guess,
)
from leads.imports.selectors import import_job_get_for_user, import_jobs_for_user
from leads.models import ImportStatus

REPORT_ROWS = 100


def can_import(view):
    """403 unless the user may import at least one kind of file."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not import_kinds_for_user(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


@require_GET
@can_import
def import_list(request):
    jobs = list(import_jobs_for_user(user=request.user)[:100])
    labels = {kind.name: kind.label for kind in import_kinds().values()}
    for job in jobs:
        job.kind_label = labels.get(job.kind, job.kind)
    context = {"jobs": jobs, "kinds": import_kinds_for_user(request.user)}
    return render(request, "leads/import_list.html", context)


@require_http_methods(["GET", "POST"])
@can_import
def import_upload(request):
    kinds = import_kinds_for_user(request.user)
    asked = request.GET.get("kind") or CONTACTS.name
    initial = {"kind": asked if asked in {kind.name for kind in kinds} else kinds[0].name}
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, kinds=kinds, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, _info = import_job_create(
                by=request.user,
                upload=upload,
                filename=upload.name,
                kind=form.cleaned_data["kind"] or initial["kind"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else "file", exc.message)
        else:
            return redirect("import-map", pk=job.pk)
    status = 400 if form.errors else 200
    chosen = (form["kind"].value() if form.is_bound else "") or initial["kind"]
    kind = next((kind for kind in kinds if kind.name == chosen), kinds[0])
    context = {"form": form, "kind": kind, "kinds": kinds}
    return render(request, "leads/import_upload.html", context, status=status)


@require_http_methods(["GET", "POST"])
@can_import
def import_map(request, pk: int):
    job = import_job_get_for_user(user=request.user, pk=pk)
    if job.status != ImportStatus.PENDING:
        return redirect("import-job", pk=job.pk)
    kind = import_kind_get(job.kind)
    try:
        info = csv_inspect(path=Path(job.file.path))
    except (DomainError, FileNotFoundError):
        raise Http404("The uploaded file is gone; upload it again.") from None
    if job.mapping:
        guessed = job.mapping
    elif kind.row_import is None:
        guessed = mapping_guess(headers=info.headers)
    else:
        guessed = kind_mapping_guess(kind=kind, headers=info.headers)
    form = ImportMappingForm(request.POST or None, headers=info.headers, guessed=guessed, kind=kind)
    if request.method == "POST" and form.is_valid():
        options = {"stage": form.cleaned_data["stage"]} if "stage" in form.fields else {}
        try:
            import_job_start(job=job, mapping=form.mapping(), **options)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("import-job", pk=job.pk)
    context = {"job": job, "form": form, "info": info, "kind": kind}
    return render(request, "leads/import_map.html", context, status=400 if form.errors else 200)


@require_GET
@can_import
def import_job(request, pk: int):
    job = import_job_get_for_user(user=request.user, pk=pk)
    context = {
        "job": job,
        "kind": import_kind_get(job.kind),
        "rejected_rows": job.rejected_rows[:REPORT_ROWS],
    }
    return page_render(
        request, list_template(request, "leads/import_job.html", "progress"), context
    )


@require_GET
@can_import
def import_rejected_csv(request, pk: int):
    job = import_job_get_for_user(user=request.user, pk=pk)
    if job.status != ImportStatus.DONE or not job.rejected_file:
        raise Http404("No rejected rows report for this import")
    stem = Path(job.original_filename).stem or "import"
    return FileResponse(
        job.rejected_file.open("rb"),
        as_attachment=True,
        filename=f"{stem}-rejected.csv",
        content_type="text/csv; charset=utf-8",
    )
