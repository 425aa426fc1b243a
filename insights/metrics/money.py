"""Revenue from MQL-sourced deals and the cost of MQLs, SQLs and won deals."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import (
    Coalesce,
    Lower,
)

from handoff.models import Mql
from insights.metrics.common import (
    maturity,
    money,
    require_all,
)
from insights.metrics.filters import MetricFilters, day_start
from insights.metrics.funnel import (
    cohort,
    mqls,
    ratio,
    reached_to_date,
    won_deal_after_opening,
)
from insights.metrics.scope import sees_all
from insights.models import CampaignSpend, Deal, DealStage

# --- revenue ------------------------------------------------------------------------------------


def _mql_sourced(mql_qs) -> Exists:
    return Exists(
        mql_qs.filter(contact_id=OuterRef("contact_id"), qualified_at__lt=OuterRef("created_at"))
    )


def revenue(*, user, filters: MetricFilters, now: datetime) -> dict:
    """Pipeline created, revenue won, revenue per MQL, and the win rates by deal origin."""
    sourced = _mql_sourced(mqls(user=user, filters=filters))
    in_period = Q(created_at__gte=filters.start, created_at__lt=filters.end)
    closed_in_period = Q(closed_at__gte=filters.start, closed_at__lt=filters.end)
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))
    created = Deal.objects.filter(in_period).filter(sourced)
    pipeline = created.aggregate(n=Count("pk"), amount=Coalesce(Sum("amount"), zero))
    won = (
        Deal.objects.filter(closed_in_period, stage=DealStage.WON)
        .filter(sourced)
        .aggregate(n=Count("pk"), amount=Coalesce(Sum("amount"), zero))
    )
    the_cohort = cohort(user=user, filters=filters)
    cohort_won = (
        Deal.objects.filter(stage=DealStage.WON)
        .filter(
            Exists(
                the_cohort.filter(
                    contact_id=OuterRef("contact_id"), qualified_at__lte=OuterRef("created_at")
                )
            )
        )
        .aggregate(amount=Coalesce(Sum("amount"), zero))
    )
    cohort_size = the_cohort.count()
    closed = Deal.objects.filter(closed_in_period, stage__in=[DealStage.WON, DealStage.LOST])
    rates = closed.filter(sourced).aggregate(
        closed=Count("pk"), won=Count("pk", filter=Q(stage=DealStage.WON))
    )
    out = {
        "pipeline_created": {"deals": pipeline["n"], "amount": money(pipeline["amount"])},
        "revenue_won": {"deals": won["n"], "amount": money(won["amount"])},
        "revenue_per_mql": {
            "mqls": cohort_size,
            "revenue": money(cohort_won["amount"]),
            "per_mql": round(money(cohort_won["amount"]) / cohort_size, 2) if cohort_size else None,
            "maturity": maturity(filters, now),
        },
        "win_rate": {
            "mql_sourced": {**rates, "rate": ratio(rates["won"], rates["closed"])},
            "never_mql": None,
        },
    }
    if sees_all(user):
        never = closed.exclude(_mql_sourced(Mql.objects.all())).aggregate(
            closed=Count("pk"), won=Count("pk", filter=Q(stage=DealStage.WON))
        )
        out["win_rate"]["never_mql"] = {**never, "rate": ratio(never["won"], never["closed"])}
    return out


# --- cost ---------------------------------------------------------------------------------------


def month_range(filters: MetricFilters) -> tuple[date, date]:
    """The first day of the period's first month and of the month after its last."""
    first = filters.start.date().replace(day=1)
    last = (filters.end - timedelta(microseconds=1)).date()
    return first, (last.replace(day=1) + timedelta(days=32)).replace(day=1)


def cost(*, user, filters: MetricFilters, now: datetime) -> dict:
    """Cost per MQL, SQL and won deal per channel and campaign (whole months)."""
    require_all(user, "cost")
    first, after = month_range(filters)
    months = filters.shifted(start=day_start(first), end=day_start(after))
    counted = (
        cohort(user=user, filters=months, team_and_model=False)
        .annotate(channel_key=Lower("source"), campaign_key=Lower("campaign"))
        .values("channel_key", "campaign_key")
        .annotate(
            mqls=Count("pk"),
            sqls=Count("pk", filter=reached_to_date("sql")),
            won=Count("pk", filter=won_deal_after_opening()),
        )
        .order_by()
    )
    spend_qs = CampaignSpend.objects.filter(month__gte=first, month__lt=after)
    if filters.channel:
        spend_qs = spend_qs.filter(channel__iexact=filters.channel)
    if filters.campaign:
        spend_qs = spend_qs.filter(campaign__iexact=filters.campaign)
    spend = (
        spend_qs.annotate(channel_key=Lower("channel"), campaign_key=Lower("campaign"))
        .values("channel_key", "campaign_key")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    rows: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"spend": 0.0, "mqls": 0, "sqls": 0, "won": 0}
    )
    for r in counted:
        row = rows[(r["channel_key"], r["campaign_key"])]
        row.update(mqls=r["mqls"], sqls=r["sqls"], won=r["won"])
    for r in spend:
        rows[(r["channel_key"], r["campaign_key"])]["spend"] = money(r["amount"])

    def with_costs(key: dict, r: dict) -> dict:
        per = {
            f"cost_per_{name}": round(r["spend"] / r[count], 2) if r[count] else None
            for name, count in (("mql", "mqls"), ("sql", "sqls"), ("won_deal", "won"))
        }
        return {**key, **r, **per}

    by_campaign = [
        with_costs({"channel": channel, "campaign": campaign}, r)
        for (channel, campaign), r in sorted(rows.items())
    ]
    channels: dict[str, dict] = defaultdict(lambda: {"spend": 0.0, "mqls": 0, "sqls": 0, "won": 0})
    for (channel, _), r in rows.items():
        for k in ("spend", "mqls", "sqls", "won"):
            channels[channel][k] += r[k]
    by_channel = [with_costs({"channel": c}, r) for c, r in sorted(channels.items())]
    return {
        "months": {"first": first.isoformat(), "last": (after - timedelta(days=1)).isoformat()},
        "by_channel": by_channel,
        "by_campaign": by_campaign,
    }
