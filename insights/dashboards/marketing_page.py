"""The marketing dashboard: the marketer's home page."""

from datetime import datetime

from insights.dashboards.layout import (
    Chart,
    Dashboard,
    Table,
    Tile,
    amount,
    band_tone,
    duration,
    pct,
    rate_change,
)
from insights.metrics import DEFINITIONS, compute
from insights.metrics.filters import MetricFilters
from insights.metrics.scope import sees_all

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
