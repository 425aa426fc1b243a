"""What every calibration read shares: the period, the decided MQLs of a model as SQL, and
the campaign breakdown."""

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from feedback.models import Decision
from handoff.models import Mql
from insights.models import Deal, DealStage
from leads.models import LifecycleStage, StageChange
from scoring.models import ScoringModel

DAY = timedelta(days=1)
MONTH_DAYS = 30  # "a month" in the frontier's volumes
MAX_BANDS = 8


def period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` days up to `now`: (since, until)."""
    until = now or timezone.now()
    return until - days * DAY, until


def decided_sql(
    model: ScoringModel, since: datetime, until: datetime, columns: str
) -> tuple[str, list]:
    """The decided MQLs of `model` decided in [since, until), as a subquery with `columns`
    (SQL over aliases m: the MQL, d: its decision) plus acc, sql_reached and won (0 or 1)."""
    adapt = connection.ops.adapt_datetimefield_value
    mql, decision = Mql._meta.db_table, Decision._meta.db_table
    deal, change = Deal._meta.db_table, StageChange._meta.db_table
    text = (
        f"SELECT {columns}, CASE WHEN d.outcome = 'accept' THEN 1 ELSE 0 END AS acc,"
        f" CASE WHEN EXISTS (SELECT 1 FROM {change} sc WHERE sc.contact_id = m.contact_id"
        " AND sc.to_stage = %s AND sc.changed_at >= m.qualified_at) THEN 1 ELSE 0 END"
        " AS sql_reached,"
        f" CASE WHEN EXISTS (SELECT 1 FROM {deal} x WHERE x.contact_id = m.contact_id"
        " AND x.stage = %s AND x.created_at >= m.qualified_at) THEN 1 ELSE 0 END AS won"
        f" FROM {decision} d JOIN {mql} m ON m.id = d.mql_id"
        " WHERE m.scoring_model_id = %s AND d.decided_at >= %s AND d.decided_at < %s"
    )
    return text, [LifecycleStage.SQL, DealStage.WON, model.pk, adapt(since), adapt(until)]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- by campaign ------------------------------------------------------------------------------


def campaign_report(
    *, model: ScoringModel, since: datetime, until: datetime | None = None
) -> list[dict]:
    """Decided MQLs of [since, until) by the campaign they were attributed to when they opened
    (Mql.campaign): count, acceptance, MQL→SQL and won rates, most MQLs first."""
    until = until or timezone.now()
    base, params = decided_sql(model, since, until, "m.campaign AS campaign")
    rows = fetch(
        f"SELECT b.campaign, count(*), sum(b.acc), sum(b.sql_reached), sum(b.won)"
        f" FROM ({base}) b GROUP BY 1 ORDER BY 2 DESC, 1",
        params,
    )
    return [
        {
            "campaign": campaign or "",
            "count": n,
            "acceptance": rate(int(acc), n),
            "sql_rate": rate(int(sql), n),
            "won_rate": rate(int(won), n),
        }
        for campaign, n, acc, sql, won in rows
    ]
