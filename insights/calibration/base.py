"""What every calibration read shares: the period, the decided MQLs of a model as SQL, and
the campaign breakdown."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from core.db import analyze_missing
from feedback.models import Decision, Outcome
from handoff.models import Mql
from insights.metrics.funnel import reached_to_date, won_deal_after_opening
from insights.models import Deal
from leads.models import StageChange
from scoring.models import ScoringModel

DAY = timedelta(days=1)
MONTH_DAYS = 30  # "a month" in the frontier's volumes
MAX_BANDS = 8


def period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` days up to `now`: (since, until)."""
    until = now or timezone.now()
    return until - days * DAY, until


COLUMNS = (
    "fit",
    "engagement",
    "total",
    "campaign",
    "keys",
    "reason_id",
    "acc",
    "sql_reached",
    "won",
)
# Inside decided_shared(): ((model id, since, until), the temporary table holding them).
_shared: ContextVar[tuple | None] = ContextVar("calibration_decided", default=None)


def decided_sql(model: ScoringModel, since: datetime, until: datetime) -> tuple[str, list]:
    """The decided MQLs of `model` decided in [since, until), as a subquery with the columns
    fit, engagement, total, campaign (of the MQL), keys (the rules that fired), reason_id (of
    the decision), and acc, sql_reached and won (0 or 1). Reached SQL and won are the funnel
    metrics' own expressions (insights.metrics.funnel), so both count the same MQLs. Inside
    decided_shared() for the same model and period: the temporary table computed once."""
    shared = _shared.get()
    if shared is not None and shared[0] == (model.pk, since, until):
        return f"SELECT * FROM {shared[1]}", []
    decided = (
        Mql.objects.filter(
            scoring_model=model, decision__decided_at__gte=since, decision__decided_at__lt=until
        )
        .order_by()
        .annotate(
            keys=F("decision__rule_keys"),
            reason_id=F("decision__reason_id"),
            acc=_flag(Q(decision__outcome=Outcome.ACCEPT)),
            sql_reached=_flag(reached_to_date("sql")),
            won=_flag(won_deal_after_opening()),
        )
        .values(*COLUMNS)
    )
    text, params = decided.query.sql_with_params()
    return text, list(params)


def _flag(condition) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


@contextmanager
def decided_shared(*, model: ScoringModel, since: datetime, until: datetime):
    """Compute the decided MQLs of (model, period) once, into a temporary table, for every
    calibration read of the same model and period made inside (a page shows several): the
    per-MQL probes of the stage history and the deals run once instead of once per read."""
    analyze_missing(Decision, Mql, StageChange, Deal)  # never plan over a table without stats
    name = "insights_calibration_decided"
    table = f"{'pg_temp' if connection.vendor == 'postgresql' else 'temp'}.{name}"
    text, params = decided_sql(model, since, until)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMP TABLE {name} AS {text}", params)
        token = _shared.set(((model.pk, since, until), table))
        try:
            yield
        finally:
            _shared.reset(token)
        cursor.execute(f"DROP TABLE {table}")


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
    (Mql.campaign): count, acceptance and reject rates, MQL→SQL and won rates, most MQLs
    first."""
    until = until or timezone.now()
    base, params = decided_sql(model, since, until)
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
            "reject_rate": rate(n - int(acc), n),
            "sql_rate": rate(int(sql), n),
            "won_rate": rate(int(won), n),
        }
        for campaign, n, acc, sql, won in rows
    ]
