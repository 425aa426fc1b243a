"""Every metric as a function of (user, filters, now) returning plain data (what the API sends
and the pages draw). Each is a handful of aggregate statements; none loops over MQLs in Python
(the business-hours speed to lead reads a bounded sample, see cohort.speed_to_lead). The
functions live in the modules beside this one, by subject; this module gathers them."""

from insights.metrics.breakdown import BREAKDOWNS, breakdown
from insights.metrics.cohorts import (
    conversion_trend,
    funnel,
    lead_to_mql,
    mql_volume,
    speed_to_lead,
    time_to_sql,
    time_to_won,
)
from insights.metrics.common import change, maturity
from insights.metrics.money import cost, revenue
from insights.metrics.planning import capacity, forecast
from insights.metrics.sales import (
    AGE_BUCKETS,
    breaches,
    queue_ageing,
    reject_reasons,
    sla_compliance,
)

__all__ = [
    "AGE_BUCKETS",
    "BREAKDOWNS",
    "breakdown",
    "breaches",
    "capacity",
    "change",
    "conversion_trend",
    "cost",
    "forecast",
    "funnel",
    "lead_to_mql",
    "maturity",
    "mql_volume",
    "queue_ageing",
    "reject_reasons",
    "revenue",
    "sla_compliance",
    "speed_to_lead",
    "time_to_sql",
    "time_to_won",
]
