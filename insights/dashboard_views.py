"""The dashboards: marketing (the marketer's home), sales (managers' and reps' home; reps see
their own numbers) and the quarterly review, each with its tables downloadable as CSV.

Filters live in the URL (period, grain, model, version, team, channel, campaign), parsed by the
same serializer as the API: a bad value shows next to its field with a 400."""

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.http import page_render
from core.roles import ADMIN, MARKETING, SALES_MANAGER, SALES_REP, role_names
from core.spreadsheet import csv_download
from handoff.models import Team
from insights import dashboards
from insights.metrics import MetricFiltersSerializer
from insights.metrics.compute import BREAKDOWNS
from insights.metrics.definitions import DEFINITIONS
from insights.metrics.scope import sees_all
from insights.metrics_api import CapacityParams
from scoring.models import ModelVersion, ScoringModel

QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def home_for_user(*, user) -> str | None:
    """Marketers land on the marketing dashboard, managers on the sales dashboard (admins and
    reps land on handoff's pages first, see handoff.views.home_for_user)."""
    roles = role_names(user)
    if roles & {MARKETING, ADMIN}:
        return reverse("insights:marketing")
    if roles & {SALES_MANAGER, SALES_REP}:
        return reverse("insights:sales")
    return None


def _require_role(request) -> None:
    if not role_names(request.user):
        raise PermissionDenied


def _filters(request, now: datetime):
    """(filters, errors): the URL's filters, or the field errors and the default filters."""
    params = {k: v for k, v in request.GET.items() if v != ""}
    serializer = MetricFiltersSerializer(data=params, context={"now": now})
    if serializer.is_valid():
        return serializer.filters(), {}
    errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
    fallback = MetricFiltersSerializer(data={}, context={"now": now})
    fallback.is_valid(raise_exception=True)
    return fallback.filters(), errors


def _capacity(request) -> tuple[dict, dict]:
    params = {k: request.GET[k] for k in ("aes", "sqls_per_ae", "rate") if request.GET.get(k)}
    serializer = CapacityParams(data=params)
    if serializer.is_valid():
        return dict(serializer.validated_data), {}
    errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
    return {"aes": 5, "sqls_per_ae": 10.0}, errors


def _context(request, filters, errors, board, **extra) -> dict:
    query = request.GET.urlencode()
    versions = ModelVersion.objects.select_related("model")
    return {
        "filters": filters,
        "values": {
            "start": request.GET.get("start") or filters.start.date().isoformat(),
            "end": request.GET.get("end") or filters.query()["end"],
            **{
                k: request.GET.get(k, "") for k in ("grain", "model", "team", "channel", "campaign")
            },
        },
        "errors": errors,
        "models": ScoringModel.objects.order_by("name"),
        # The chosen model's versions (all of them), else the newest 200 of every model.
        "versions": (
            versions.filter(model=filters.model).order_by("-number")
            if filters.model is not None
            else versions.order_by("-published_at", "-pk")[:200]
        ),
        "teams": Team.objects.order_by("name"),
        "board": board,
        "charts_data": {c.key: c.data() for c in board.charts},
        "sparks": [tile.spark for tile in board.tiles],
        "query": query,
        "definitions": DEFINITIONS,
        "sees_all": sees_all(request.user),
        "currency": settings.LEADBRIDGE_CURRENCY,
        **extra,
    }


def _board(request, page: str, now: datetime):
    filters, errors = _filters(request, now)
    extra: dict = {}
    if page == "marketing":
        capacity_in, capacity_errors = _capacity(request)
        errors.update(capacity_errors)
        extra["capacity_in"] = capacity_in
        by = request.GET.get("by") or "model"
        if by not in BREAKDOWNS:
            errors["by"] = [f"Choose one of: {', '.join(BREAKDOWNS)}."]
            by = "model"
        board = dashboards.marketing(
            by=by,
            user=request.user,
            filters=filters,
            now=now,
            currency=settings.LEADBRIDGE_CURRENCY,
            capacity_in=capacity_in,
        )
    elif page == "sales":
        board = dashboards.sales(user=request.user, filters=filters, now=now)
    else:
        year, quarter = _quarter(request, now, errors)
        extra["quarter"] = f"{year}-Q{quarter}"
        extra["quarter_links"] = {
            "previous": "{}-Q{}".format(*dashboards.quarter_shift(year, quarter, -1)),
            "next": "{}-Q{}".format(*dashboards.quarter_shift(year, quarter, 1)),
        }
        board = dashboards.quarterly(
            user=request.user,
            filters=filters,
            now=now,
            year=year,
            quarter=quarter,
            currency=settings.LEADBRIDGE_CURRENCY,
        )
    return filters, errors, board, extra


def _quarter(request, now: datetime, errors: dict) -> tuple[int, int]:
    value = request.GET.get("quarter", "")
    match = QUARTER.match(value.strip())
    if match and 2000 <= int(match[1]) <= 2999:
        return int(match[1]), int(match[2])
    if value:
        errors["quarter"] = ["Give a quarter as 2026-Q3."]
    return dashboards.last_complete_quarter(now)


PAGES = {
    "marketing": ("insights/marketing.html", "Marketing dashboard"),
    "sales": ("insights/sales.html", "Sales dashboard"),
    "quarterly": ("insights/quarterly.html", "Quarterly review"),
}


def _page(request, page: str):
    _require_role(request)
    now = timezone.now()
    filters, errors, board, extra = _board(request, page, now)
    template, title = PAGES[page]
    context = _context(request, filters, errors, board, page=page, title=title, **extra)
    return page_render(request, template, context, status=400 if errors else 200)


@require_GET
def marketing(request):
    return _page(request, "marketing")


@require_GET
def sales(request):
    return _page(request, "sales")


@require_GET
def quarterly(request):
    return _page(request, "quarterly")


@require_GET
def table_csv(request, page: str, table: str):
    """One table of a dashboard as CSV (the project's CSV writer: no formula cells)."""
    if page not in PAGES:
        raise Http404
    _require_role(request)
    now = timezone.now()
    filters, errors, board, _ = _board(request, page, now)
    if errors:
        text = "\n".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    found = board.all_tables().get(table)
    if found is None:
        raise Http404("No such table.")
    period = filters.query()
    response, writer = csv_download(f"{page}-{table}-{period['start']}-{period['end']}.csv")
    writer.writerow(found.columns)
    writer.writerows(found.rows)
    return response
