"""The MQLs a metric counts, and what became of them: set-based querysets over handoff's MQLs,
leads' stage history and the deals (see definitions.py for the words)."""

from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from handoff.models import Mql, MqlStatus
from insights.metrics.definitions import WINDOWS
from insights.metrics.filters import MetricFilters
from insights.metrics.scope import mql_scope
from insights.models import Deal, DealStage
from leads.models import LifecycleStage, StageChange

# A contact "reached" a funnel stage when it entered that stage or a later one, so the counts
# can never grow down the funnel (a deal can move an MQL straight to opportunity).
REACHED = {
    "sql": [LifecycleStage.SQL, LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER],
    "opportunity": [LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER],
    "customer": [LifecycleStage.CUSTOMER],
}
DECIDED = [MqlStatus.ACCEPTED, MqlStatus.REJECTED]
UNBOUNDED = 2**62  # a LIMIT no cohort reaches


def mqls(*, user, filters: MetricFilters, team_and_model: bool = True) -> QuerySet[Mql]:
    """The MQLs the user may count, narrowed by the filters (any time)."""
    qs = Mql.objects.all()
    scope = mql_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    if team_and_model:
        if filters.model is not None:
            qs = qs.filter(scoring_model=filters.model)
        if filters.version is not None:
            qs = qs.filter(model_version=filters.version)
        if filters.team is not None:
            qs = qs.filter(team=filters.team)
    if filters.channel:
        qs = qs.filter(source__iexact=filters.channel)
    if filters.campaign:
        qs = qs.filter(campaign__iexact=filters.campaign)
    return qs


def cohort(*, user, filters: MetricFilters, team_and_model: bool = True) -> QuerySet[Mql]:
    """The MQLs opened in the period."""
    return mqls(user=user, filters=filters, team_and_model=team_and_model).filter(
        qualified_at__gte=filters.start, qualified_at__lt=filters.end
    )


def _later_mql(at_field: str) -> Exists:
    """The contact's next MQL had opened by `at_field` of the row looked at (that MQL gets the
    credit for what happened from then on)."""
    return Exists(
        Mql.objects.filter(
            contact_id=OuterRef("contact_id"),
            qualified_at__gt=OuterRef(OuterRef("qualified_at")),
            qualified_at__lte=OuterRef(at_field),
        )
    )


def stage_changes(stage: str) -> QuerySet[StageChange]:
    """The MQL's contact entering `stage` (or a later one) after the MQL opened and before the
    contact's next MQL opened. Index scans on stage history (contact, changed_at) and MQLs
    (contact)."""
    return StageChange.objects.filter(
        contact_id=OuterRef("contact_id"),
        to_stage__in=REACHED[stage],
        changed_at__gte=OuterRef("qualified_at"),
    ).exclude(_later_mql("changed_at"))


def reached_at(stage: str) -> Subquery:
    """When the MQL's contact first reached `stage` (see stage_changes)."""
    return Subquery(stage_changes(stage).order_by("changed_at").values("changed_at")[:1])


def reached_to_date(stage: str) -> Exists:
    """The MQL's contact reached `stage` (or later) at any time so far (see stage_changes)."""
    return Exists(stage_changes(stage))


def won_deals() -> QuerySet[Deal]:
    """Won deals of the MQL's contact created once the MQL had opened, before its next MQL."""
    return Deal.objects.filter(
        contact_id=OuterRef("contact_id"),
        stage=DealStage.WON,
        created_at__gte=OuterRef("qualified_at"),
    ).exclude(_later_mql("created_at"))


def after_opening(expression) -> ExpressionWrapper:
    """The time from the MQL opening to `expression` (a datetime)."""
    return ExpressionWrapper(expression - F("qualified_at"), output_field=DurationField())


def won_deal_after_opening() -> Exists:
    """The MQL's contact has a won deal created once the MQL had opened (see won_deals)."""
    return Exists(won_deals())


def funnel_counts(qs: QuerySet[Mql], *, now: datetime) -> dict:
    """Counts of a cohort down the funnel, within each window and to date, in one statement.

    Within N days only MQLs at least N days old count (`matured_N`), so a young cohort does not
    look worse than it is; the rates are computed by `funnel_rates`."""
    qs = qs.annotate(
        opened=F("qualified_at"),
        state=F("status"),
        sql_after=after_opening(reached_at("sql")),
        opportunity_after=after_opening(reached_at("opportunity")),
        customer_after=after_opening(reached_at("customer")),
        decided_after=after_opening(F("decided_at")),
    )
    aggregates = {
        "mqls": Count("pk"),
        "decided": Count("pk", filter=Q(state__in=DECIDED)),
        "accepted": Count("pk", filter=Q(state=MqlStatus.ACCEPTED)),
        "sql": Count("pk", filter=Q(sql_after__isnull=False)),
        "opportunity": Count("pk", filter=Q(opportunity_after__isnull=False)),
        "customer": Count("pk", filter=Q(customer_after__isnull=False)),
    }
    for days in WINDOWS:
        window = timedelta(days=days)
        matured = Q(opened__lte=now - window)
        aggregates[f"matured_{days}"] = Count("pk", filter=matured)
        aggregates[f"decided_{days}"] = Count(
            "pk", filter=matured & Q(state__in=DECIDED, decided_after__lte=window)
        )
        aggregates[f"accepted_{days}"] = Count(
            "pk", filter=matured & Q(state=MqlStatus.ACCEPTED, decided_after__lte=window)
        )
        for stage in REACHED:
            aggregates[f"{stage}_{days}"] = Count(
                "pk", filter=matured & Q(**{f"{stage}_after__lte": window})
            )
    # Sliced, the cohort is a derived table the aggregates read: unsliced, PostgreSQL pulls it
    # up and runs each stage's subquery once per FILTER that mentions it (a LIMIT keeps it whole).
    return qs[:UNBOUNDED].aggregate(**aggregates)


def ratio(numerator, denominator) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def funnel_rates(counts: dict) -> dict:
    """The cohort rates from funnel_counts: per window, and to date (unsettled)."""
    out = {}
    for suffix in [f"_{days}" for days in WINDOWS] + [""]:
        matured = counts[f"matured{suffix}"] if suffix else counts["mqls"]
        out[suffix.strip("_") or "to_date"] = {
            "mqls": matured,
            "decided": counts[f"decided{suffix}"],
            "accepted": counts[f"accepted{suffix}"],
            "sql": counts[f"sql{suffix}"],
            "opportunity": counts[f"opportunity{suffix}"],
            "customer": counts[f"customer{suffix}"],
            "acceptance_rate": ratio(counts[f"accepted{suffix}"], counts[f"decided{suffix}"]),
            "mql_to_sql": ratio(counts[f"sql{suffix}"], matured),
            "sql_to_opportunity": ratio(counts[f"opportunity{suffix}"], counts[f"sql{suffix}"]),
            "opportunity_to_won": ratio(
                counts[f"customer{suffix}"], counts[f"opportunity{suffix}"]
            ),
            "mql_to_customer": ratio(counts[f"customer{suffix}"], matured),
        }
    return out
