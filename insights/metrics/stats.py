"""Percentiles in the database: PostgreSQL's percentile_cont, and on SQLite (for `make run`) the
same interpolation from the two rows around the rank, read with ORDER BY … LIMIT."""

import math
from datetime import timedelta

from django.db import connection
from django.db.models import Aggregate, DurationField, QuerySet


class PercentileCont(Aggregate):
    """percentile_cont(p) WITHIN GROUP (ORDER BY expression) (PostgreSQL)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles(qs: QuerySet, expression, fractions=(0.5, 0.9)) -> dict[float, timedelta | None]:
    """Continuous percentiles of a duration expression over `qs` (None when empty)."""
    qs = qs.annotate(_value=expression).filter(_value__isnull=False)
    if connection.vendor == "postgresql":
        aggregates = {
            f"p{i}": PercentileCont("_value", fraction, output_field=DurationField())
            for i, fraction in enumerate(fractions)
        }
        row = qs.aggregate(**aggregates)
        return {fraction: row[f"p{i}"] for i, fraction in enumerate(fractions)}
    n = qs.count()
    out: dict[float, timedelta | None] = {}
    ordered = qs.order_by("_value").values_list("_value", flat=True)
    for fraction in fractions:
        if n == 0:
            out[fraction] = None
            continue
        rank = fraction * (n - 1)
        low, high = math.floor(rank), math.ceil(rank)
        values = list(ordered[low : high + 1])
        a, b = values[0], values[-1]
        out[fraction] = a + (b - a) * (rank - low)
    return out


def seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)
