"""The pieces of a dashboard (tiles, charts, tables) and how figures are written."""

from dataclasses import dataclass, field


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


def number(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}".removesuffix(".0")


def band_tone(rate: float | None) -> str:
    if rate is None:
        return ""
    if rate < 0.20:
        return "warning"
    return "good" if rate >= 0.25 else ""
