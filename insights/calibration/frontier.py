"""The threshold frontier: what each pair of thresholds would have sent, and which meet a target."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from insights.calibration.base import DAY, MONTH_DAYS, decided_sql, fetch, rate
from insights.calibration.grid import band_case, band_edges, score_ranges
from scoring.models import ScoringModel

# --- threshold frontier -------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontierPoint:
    fit_min: float
    engagement_min: float
    total_min: float | None
    mqls: int  # decided MQLs of the period that would still qualify
    per_month: float
    sql: int
    won: int
    accepted: int
    below_current: bool  # looser than the draft somewhere: volumes are a lower bound

    @property
    def sql_rate(self) -> float | None:
        return rate(self.sql, self.mqls)

    @property
    def won_rate(self) -> float | None:
        return rate(self.won, self.mqls)

    @property
    def acceptance(self) -> float | None:
        return rate(self.accepted, self.mqls)


@dataclass
class Frontier:
    since: datetime
    until: datetime
    months: int
    uses_total: bool
    current: dict
    points: list[FrontierPoint]  # every pair (or triple), strictest first
    matches: list[FrontierPoint]  # those meeting the target, best first
    target: dict


def threshold_frontier(
    *,
    model: ScoringModel,
    months: int = 6,
    min_sql_rate: float | None = None,
    max_per_month: float | None = None,
    min_per_month: float | None = None,
    now: datetime | None = None,
) -> Frontier:
    """For a grid of (fit, engagement) threshold pairs — and total thresholds when the draft
    uses one — the decided MQLs per month of the last `months` months (of 30 days) that would
    still have qualified on their scores at the time, and their MQL→SQL rate. With a target
    (MQL→SQL ≥ min_sql_rate, MQLs a month ≤ max_per_month and/or ≥ min_per_month), `matches`
    holds the points meeting it, best first: the most MQLs a month when a rate is the target,
    else the highest MQL→SQL rate.

    One grouped statement counts the MQLs per (fit band, engagement band, total band); every
    candidate threshold is a band edge, so each point is a sum of whole cells."""
    until = now or timezone.now()
    since = until - months * MONTH_DAYS * DAY
    uses_total = model.total_min is not None
    ranges = score_ranges(model, since, until)
    fit_edges = band_edges(*ranges["fit"], model.fit_min, bands=7)
    eng_edges = band_edges(*ranges["engagement"], model.engagement_min, bands=7)
    total_edges = band_edges(*ranges["total"], model.total_min, bands=7) if uses_total else []
    base, params = decided_sql(model, since, until)
    fit_case, fit_params = band_case("b.fit", fit_edges)
    eng_case, eng_params = band_case("b.engagement", eng_edges)
    if uses_total:
        total_case, total_params = band_case("coalesce(b.total, b.fit + b.engagement)", total_edges)
    else:
        total_case, total_params = "0", []
    rows = fetch(
        f"SELECT {fit_case}, {eng_case}, {total_case}, count(*), sum(b.sql_reached),"
        " sum(b.won), sum(b.acc)"
        f" FROM ({base}) b WHERE b.fit IS NOT NULL AND b.engagement IS NOT NULL"
        " GROUP BY 1, 2, 3",
        [*fit_params, *eng_params, *total_params, *params],
    )
    points = []
    totals_options = list(range(len(total_edges))) + [None] if uses_total else [None]
    for fi, fit_min in enumerate(fit_edges):
        for ei, eng_min in enumerate(eng_edges):
            for ti in totals_options:
                n = sql = won = acc = 0
                for f, e, t, count, s, w, a in rows:
                    if (f >= fi and e >= ei) or (ti is not None and t >= ti):
                        n, sql, won, acc = n + count, sql + int(s), won + int(w), acc + int(a)
                total_min = total_edges[ti] if ti is not None else None
                looser = fit_min < model.fit_min or eng_min < model.engagement_min
                if uses_total:
                    looser = looser or total_min is None or total_min < model.total_min
                points.append(
                    FrontierPoint(
                        fit_min=fit_min,
                        engagement_min=eng_min,
                        total_min=total_min,
                        mqls=n,
                        per_month=round(n / months, 1),
                        sql=sql,
                        won=won,
                        accepted=acc,
                        below_current=looser,
                    )
                )
    target = {
        "min_sql_rate": min_sql_rate,
        "max_per_month": max_per_month,
        "min_per_month": min_per_month,
    }
    matches = [
        p
        for p in points
        if p.mqls
        and (min_sql_rate is None or (p.sql_rate or 0) >= min_sql_rate)
        and (max_per_month is None or p.per_month <= max_per_month)
        and (min_per_month is None or p.per_month >= min_per_month)
    ]
    if min_sql_rate is not None:
        matches.sort(key=lambda p: (-p.per_month, -(p.sql_rate or 0), p.fit_min, p.engagement_min))
    else:
        matches.sort(key=lambda p: (-(p.sql_rate or 0), -p.per_month, p.fit_min, p.engagement_min))
    points.sort(key=lambda p: (p.mqls, -(p.sql_rate or 0)))
    return Frontier(
        since=since,
        until=until,
        months=months,
        uses_total=uses_total,
        current={
            "fit_min": model.fit_min,
            "engagement_min": model.engagement_min,
            "total_min": model.total_min,
        },
        points=points,
        matches=matches if any(v is not None for v in target.values()) else [],
        target=target,
    )
