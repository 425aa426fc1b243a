"""Pages of the contacts import: upload → map columns → progress and report."""

from pathlib import Path

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import DomainError
from core.http import list_template, page_render
from leads.imports.contacts_csv import csv_inspect
from leads.imports.contacts_mapping import mapping_guess
from leads.imports.forms import ImportMappingForm, ImportUploadForm
from leads.imports.jobs import import_job_create, import_job_start
from leads.imports.selectors import import_job_get_for_user, import_jobs_for_user
from leads.models import ImportStatus

can_import = permission_required("leads.import_contacts", raise_exception=True)
REPORT_ROWS = 100


@require_GET
@can_import
def import_list(request):
    jobs = import_jobs_for_user(user=request.user)[:100]
    return render(request, "leads/import_list.html", {"jobs": jobs})


@require_http_methods(["GET", "POST"])
@can_import
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, _info = import_job_create(by=request.user, upload=upload, filename=upload.name)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("import-map", pk=job.pk)
    status = 400 if form.errors else 200
    return render(request, "leads/import_upload.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@can_import
def import_map(request, pk: int):
    job = import_job_get_for_user(user=request.user, pk=pk)
    if job.status != ImportStatus.PENDING:
        return redirect("import-job", pk=job.pk)
    try:
        info = csv_inspect(path=Path(job.file.path))
    except (DomainError, FileNotFoundError):
        raise Http404("The uploaded file is gone; upload it again.") from None
    form = ImportMappingForm(
        request.POST or None,
        headers=info.headers,
        guessed=job.mapping or mapping_guess(headers=info.headers),
    )
    if request.method == "POST" and form.is_valid():
        try:
            import_job_start(job=job, mapping=form.mapping(), stage=form.cleaned_data["stage"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("import-job", pk=job.pk)
    context = {"job": job, "form": form, "info": info}
    return render(request, "leads/import_map.html", context, status=400 if form.errors else 200)


@require_GET
@can_import
def import_job(request, pk: int):
    job = import_job_get_for_user(user=request.user, pk=pk)
    context = {"job": job, "rejected_rows": job.rejected_rows[:REPORT_ROWS]}
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
