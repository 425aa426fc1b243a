"""The sales dashboard: managers' home page; reps see their own numbers."""

from datetime import datetime

from insights.dashboards.layout import (
    Chart,
    Dashboard,
    Table,
    Tile,
    duration,
    pct,
)
from insights.metrics import DEFINITIONS, compute
from insights.metrics.filters import MetricFilters

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
                f"Acceptance and speed to lead per {data['label'].lower()}",
                "combo",
                [r["group"] for r in data["rows"]],
                [
                    {
                        "label": "Speed to lead, median (hours)",
                        "data": [
                            None
                            if r.get("speed_median_seconds") is None
                            else round(r["speed_median_seconds"] / 3600, 2)
                            for r in data["rows"]
                        ],
                        "axis": "count",
                    },
                    {
                        "label": "Acceptance",
                        "data": [r["acceptance_rate"] for r in data["rows"]],
                        "axis": "rate",
                        "dots": True,
                    },
                ],
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
                DEFINITIONS["acceptance_rate"].definition
                + " Speed to lead: "
                + DEFINITIONS["speed_to_lead"].definition,
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
