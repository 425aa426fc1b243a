"""The written definition of every metric: one registry read by the docs, the API and the
tooltips on the dashboards (a figure's `?` shows its `definition`).

`kind` says how a metric counts: **cohort** metrics follow the MQLs *opened* in the period (a
week's figure settles as its MQLs mature, so each cohort figure comes with its maturity), **period**
metrics count the events that happened in the period.
"""

from dataclasses import dataclass, field

COHORT = "cohort"
PERIOD = "period"
WINDOWS = (30, 60, 90)  # days within which a cohort rate counts a conversion


@dataclass(frozen=True)
class Band:
    """A reference band drawn on a rate's chart: [low, high] (either may be None)."""

    label: str
    low: float | None
    high: float | None
    tone: str  # "good", "benchmark" or "warning"


@dataclass(frozen=True)
class MetricDefinition:
    key: str
    label: str
    kind: str
    unit: str  # "count", "rate", "duration", "money", "table"
    definition: str
    bands: tuple[Band, ...] = field(default=())


MQL_TO_SQL_BANDS = (
    Band("Tight definition: 25–50%", 0.25, 0.50, "good"),
    Band("Cross-industry benchmark: 13%", 0.13, 0.13, "benchmark"),
    Band("Warning: below 20%", None, 0.20, "warning"),
)
LEAD_TO_MQL_BANDS = (Band("Typical: 5–15%", 0.05, 0.15, "good"),)

_DEFINITIONS = [
    MetricDefinition(
        "mql_volume",
        "MQL volume",
        COHORT,
        "count",
        "MQLs opened (qualified_at) in each week or month of the period, and in the whole period, "
        "with the change against the period of the same length just before it. Every opening "
        "counts: a contact that qualified twice counts twice.",
    ),
    MetricDefinition(
        "lead_to_mql",
        "Lead → MQL rate",
        COHORT,
        "rate",
        "Of the contacts created in the period (new leads), the share that had an MQL opened "
        "within 90 days of being created; only contacts at least 90 days old count in the rate "
        "(younger ones are shown as not yet mature). Channel and campaign filter the contacts' "
        "own source and campaign; model and team filter the MQL that counts. Marketing and "
        "admins only.",
        LEAD_TO_MQL_BANDS,
    ),
    MetricDefinition(
        "acceptance_rate",
        "Sales acceptance rate",
        COHORT,
        "rate",
        "Of the MQLs opened in the period that sales decided within N days (30, 60, 90) of "
        "opening, the share accepted: accepted ÷ (accepted + rejected). MQLs closed outside the "
        "queue are not decisions. Only MQLs at least N days old count.",
    ),
    MetricDefinition(
        "mql_to_sql",
        "MQL → SQL",
        COHORT,
        "rate",
        "Of the MQLs opened in the period and at least N days old, the share whose contact "
        "reached SQL — or a later funnel stage (opportunity, customer) — within N days of the "
        "MQL opening, from the contact's stage history.",
        MQL_TO_SQL_BANDS,
    ),
    MetricDefinition(
        "sql_to_opportunity",
        "SQL → opportunity",
        COHORT,
        "rate",
        "Of the cohort's MQLs that reached SQL or later within N days, the share that reached "
        "opportunity (or customer) within the same N days.",
    ),
    MetricDefinition(
        "opportunity_to_won",
        "Opportunity → won (win rate)",
        COHORT,
        "rate",
        "Of the cohort's MQLs that reached opportunity or later within N days, the share whose "
        "contact became a customer within the same N days.",
    ),
    MetricDefinition(
        "mql_to_customer",
        "MQL → customer",
        COHORT,
        "rate",
        "Of the MQLs opened in the period and at least N days old, the share whose contact became "
        "a customer within N days of the MQL opening.",
    ),
    MetricDefinition(
        "speed_to_lead",
        "Speed to lead",
        COHORT,
        "duration",
        "For the MQLs opened in the period that were touched (a call, email or meeting logged), "
        "the time from opening to the first touch: median and 90th percentile, in wall-clock "
        "time and in business hours of the MQL's team calendar (Monday–Friday 09:00–17:00 UTC "
        "for an MQL without one). Business hours are computed exactly for up to 500 touched "
        "MQLs and from an evenly spread sample of about 500 beyond that. Untouched MQLs are counted "
        "apart.",
    ),
    MetricDefinition(
        "time_to_sql",
        "Time to SQL",
        COHORT,
        "duration",
        "For the MQLs opened in the period whose contact reached SQL or later after the MQL "
        "opened: the time from opening to the first such stage change, median and 90th "
        "percentile (wall-clock time).",
    ),
    MetricDefinition(
        "time_to_won",
        "Time MQL → won",
        COHORT,
        "duration",
        "For the MQLs opened in the period whose contact became a customer afterwards: the time "
        "from opening to becoming a customer, median and 90th percentile.",
    ),
    MetricDefinition(
        "pipeline_created",
        "Pipeline created",
        PERIOD,
        "money",
        "The total amount of the MQL-sourced deals created in the period. A deal is MQL-sourced "
        "when its contact had an MQL (matching the filters and your scope) opened before the "
        "deal was created.",
    ),
    MetricDefinition(
        "revenue_won",
        "Revenue won",
        PERIOD,
        "money",
        "The total amount of the MQL-sourced deals won (closed as won) in the period.",
    ),
    MetricDefinition(
        "revenue_per_mql",
        "Revenue per MQL",
        COHORT,
        "money",
        "Revenue won to date from deals created after an MQL of the cohort opened (each deal "
        "once), divided by the MQLs opened in the period.",
    ),
    MetricDefinition(
        "win_rate_by_source",
        "Win rate: MQL-sourced vs never-MQL deals",
        PERIOD,
        "rate",
        "Of the deals closed (won or lost) in the period, the share won: for MQL-sourced deals, "
        "and for deals whose contact never had an MQL before the deal was created. The "
        "never-MQL side is for marketing and admins only.",
    ),
    MetricDefinition(
        "cost",
        "Cost per MQL, SQL and won deal",
        COHORT,
        "money",
        "Per channel (the MQL's frozen source) and campaign (the MQL's frozen campaign): the "
        "campaign spend of every calendar month the period touches, divided by the MQLs opened "
        "in those months, by those of them whose contact reached SQL or later (to date), and by "
        "those whose contact won a deal created after the MQL opened (and before its next MQL). "
        "Spend is not split by "
        "team or model, so those filters do not apply. Marketing and admins only.",
    ),
    MetricDefinition(
        "breakdown",
        "Breakdown",
        COHORT,
        "table",
        "The cohort's MQLs grouped by channel, campaign, scoring model (the segment), model "
        "version, grade, score band (total score in bands of 20), team or rep: MQLs, decided, "
        "acceptance rate, reached SQL to date and its rate, won deals and revenue won from deals "
        "created after the MQL opened. As in the funnel, what happens after the contact's next "
        "MQL opened counts for that MQL.",
    ),
    MetricDefinition(
        "capacity",
        "Capacity",
        COHORT,
        "count",
        "MQLs needed per month = account executives × SQLs each needs per month ÷ MQL → SQL rate "
        "(the cohort's 30-day rate unless you give one), compared with the MQLs opened per month "
        "in the period and with the forecast for next month.",
    ),
    MetricDefinition(
        "forecast",
        "MQL forecast, next month",
        PERIOD,
        "count",
        "From the last 12 complete weeks (Monday to Sunday, weeks without MQLs count as 0): the "
        "mean weekly volume × 4.35 (the weeks in an average month), with a 95% range of ± 1.96 × "
        "the weekly standard deviation × √4.35 (weeks taken as independent). The least-squares "
        "trend per week is shown beside it as a caution, not used in the figure.",
    ),
    MetricDefinition(
        "reject_reasons",
        "Reject reasons over time",
        PERIOD,
        "count",
        "Rejections decided in each week of the period, per reject reason.",
    ),
    MetricDefinition(
        "sla_compliance",
        "SLA compliance",
        PERIOD,
        "rate",
        "Per week, the share of SLA clocks that ended in the week (stopped in time or breached) "
        "that were met; waived breaches are left out entirely.",
    ),
    MetricDefinition(
        "breaches",
        "Breaches per week",
        PERIOD,
        "count",
        "SLA breaches recorded in each week of the period, per clock kind (waived ones excluded).",
    ),
    MetricDefinition(
        "queue_ageing",
        "Queue ageing",
        PERIOD,
        "count",
        "MQLs open now, by how long ago they opened: under 1 day, 1–3 days, 3–7 days, 1–2 weeks, "
        "over 2 weeks. Model, team, channel and campaign filters apply; the period does not.",
    ),
    MetricDefinition(
        "quarterly",
        "Quarterly review",
        COHORT,
        "table",
        "The headline figures of a calendar quarter, of the quarter before and of the same "
        "quarter a year earlier, each computed with the definitions above over that quarter.",
    ),
]

DEFINITIONS: dict[str, MetricDefinition] = {d.key: d for d in _DEFINITIONS}

# What became of one MQL, to date, in the words every page and doc uses for it: the funnel
# metrics, the calibration and the backtests count it with the same expressions
# (insights.metrics.funnel: reached_to_date("sql"), won_deal_after_opening()).
OUTCOMES = {
    "reached_sql": "the MQL's contact reached SQL or a later stage (opportunity, customer) once "
    "the MQL had opened and before the contact's next MQL opened",
    "won": "the MQL's contact has a won deal created once the MQL had opened and before the "
    "contact's next MQL opened",
}


def definition(key: str) -> MetricDefinition:
    return DEFINITIONS[key]
