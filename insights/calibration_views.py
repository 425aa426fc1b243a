"""Pages of calibration and backtests, for marketing and admins (scoring.change_scoringmodel:
those who edit the models). They parse, call a selector or service, render."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.http import page_render, page_require
from insights import calibration
from insights.backtest import (
    CALIBRATE,
    CATEGORIES,
    backtest_get_for_user,
    backtest_start,
    latest_backtests,
)
from insights.calibration_forms import BacktestForm, FrontierForm, PeriodForm, ThresholdsForm
from scoring.models import ScoringModel
from scoring.selectors import model_get_for_user
from scoring.services import model_update

SCRIPTS = ("vendor/chartjs/chart.umd.min.js", "js/calibration.js")


def _model(request, pk: int) -> ScoringModel:
    page_require(request, CALIBRATE)
    return model_get_for_user(user=request.user, pk=pk)


def _heat(rate: float | None) -> str:
    """A CSS class for a rate (the CSP allows no inline style)."""
    if rate is None:
        return "heat-none"
    return f"heat-{min(9, int(rate * 10))}"


@require_GET
def calibration_index(request):
    page_require(request, CALIBRATE)
    models = ScoringModel.objects.order_by("-priority", "name")
    return page_render(request, "insights/calibration_index.html", {"models": models})


def _frontier_context(model, form: FrontierForm) -> dict:
    frontier = calibration.threshold_frontier(
        model=model, months=form.cleaned_data["months"], **form.target()
    )
    chart = [
        {
            "fit_min": p.fit_min,
            "engagement_min": p.engagement_min,
            "total_min": p.total_min,
            "per_month": p.per_month,
            "sql_rate": None if p.sql_rate is None else round(p.sql_rate * 100, 1),
            "match": p in frontier.matches,
            "current": p.fit_min == model.fit_min
            and p.engagement_min == model.engagement_min
            and (not frontier.uses_total or p.total_min == model.total_min),
        }
        for p in frontier.points
        if p.mqls
    ]
    return {"frontier": frontier, "frontier_chart": chart, "matches": frontier.matches[:15]}


@require_GET
def calibration_page(request, pk: int):
    model = _model(request, pk)
    period = PeriodForm(request.GET)
    frontier_form = FrontierForm(request.GET)
    if not period.is_valid() or not frontier_form.is_valid():
        context = {"model": model, "period_form": period, "frontier_form": frontier_form}
        return page_render(request, "insights/calibration.html", {**context, "invalid": True}, 400)
    days = period.cleaned_data["days"]
    since, until = calibration.period(days, None)
    with calibration.decided_shared(model=model, since=since, until=until):
        report = calibration.rule_report(model=model, since=since, until=until)
        grid = calibration.score_grid(model=model, since=since, until=until)
        campaigns = calibration.campaign_report(model=model, since=since, until=until)
    for _, row in grid.rows:
        for cell in row:
            cell.heat = _heat(cell.sql_rate)
    context = {
        "model": model,
        "days": days,
        "period_form": period,
        "frontier_form": frontier_form,
        "report": report,
        "grid": grid,
        "fit_threshold_band": _edge_index(grid.fit_edges, model.fit_min),
        "engagement_threshold_band": _edge_index(grid.engagement_edges, model.engagement_min),
        "campaigns": campaigns,
        "backtests": latest_backtests(model=model),
        "backtest_form": BacktestForm(),
        "scripts": SCRIPTS,
        **_frontier_context(model, frontier_form),
    }
    return page_render(request, "insights/calibration.html", context)


def _edge_index(edges: list[float], threshold) -> int | None:
    return (
        edges.index(float(threshold))
        if threshold is not None and float(threshold) in edges
        else None
    )


@require_GET
def frontier_partial(request, pk: int):
    """The frontier with a target (htmx swaps it in place)."""
    model = _model(request, pk)
    form = FrontierForm(request.GET)
    if not form.is_valid():
        context = {"model": model, "frontier_form": form, "frontier_invalid": True}
        return page_render(request, "insights/partials/frontier.html", context, 400)
    context = {"model": model, "frontier_form": form, **_frontier_context(model, form)}
    return page_render(request, "insights/partials/frontier.html", context)


@require_POST
def thresholds_apply(request, pk: int):
    """Copy a threshold pair into the model's draft (scoring's draft-update service)."""
    model = _model(request, pk)
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            model_update(
                model=model,
                data={
                    "fit_min": data["fit_min"],
                    "engagement_min": data["engagement_min"],
                    # Sent: set (empty = no total threshold); not sent: kept as it is.
                    "total_min": data["total_min"]
                    if "total_min" in request.POST
                    else model.total_min,
                },
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        if request.htmx:
            return HttpResponse(
                format_html('<p class="field-error" role="alert">Not copied: {}</p>', errors),
                status=400,
            )
        messages.error(request, f"Not copied: {errors}")
        return redirect("insights:calibration-model", pk=model.pk)
    text = (
        f"Copied into the draft: fit ≥ {model.fit_min}, engagement ≥ {model.engagement_min}"
        + (f", total ≥ {model.total_min}" if model.total_min is not None else "")
        + ". Preview or backtest it, then publish."
    )
    if request.htmx:
        return page_render(request, "insights/partials/copied.html", {"model": model, "text": text})
    messages.success(request, text)
    return redirect(reverse("scoring-model", args=[model.pk]) + "#preview")


@require_POST
def backtest_new(request, pk: int):
    model = _model(request, pk)
    form = BacktestForm(request.POST)
    if form.is_valid():
        try:
            backtest = backtest_start(
                model=model,
                by=request.user,
                days=form.cleaned_data["days"],
                include_new=form.cleaned_data["include_new"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("insights:backtest", pk=backtest.pk)
    context = {"model": model, "form": form}
    return page_render(request, "insights/backtest_refused.html", context, 400)


@require_GET
def backtest_page(request, pk: int):
    backtest = backtest_get_for_user(user=request.user, pk=pk)
    template = "insights/backtest.html"
    if request.htmx and request.GET.get("part") == "progress":
        template = "insights/backtest.html#progress"
    context = {
        "backtest": backtest,
        "model": backtest.scoring_model,
        "categories": [
            (name, label, backtest.result.get("examples", {}).get(name, []))
            for name, label in CATEGORIES.items()
        ],
        "counts": backtest.result.get("counts", {}),
        "rates": backtest.result.get("rates", {}),
    }
    response = page_render(request, template, context)
    if request.htmx and backtest.is_finished and request.GET.get("part") == "progress":
        response["HX-Refresh"] = "true"  # the finished report replaces the progress bar
    return response
