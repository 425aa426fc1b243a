"""Funnel metrics: written definitions (definitions.py), the filters every metric takes
(filters.py), who sees which MQLs (scope.py), and the set-based queries (funnel.py, compute.py).

`METRICS` maps each API name (/api/v1/metrics/<name>/) to its function and its definition key;
pages and the API call the same functions."""

from insights.metrics import compute
from insights.metrics.definitions import DEFINITIONS, MetricDefinition, definition
from insights.metrics.filters import MetricFilters, MetricFiltersSerializer, parse_filters

METRICS = {
    "mql-volume": (compute.mql_volume, "mql_volume"),
    "lead-to-mql": (compute.lead_to_mql, "lead_to_mql"),
    "funnel": (compute.funnel, "mql_to_sql"),
    "conversion-trend": (compute.conversion_trend, "mql_to_sql"),
    "speed-to-lead": (compute.speed_to_lead, "speed_to_lead"),
    "time-to-sql": (compute.time_to_sql, "time_to_sql"),
    "time-to-won": (compute.time_to_won, "time_to_won"),
    "revenue": (compute.revenue, "revenue_won"),
    "cost": (compute.cost, "cost"),
    "breakdown": (compute.breakdown, "breakdown"),
    "capacity": (compute.capacity, "capacity"),
    "forecast": (compute.forecast, "forecast"),
    "reject-reasons": (compute.reject_reasons, "reject_reasons"),
    "sla-compliance": (compute.sla_compliance, "sla_compliance"),
    "breaches": (compute.breaches, "breaches"),
    "queue-ageing": (compute.queue_ageing, "queue_ageing"),
}

__all__ = [
    "DEFINITIONS",
    "METRICS",
    "MetricDefinition",
    "MetricFilters",
    "MetricFiltersSerializer",
    "compute",
    "definition",
    "parse_filters",
]
