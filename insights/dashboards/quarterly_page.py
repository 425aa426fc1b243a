"""The quarterly review: a quarter against the one before and the same quarter a year earlier."""

from datetime import UTC, date, datetime, timedelta

from insights.dashboards.layout import (
    Chart,
    Dashboard,
    Table,
    number,
    pct,
    points,
)
from insights.metrics import DEFINITIONS, compute
from insights.metrics.filters import MetricFilters, day_start
from scoring.models import ModelVersion

# --- quarterly review ---------------------------------------------------------------------------


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def quarter_shift(year: int, quarter: int, by: int) -> tuple[int, int]:
    index = year * 4 + (quarter - 1) + by
    return index // 4, index % 4 + 1


def last_complete_quarter(now: datetime) -> tuple[int, int]:
    current = (now.month - 1) // 3 + 1
    return quarter_shift(now.year, current, -1)


def quarter_filters(filters: MetricFilters, year: int, quarter: int) -> MetricFilters:
    start = quarter_start(year, quarter)
    end = quarter_start(*quarter_shift(year, quarter, 1))
    return filters.shifted(start=day_start(start), end=day_start(end))


def quarterly(*, user, filters: MetricFilters, now: datetime, year: int, quarter: int, currency):
    d = Dashboard()
    quarters = [
        ("this", (year, quarter)),
        ("previous", quarter_shift(year, quarter, -1)),
        ("year_ago", quarter_shift(year, quarter, -4)),
    ]
    figures = {}
    for key, (y, q) in quarters:
        f = quarter_filters(filters, y, q)
        fun = compute.funnel(user=user, filters=f, now=now)["windows"]
        speed = compute.speed_to_lead(user=user, filters=f, now=now)
        money = compute.revenue(user=user, filters=f, now=now)
        figures[key] = {
            "MQLs": fun["to_date"]["mqls"],
            "Acceptance (to date)": fun["to_date"]["acceptance_rate"],
            "MQL → SQL (30 d)": fun["30"]["mql_to_sql"],
            "MQL → SQL (90 d)": fun["90"]["mql_to_sql"],
            "MQL → customer (90 d)": fun["90"]["mql_to_customer"],
            "Speed to lead, median (h)": None
            if speed["wall_seconds"]["median"] is None
            else round(speed["wall_seconds"]["median"] / 3600, 1),
            f"Pipeline created ({currency})": money["pipeline_created"]["amount"],
            f"Revenue won ({currency})": money["revenue_won"]["amount"],
            f"Revenue per MQL ({currency})": money["revenue_per_mql"]["per_mql"],
            "Win rate, MQL-sourced": money["win_rate"]["mql_sourced"]["rate"],
        }
    names = [f"{y} Q{q}" for _, (y, q) in quarters]
    rows = []
    for metric in figures["this"]:
        this, prev, ago = (figures[k][metric] for k, _ in quarters)
        is_rate = metric.startswith(("Acceptance", "MQL → ", "Win rate"))
        if is_rate:
            show, delta = pct, points
        else:
            show = number
            delta = lambda a, b: pct(compute.change(a, b)) if a is not None and b else "—"  # noqa: E731
        rows.append(
            [metric, show(this), show(prev), delta(this, prev), show(ago), delta(this, ago)]
        )
    d.tables.append(
        Table(
            "quarter",
            f"{names[0]} against {names[1]} and {names[2]}",
            ["Figure", names[0], names[1], "Change", names[2], "Change"],
            rows,
            DEFINITIONS["quarterly"].definition,
        )
    )
    # The year to the quarter's end, week by week, with the model versions published marked.
    span_start = quarter_start(*quarter_shift(year, quarter, -4))
    span_end = quarter_start(*quarter_shift(year, quarter, 1))
    span = filters.shifted(start=day_start(span_start), end=day_start(span_end))
    span = MetricFilters(**{**span.__dict__, "grain": "week"})
    volume = compute.mql_volume(user=user, filters=span, now=now)
    trend = compute.conversion_trend(user=user, filters=span, now=now)
    labels = [p["start"] for p in volume["series"]]
    versions = ModelVersion.objects.filter(
        published_at__gte=day_start(span_start), published_at__lt=day_start(span_end)
    ).select_related("model")
    if filters.model is not None:
        versions = versions.filter(model=filters.model)
    markers = []
    for v in versions.order_by("published_at"):
        monday = v.published_at.astimezone(UTC).date()
        monday -= timedelta(days=monday.weekday())
        markers.append({"at": monday.isoformat(), "label": f"{v.model.name} v{v.number}"})
    d.charts.append(
        Chart(
            "year",
            "MQLs and MQL → SQL (30 d) per week, model versions published marked",
            "combo",
            labels,
            [
                {"label": "MQLs", "data": [p["mqls"] for p in volume["series"]], "axis": "count"},
                {
                    "label": "MQL → SQL",
                    "data": [p["mql_to_sql"] for p in trend["series"]],
                    "axis": "rate",
                },
            ],
            Table(
                "year",
                "Week by week",
                ["Week of", "MQLs", "MQL → SQL (30 d)", "Model versions published"],
                [
                    [
                        p["start"],
                        p["mqls"],
                        pct(t["mql_to_sql"]),
                        ", ".join(m["label"] for m in markers if m["at"] == p["start"]),
                    ]
                    for p, t in zip(volume["series"], trend["series"], strict=True)
                ],
            ),
            DEFINITIONS["quarterly"].definition,
            markers=markers,
        )
    )
    d.extra["quarters"] = names
    d.extra["versions"] = markers
    return d
