"""Score bands and the score grid: decided MQLs in fit bands × engagement bands."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from insights.calibration.base import MAX_BANDS, decided_sql, fetch, rate
from scoring.models import ScoringModel

# --- bands --------------------------------------------------------------------------------------


NICE = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


def band_edges(low: float, high: float, threshold: float | None, bands: int = 6) -> list[float]:
    """Lower edges of score bands covering [low, high]: multiples of a round step, the first at
    or below `low`, and `threshold` itself when it falls inside (so it is a band edge)."""
    if low is None or high is None:
        return [threshold] if threshold is not None else [0]
    span = max(high - low, 1)
    step = next((s for s in NICE if span / s <= bands), NICE[-1])
    first = math.floor(low / step) * step
    edges = {float(first + i * step) for i in range(int((high - first) // step) + 1)}
    if threshold is not None and first < threshold <= high:
        edges.add(float(threshold))
    edges = sorted(edges)
    return edges[: MAX_BANDS + 1]


def band_case(column: str, edges: list[float]) -> tuple[str, list]:
    """The band index of `column` (0: below the second edge … n-1: at or above the last)."""
    if len(edges) <= 1:
        return "0", []
    whens = " ".join(f"WHEN {column} >= %s THEN {i}" for i in range(len(edges) - 1, 0, -1))
    return f"CASE {whens} ELSE 0 END", list(reversed(edges[1:]))


def score_ranges(model, since, until) -> dict[str, tuple]:
    base, params = decided_sql(model, since, until)
    [row] = fetch(
        "SELECT min(b.fit), max(b.fit), min(b.engagement), max(b.engagement), min(b.total),"
        f" max(b.total) FROM ({base}) b WHERE b.fit IS NOT NULL AND b.engagement IS NOT NULL",
        params,
    )
    return {"fit": row[0:2], "engagement": row[2:4], "total": row[4:6]}


def band_labels(edges: list[float]) -> list[str]:
    def n(x):
        return f"{x:g}"

    return [
        f"{n(lo)}–{n(edges[i + 1])}" if i + 1 < len(edges) else f"≥ {n(lo)}"
        for i, lo in enumerate(edges)
    ]


# --- score grid ---------------------------------------------------------------------------------


@dataclass
class GridCell:
    fit_band: int
    engagement_band: int
    count: int = 0
    accepted: int = 0
    sql: int = 0
    won: int = 0

    @property
    def sql_rate(self) -> float | None:
        return rate(self.sql, self.count)

    @property
    def won_rate(self) -> float | None:
        return rate(self.won, self.count)

    @property
    def acceptance(self) -> float | None:
        return rate(self.accepted, self.count)


@dataclass
class ScoreGrid:
    since: datetime
    until: datetime
    fit_edges: list[float]
    engagement_edges: list[float]
    thresholds: dict  # fit_min, engagement_min, total_min of the draft
    cells: list[list[GridCell]]  # [engagement band][fit band]
    decided: int

    @property
    def fit_labels(self) -> list[str]:
        return band_labels(self.fit_edges)

    @property
    def engagement_labels(self) -> list[str]:
        return band_labels(self.engagement_edges)

    @property
    def rows(self) -> list[tuple[str, list[GridCell]]]:
        """Highest engagement band first (the heatmap's top row)."""
        labels = self.engagement_labels
        return [(labels[i], self.cells[i]) for i in reversed(range(len(self.cells)))]


def score_grid(*, model: ScoringModel, since: datetime, until: datetime | None = None) -> ScoreGrid:
    """Decided MQLs of [since, until) in fit bands × engagement bands (scores frozen on the MQL),
    each cell with its count, acceptance, MQL→SQL and won rates; the draft's thresholds are band
    edges. One range query and one grouped query."""
    until = until or timezone.now()
    ranges = score_ranges(model, since, until)
    fit_edges = band_edges(*ranges["fit"], model.fit_min)
    eng_edges = band_edges(*ranges["engagement"], model.engagement_min)
    base, params = decided_sql(model, since, until)
    fit_case, fit_params = band_case("b.fit", fit_edges)
    eng_case, eng_params = band_case("b.engagement", eng_edges)
    rows = fetch(
        f"SELECT {fit_case}, {eng_case}, count(*), sum(b.acc), sum(b.sql_reached), sum(b.won)"
        f" FROM ({base}) b WHERE b.fit IS NOT NULL AND b.engagement IS NOT NULL"
        " GROUP BY 1, 2",
        [*fit_params, *eng_params, *params],
    )
    cells = [
        [GridCell(fit_band=f, engagement_band=e) for f in range(len(fit_edges))]
        for e in range(len(eng_edges))
    ]
    decided = 0
    for f, e, n, acc, sql, won in rows:
        cell = cells[e][f]
        cell.count, cell.accepted, cell.sql, cell.won = n, int(acc), int(sql), int(won)
        decided += n
    return ScoreGrid(
        since=since,
        until=until,
        fit_edges=fit_edges,
        engagement_edges=eng_edges,
        thresholds={
            "fit_min": model.fit_min,
            "engagement_min": model.engagement_min,
            "total_min": model.total_min,
        },
        cells=cells,
        decided=decided,
    )
