"""Pages of rescoring: the runs list with "Rescore now", and one run's progress (htmx-polled)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from core.http import list_template, page_render
from scoring.models import RescoreStatus
from scoring.rescore.runs import rescore_start
from scoring.selectors import START_RESCORE, rescore_run_get_for_user, rescore_runs_for_user

PAGE_SIZE = 25


@require_GET
def rescore_list(request):
    runs = rescore_runs_for_user(user=request.user)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    active = runs.filter(status__in=[RescoreStatus.QUEUED, RescoreStatus.RUNNING]).exists()
    context = {"page": page, "active": active}
    return page_render(
        request, list_template(request, "scoring/rescore_list.html", "runs"), context
    )


@require_POST
@permission_required(START_RESCORE, raise_exception=True)
def rescore_start_page(request):
    reason = f"Started by {request.user.get_username()} from the rescoring page"
    run = rescore_start(by=request.user, reason=reason)
    messages.success(request, f"Full rescore #{run.pk} is {run.get_status_display().lower()}.")
    return redirect("rescore-run", pk=run.pk)


@require_GET
def rescore_detail(request, pk: int):
    run = rescore_run_get_for_user(user=request.user, pk=pk)
    template = list_template(request, "scoring/rescore_detail.html", "progress")
    return page_render(request, template, {"run": run})
