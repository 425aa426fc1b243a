"""What the dashboards show, assembled from the metrics: tiles, charts (the data Chart.js draws
from `json_script`) and tables (the same numbers, accessible beneath each chart and downloadable
as CSV). A page and its CSV download build the same `Dashboard`."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from insights.metrics import DEFINITIONS, compute
from insights.metrics.filters import MetricFilters, day_start
from insights.metrics.scope import sees_all
from scoring.models import ModelVersion


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    definition: str = ""
    wide: bool = False


@dataclass
class Tile:
    label: str
    value: str
    definition: str
    change: float | None = None
    note: str = ""
    tone: str = ""
    spark: list = field(default_factory=list)
    in_points: bool = False  # the change of a rate, in percentage points

    @property
    def change_text(self) -> str:
        if self.change is None:
            return ""
        return f"{self.change * 100:+.1f} pts" if self.in_points else f"{self.change * 100:+.1f}%"


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar", "line", "hbar", "stacked"
    labels: list[str]
    datasets: list[dict]
    table: Table
    definition: str = ""
    percent: bool = False
    bands: list[dict] = field(default_factory=list)
    markers: list[dict] = field(default_factory=list)

    def data(self) -> dict:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "datasets": self.datasets,
            "percent": self.percent,
            "bands": self.bands,
            "markers": self.markers,
        }


@dataclass
class Dashboard:
    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def all_tables(self) -> dict[str, Table]:
        return {t.key: t for t in [*(c.table for c in self.charts), *self.tables]}


# --- formatting ---------------------------------------------------------------------------------


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def duration(seconds_value) -> str:
    if seconds_value is None:
        return "—"
    minutes = seconds_value / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def amount(value, currency: str) -> str:
    if value is None:
        return "—"
    return f"{currency} {value:,.0f}"


def rate_change(a, b) -> float | None:
    return None if a is None or b is None else round(a - b, 4)


def points(a, b) -> str:
    """The difference of two rates in percentage points."""
    if a is None or b is None:
        return "—"
    return f"{(a - b) * 100:+.1f} pts"


def _number(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}".removesuffix(".0")


def band_tone(rate: float | None) -> str:
    if rate is None:
        return ""
    if rate < 0.20:
        return "warning"
    return "good" if rate >= 0.25 else ""


# --- marketing ----------------------------------------------------------------------------------


def marketing(
    *,
    user,
    filters: MetricFilters,
    now: datetime,
    currency: str,
    capacity_in: dict,
    by: str = "model",
):
    d = Dashboard()
    volume = compute.mql_volume(user=user, filters=filters, now=now)
    fun = compute.funnel(user=user, filters=filters, now=now)
    before = compute.funnel(user=user, filters=filters.previous(), now=now)["windows"]["30"]
    trend = compute.conversion_trend(user=user, filters=filters, now=now)
    speed = compute.speed_to_lead(user=user, filters=filters, now=now)
    money = compute.revenue(user=user, filters=filters, now=now)
    predicted = compute.forecast(user=user, filters=filters, now=now)
    by_channel = compute.breakdown(user=user, filters=filters, now=now, by="channel")
    by_campaign = compute.breakdown(user=user, filters=filters, now=now, by="campaign")
    w30 = fun["windows"]["30"]
    labels = [p["start"] for p in volume["series"]]

    d.tiles.append(
        Tile(
            "MQLs",
            f"{volume['total']:,}",
            DEFINITIONS["mql_volume"].definition,
            change=volume["change"],
            note=f"previous period {volume['previous_total']:,}",
            spark=[p["mqls"] for p in volume["series"]],
        )
    )
    if sees_all(user):
        lead = compute.lead_to_mql(user=user, filters=filters, now=now)
        d.tiles.append(
            Tile(
                "Lead → MQL (90 d)",
                pct(lead["rate"]),
                DEFINITIONS["lead_to_mql"].definition,
                note=f"{lead['matured']:,} of {lead['leads']:,} leads mature · typical 5–15%",
                tone=""
                if lead["rate"] is None
                else ("good" if 0.05 <= lead["rate"] <= 0.15 else "warning"),
            )
        )
    d.tiles.append(
        Tile(
            "Acceptance (30 d)",
            pct(w30["acceptance_rate"]),
            DEFINITIONS["acceptance_rate"].definition,
            change=rate_change(w30["acceptance_rate"], before["acceptance_rate"]),
            in_points=True,
            note=f"{w30['accepted']:,} of {w30['decided']:,} decided",
            spark=[p["acceptance_rate"] for p in trend["series"]],
        )
    )
    d.tiles.append(
        Tile(
            "MQL → SQL (30 d)",
            pct(w30["mql_to_sql"]),
            DEFINITIONS["mql_to_sql"].definition,
            change=rate_change(w30["mql_to_sql"], before["mql_to_sql"]),
            in_points=True,
            note=f"{w30['mqls']:,} mature MQLs · benchmark 13%, tight 25–50%",
            tone=band_tone(w30["mql_to_sql"]),
            spark=[p["mql_to_sql"] for p in trend["series"]],
        )
    )
    d.tiles.append(
        Tile(
            "Speed to lead (median)",
            duration(speed["wall_seconds"]["median"]),
            DEFINITIONS["speed_to_lead"].definition,
            note=f"{duration(speed['business_seconds']['median'])} business · "
            f"p90 {duration(speed['wall_seconds']['p90'])}",
        )
    )
    d.tiles.append(
        Tile(
            "Revenue per MQL",
            amount(money["revenue_per_mql"]["per_mql"], currency),
            DEFINITIONS["revenue_per_mql"].definition,
            note=f"won {amount(money['revenue_per_mql']['revenue'], currency)} to date",
        )
    )
    d.tiles.append(
        Tile(
            "Pipeline created",
            amount(money["pipeline_created"]["amount"], currency),
            DEFINITIONS["pipeline_created"].definition,
            note=f"{money['pipeline_created']['deals']:,} MQL-sourced deals · won "
            f"{amount(money['revenue_won']['amount'], currency)}",
        )
    )
    d.tiles.append(
        Tile(
            "Forecast next month",
            f"{predicted['expected']:,}",
            DEFINITIONS["forecast"].definition,
            note=f"range {predicted['low']:,}–{predicted['high']:,} MQLs",
        )
    )

    d.charts.append(
        Chart(
            "volume",
            "MQL volume",
            "bar",
            labels,
            [{"label": "MQLs", "data": [p["mqls"] for p in volume["series"]]}],
            Table(
                "volume",
                "MQL volume",
                [f"{filters.grain.title()} of", "MQLs", "Change"],
                [[p["start"], p["mqls"], pct(p["change"])] for p in volume["series"]],
            ),
            DEFINITIONS["mql_volume"].definition,
        )
    )
    stages = [
        ("mqls", "MQLs (mature)"),
        ("accepted", "Accepted"),
        ("sql", "SQL"),
        ("opportunity", "Opportunity"),
        ("customer", "Customer"),
    ]
    windows = ["30", "60", "90", "to_date"]
    d.charts.append(
        Chart(
            "funnel",
            "Funnel of the cohort (within 30 days, mature MQLs)",
            "hbar",
            [label for _, label in stages],
            [{"label": "MQLs", "data": [w30[key] for key, _ in stages]}],
            Table(
                "funnel",
                "Funnel by window",
                ["Stage", "30 days", "60 days", "90 days", "To date"],
                [[label, *(fun["windows"][w][key] for w in windows)] for key, label in stages]
                + [
                    [DEFINITIONS[k].label, *(pct(fun["windows"][w][k]) for w in windows)]
                    for k in (
                        "acceptance_rate",
                        "mql_to_sql",
                        "sql_to_opportunity",
                        "opportunity_to_won",
                        "mql_to_customer",
                    )
                ],
            ),
            DEFINITIONS["mql_to_sql"].definition,
        )
    )
    d.extra["maturity"] = fun["maturity"]
    d.charts.append(
        Chart(
            "conversion",
            "Conversion over time (30 days) against the reference bands",
            "line",
            labels,
            [
                {"label": "MQL → SQL", "data": [p["mql_to_sql"] for p in trend["series"]]},
                {"label": "Acceptance", "data": [p["acceptance_rate"] for p in trend["series"]]},
            ],
            Table(
                "conversion",
                "Conversion over time",
                [f"{filters.grain.title()} of", "MQLs", "Mature", "SQL", "MQL → SQL", "Acceptance"],
                [
                    [
                        p["start"],
                        p["mqls"],
                        p["matured"],
                        p["sql"],
                        pct(p["mql_to_sql"]),
                        pct(p["acceptance_rate"]),
                    ]
                    for p in trend["series"]
                ],
            ),
            DEFINITIONS["mql_to_sql"].definition,
            percent=True,
            bands=trend["bands"],
        )
    )
    by_team = compute.breakdown(user=user, filters=filters, now=now, by="team")
    d.charts.append(
        Chart(
            "speed",
            "Speed to lead per team (median, hours)",
            "bar",
            [r["group"] for r in by_team["rows"]],
            [
                {
                    "label": "Median hours",
                    "data": [
                        None
                        if r.get("speed_median_seconds") is None
                        else round(r["speed_median_seconds"] / 3600, 2)
                        for r in by_team["rows"]
                    ],
                }
            ],
            Table(
                "speed",
                "Speed to lead",
                ["Team", "MQLs", "Median (wall)"],
                [
                    [r["group"], r["mqls"], duration(r.get("speed_median_seconds"))]
                    for r in by_team["rows"]
                ]
                + [
                    [
                        "All (median / p90, wall)",
                        speed["touched"],
                        f"{duration(speed['wall_seconds']['median'])} / "
                        f"{duration(speed['wall_seconds']['p90'])}",
                    ],
                    [
                        "All (median / p90, business hours)",
                        speed["business_sample"],
                        f"{duration(speed['business_seconds']['median'])} / "
                        f"{duration(speed['business_seconds']['p90'])}",
                    ],
                ],
            ),
            DEFINITIONS["speed_to_lead"].definition,
        )
    )
    d.charts.append(
        Chart(
            "revenue",
            f"Revenue per MQL by channel ({currency})",
            "bar",
            [r["group"] for r in by_channel["rows"]],
            [
                {
                    "label": "Revenue per MQL",
                    "data": [r["revenue_per_mql"] for r in by_channel["rows"]],
                }
            ],
            breakdown_table("by_channel", by_channel),
            DEFINITIONS["revenue_per_mql"].definition,
        )
    )
    ranked = [r for r in by_campaign["rows"] if r["mqls"]]
    ranked.sort(key=lambda r: (r["mql_to_sql"] or 0, r["mqls"]), reverse=True)
    top, bottom = ranked[:5], list(reversed(ranked[-5:])) if len(ranked) > 5 else []
    d.tables.append(breakdown_table("top_campaigns", {**by_campaign, "rows": top}, "Top campaigns"))
    if bottom:
        d.tables.append(
            breakdown_table("bottom_campaigns", {**by_campaign, "rows": bottom}, "Bottom campaigns")
        )
    if sees_all(user):
        costs = compute.cost(user=user, filters=filters, now=now)
        d.tables.append(
            Table(
                "cost",
                f"Cost per channel and campaign ({currency}, {costs['months']['first']} to "
                f"{costs['months']['last']})",
                [
                    "Channel",
                    "Campaign",
                    "Spend",
                    "MQLs",
                    "SQLs",
                    "Won",
                    "per MQL",
                    "per SQL",
                    "per won",
                ],
                [
                    [
                        r["channel"] or "(none)",
                        r["campaign"] or "(none)",
                        r["spend"],
                        r["mqls"],
                        r["sqls"],
                        r["won"],
                        r["cost_per_mql"],
                        r["cost_per_sql"],
                        r["cost_per_won_deal"],
                    ]
                    for r in costs["by_campaign"]
                ],
                DEFINITIONS["cost"].definition,
                wide=True,
            )
        )
    chosen = compute.breakdown(user=user, filters=filters, now=now, by=by)
    table = breakdown_table("breakdown", chosen, f"Breakdown by {chosen['label'].lower()}")
    table.wide = True
    d.tables.insert(sum(1 for t in d.tables if not t.wide), table)  # above the cost table
    d.extra["by"] = by
    d.extra["breakdowns"] = compute.BREAKDOWNS
    cap = compute.capacity(
        user=user,
        filters=filters,
        now=now,
        measured=w30["mql_to_sql"],
        predicted=predicted,
        **capacity_in,
    )
    d.extra["capacity"] = cap
    d.extra["forecast"] = predicted
    return d


def breakdown_table(key: str, data: dict, title: str = "") -> Table:
    return Table(
        key,
        title or f"By {data['label'].lower()}",
        [
            data["label"],
            "MQLs",
            "Decided",
            "Acceptance",
            "SQL",
            "MQL → SQL",
            "Won",
            "Revenue",
            "Revenue per MQL",
        ],
        [
            [
                r["group"],
                r["mqls"],
                r["decided"],
                pct(r["acceptance_rate"]),
                r["sql"],
                pct(r["mql_to_sql"]),
                r["won"],
                r["revenue"],
                r["revenue_per_mql"],
            ]
            for r in data["rows"]
        ],
        DEFINITIONS["breakdown"].definition,
    )


# --- sales --------------------------------------------------------------------------------------


def sales(*, user, filters: MetricFilters, now: datetime) -> Dashboard:
    d = Dashboard()
    fun = compute.funnel(user=user, filters=filters, now=now)
    speed = compute.speed_to_lead(user=user, filters=filters, now=now)
    ageing = compute.queue_ageing(user=user, filters=filters, now=now)
    sla = compute.sla_compliance(user=user, filters=filters, now=now)
    breach = compute.breaches(user=user, filters=filters, now=now)
    reasons = compute.reject_reasons(user=user, filters=filters, now=now)
    by_rep = compute.breakdown(user=user, filters=filters, now=now, by="rep")
    by_team = compute.breakdown(user=user, filters=filters, now=now, by="team")
    to_date = fun["windows"]["to_date"]
    clocks = sum(p["clocks"] for p in sla["series"])
    met = sum(p["met"] for p in sla["series"])
    d.tiles += [
        Tile(
            "Acceptance",
            pct(to_date["acceptance_rate"]),
            DEFINITIONS["acceptance_rate"].definition,
            note=f"{to_date['accepted']:,} of {to_date['decided']:,} decided (to date)",
        ),
        Tile(
            "Speed to lead (median)",
            duration(speed["wall_seconds"]["median"]),
            DEFINITIONS["speed_to_lead"].definition,
            note=f"{duration(speed['business_seconds']['median'])} business · "
            f"{speed['untouched']:,} untouched",
        ),
        Tile(
            "SLA compliance",
            pct(met / clocks if clocks else None),
            DEFINITIONS["sla_compliance"].definition,
            note=f"{met:,} of {clocks:,} clocks met",
            spark=[p["compliance"] for p in sla["series"]],
        ),
        Tile(
            "Open queue",
            f"{ageing['open']:,}",
            DEFINITIONS["queue_ageing"].definition,
            note=f"{ageing['buckets'][-1]['mqls']:,} older than 2 weeks",
        ),
    ]
    labels = [p["start"] for p in sla["series"]]
    for key, data in (("reps", by_rep), ("teams", by_team)):
        d.charts.append(
            Chart(
                key,
                f"Acceptance per {data['label'].lower()}",
                "bar",
                [r["group"] for r in data["rows"]],
                [{"label": "Acceptance", "data": [r["acceptance_rate"] for r in data["rows"]]}],
                Table(
                    key,
                    f"Acceptance and speed to lead per {data['label'].lower()}",
                    [data["label"], "MQLs", "Decided", "Accepted", "Acceptance", "Speed (median)"],
                    [
                        [
                            r["group"],
                            r["mqls"],
                            r["decided"],
                            r["accepted"],
                            pct(r["acceptance_rate"]),
                            duration(r.get("speed_median_seconds")),
                        ]
                        for r in data["rows"]
                    ],
                ),
                DEFINITIONS["acceptance_rate"].definition,
                percent=True,
            )
        )
    d.charts.append(
        Chart(
            "reject_reasons",
            "Reject reasons over time",
            "stacked",
            [p["start"] for p in reasons["series"]],
            [
                {"label": reason, "data": [p["counts"][reason] for p in reasons["series"]]}
                for reason in reasons["reasons"]
            ],
            Table(
                "reject_reasons",
                "Reject reasons over time",
                [f"{filters.grain.title()} of", *reasons["reasons"]],
                [[p["start"], *p["counts"].values()] for p in reasons["series"]],
            ),
            DEFINITIONS["reject_reasons"].definition,
        )
    )
    d.charts.append(
        Chart(
            "sla",
            "SLA compliance",
            "line",
            labels,
            [{"label": "Compliance", "data": [p["compliance"] for p in sla["series"]]}],
            Table(
                "sla",
                "SLA compliance",
                [f"{filters.grain.title()} of", "Clocks", "Met", "Breached", "Compliance"],
                [
                    [p["start"], p["clocks"], p["met"], p["breached"], pct(p["compliance"])]
                    for p in sla["series"]
                ],
            ),
            DEFINITIONS["sla_compliance"].definition,
            percent=True,
        )
    )
    kind_labels = {"delivery": "Delivery", "first_touch": "First touch", "decision": "Decision"}
    d.charts.append(
        Chart(
            "breaches",
            "Breaches",
            "stacked",
            [p["start"] for p in breach["series"]],
            [
                {"label": kind_labels[k], "data": [p["counts"][k] for p in breach["series"]]}
                for k in breach["kinds"]
            ],
            Table(
                "breaches",
                "Breaches",
                [
                    f"{filters.grain.title()} of",
                    *(kind_labels[k] for k in breach["kinds"]),
                    "Total",
                ],
                [
                    [p["start"], *(p["counts"][k] for k in breach["kinds"]), p["total"]]
                    for p in breach["series"]
                ],
            ),
            DEFINITIONS["breaches"].definition,
        )
    )
    d.charts.append(
        Chart(
            "ageing",
            "Queue ageing (open now)",
            "bar",
            [b["label"] for b in ageing["buckets"]],
            [{"label": "Open MQLs", "data": [b["mqls"] for b in ageing["buckets"]]}],
            Table(
                "ageing",
                "Queue ageing",
                ["Opened", "Open MQLs"],
                [[b["label"], b["mqls"]] for b in ageing["buckets"]],
            ),
            DEFINITIONS["queue_ageing"].definition,
        )
    )
    return d


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
            show = _number
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
