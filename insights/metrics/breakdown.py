"""The cohort grouped by channel, campaign, model, version, grade, score band, team or rep."""

from datetime import datetime

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    F,
    FloatField,
    IntegerField,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    Floor,
    Lower,
)

from handoff.models import MqlStatus
from insights.metrics.filters import MetricFilters
from insights.metrics.funnel import (
    DECIDED,
    after_opening,
    cohort,
    ratio,
    reached_to_date,
    won_deal_after_opening,
    won_deals,
)
from insights.metrics.stats import PercentileCont, percentiles, seconds

# --- breakdowns ---------------------------------------------------------------------------------

BREAKDOWNS = {
    "channel": "Channel",
    "campaign": "Campaign",
    "model": "Scoring model (segment)",
    "version": "Model version",
    "grade": "Grade",
    "score_band": "Score band",
    "team": "Team",
    "rep": "Rep",
}
SCORE_BAND = 20


def _group_expression(by: str):
    none = Value("(none)")
    return {
        "channel": Coalesce(Lower("source"), none),
        "campaign": Coalesce(Lower("campaign"), none),
        "model": Coalesce("scoring_model__name", none),
        "version": Case(
            When(
                model_version__isnull=False,
                then=Concat(
                    "model_version__model__name",
                    Value(" v"),
                    Cast("model_version__number", CharField()),
                ),
            ),
            default=none,
        ),
        "grade": Coalesce("grade", none),
        "score_band": Case(
            When(total__isnull=True, then=Value(-1)),
            default=Cast(Floor(F("total") / SCORE_BAND) * SCORE_BAND, IntegerField()),
            output_field=IntegerField(),
        ),
        "team": Coalesce("team__name", Value("(no team)")),
        "rep": Coalesce("owner__username", Value("(unassigned)")),
    }[by]


def breakdown(*, user, filters: MetricFilters, now: datetime, by: str) -> dict:
    if by not in BREAKDOWNS:
        raise ValueError(by)
    won_revenue = Subquery(
        won_deals().values("contact_id").annotate(s=Sum("amount")).values("s"),
        output_field=FloatField(),
    )
    rows = (
        cohort(user=user, filters=filters)
        .annotate(group=_group_expression(by))
        .values("group")
        .annotate(
            mqls=Count("pk"),
            decided=Count("pk", filter=Q(status__in=DECIDED)),
            accepted=Count("pk", filter=Q(status=MqlStatus.ACCEPTED)),
            sql=Count("pk", filter=reached_to_date("sql")),
            won=Count("pk", filter=won_deal_after_opening()),
            revenue=Coalesce(Sum(won_revenue), Value(0.0)),
            touched=Count("pk", filter=Q(first_touch_at__isnull=False)),
        )
        .order_by("-mqls", "group")
    )
    out = []
    for r in rows:
        group = r["group"] if r["group"] != "" else "(none)"
        if by == "score_band":
            group = "(none)" if group == -1 else f"{group}–{group + SCORE_BAND - 1}"
        out.append(
            {
                "group": group,
                "mqls": r["mqls"],
                "decided": r["decided"],
                "accepted": r["accepted"],
                "acceptance_rate": ratio(r["accepted"], r["decided"]),
                "sql": r["sql"],
                "mql_to_sql": ratio(r["sql"], r["mqls"]),
                "won": r["won"],
                "revenue": round(float(r["revenue"] or 0), 2),
                "revenue_per_mql": round(float(r["revenue"] or 0) / r["mqls"], 2),
            }
        )
    if by in ("rep", "team"):
        _add_speed(out, user=user, filters=filters, by=by)
    return {"by": by, "label": BREAKDOWNS[by], "rows": out}


def _add_speed(rows: list[dict], *, user, filters: MetricFilters, by: str) -> None:
    """Median wall-clock speed to lead per rep or team: one grouped percentile_cont on
    PostgreSQL; elsewhere one percentile per group (there are few groups)."""
    touched = cohort(user=user, filters=filters).filter(first_touch_at__isnull=False)
    speed = after_opening(F("first_touch_at"))
    if connection.vendor == "postgresql":
        medians = dict(
            touched.annotate(group=_group_expression(by), _speed=speed)
            .values("group")
            .annotate(median=PercentileCont("_speed", 0.5, output_field=DurationField()))
            .values_list("group", "median")
        )
        for row in rows:
            row["speed_median_seconds"] = seconds(medians.get(row["group"]))
        return
    for row in rows:
        group = row["group"]
        qs = touched.annotate(group=_group_expression(by)).filter(group=group)
        row["speed_median_seconds"] = seconds(percentiles(qs, speed, (0.5,))[0.5])
