"""Writing a generated history: the contacts' changes, the touch campaigns, campaign spend, and
the columns each table is written with (COPY on PostgreSQL, executemany on SQLite)."""

import random
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Left, TruncMonth

from handoff.models import Mql
from insights.generate.vocabulary import COST_PER_LEAD, PLANTED, PLANTED_CAMPAIGN_COST_PER_LEAD
from insights.models import CampaignSpend
from leads.generate.writing import Clock, is_postgres, write_rows
from leads.models import ActivityEvent, Contact


def epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def moment(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)


def clean(value: str) -> str:
    """Text for COPY's text format: no tab, newline or backslash."""
    return value.replace("\\", "/").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def contacts_update(rows: list[tuple]) -> None:
    """Each MQL's contact: owned by its rep (as assignment does), and its planted title or
    campaign. One UPDATE from a temporary table on PostgreSQL."""
    if not rows:
        return
    table = Contact._meta.db_table
    columns = ("id", "owner_id", "job_title", "seniority", "department", "source", "campaign")
    rows = [(r[0], r[1], *(clean(v or "") for v in r[2:])) for r in rows]
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "CREATE TEMP TABLE insights_history_contact (id bigint, owner_id integer,"
                " job_title text, seniority text, department text, source text, campaign text)"
            )
            write_rows("insights_history_contact", columns, rows)
            sets = ", ".join(f"{c} = t.{c}" for c in columns[1:])
            cursor.execute(
                f"UPDATE {table} c SET {sets} FROM insights_history_contact t WHERE c.id = t.id"
            )
            cursor.execute("DROP TABLE insights_history_contact")
        else:
            sets = ", ".join(f"{c} = %s" for c in columns[1:])
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s", [(*r[1:], r[0]) for r in rows]
            )


def touch_campaigns_set(first_id: int, last_id: int) -> None:
    """Each new MQL's touch campaign: that of the contact's latest campaign-tagged event before
    it opened (as handoff does when an MQL opens), one UPDATE for the chunk."""
    latest = (
        ActivityEvent.objects.filter(
            contact_id=OuterRef("contact_id"), occurred_at__lte=OuterRef("qualified_at")
        )
        .filter(properties__has_key="campaign")
        .exclude(properties__campaign="")
        .order_by("-occurred_at", "-id")
        .values(value=KT("properties__campaign"))[:1]
    )
    Mql.objects.filter(pk__range=(first_id, last_id)).update(
        touch_campaign=Left(Coalesce(Subquery(latest), Value("")), 200)
    )


def spend_write(*, clock: Clock, lo: int, hi: int, start: int, seed: int) -> int:
    """Spend per campaign, channel and month: the leads the run's contacts brought in that
    month, at the channel's cost per lead (the planted campaign's is high), added to what the
    table holds for that month."""
    rng = random.Random(seed * 31 + 7)
    rows = (
        Contact.objects.filter(pk__range=(lo, hi), created_at__gte=moment(start))
        .exclude(campaign="")
        .annotate(month=TruncMonth("created_at"))
        .values("campaign", "source", "month")
        .annotate(leads=Count("pk"))
        .order_by("month", "campaign", "source")
    )
    values = []
    for row in rows:
        cost = (
            PLANTED_CAMPAIGN_COST_PER_LEAD
            if row["campaign"] == PLANTED["campaign"]
            else COST_PER_LEAD.get(row["source"], 20.0)
        )
        amount = round(row["leads"] * cost * rng.uniform(0.8, 1.2), 2)
        month = row["month"]
        values.append(
            (
                row["campaign"],
                row["source"],
                f"{month:%Y-%m}-01",
                f"{amount:.2f}",
                clock.text(0),
            )
        )
    if not values:
        return 0
    table = CampaignSpend._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (campaign, channel, month, amount, updated_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (campaign, channel, month)"
            f" DO UPDATE SET amount = {table}.amount + excluded.amount",
            values,
        )
    return len(values)


MQL_COLUMNS = (
    "id",
    "contact_id",
    "status",
    "qualified_at",
    "team_id",
    "routed_team_id",
    "owner_id",
    "assigned_at",
    "first_touch_at",
    "decided_at",
    "next_due_at",
    "scoring_model_id",
    "model_version_id",
    "fit",
    "engagement",
    "total",
    "grade",
    "breakdown",
    "source",
    "campaign",
    "touch_campaign",
)
ASSIGNMENT_COLUMNS = (
    "mql_id",
    "team_id",
    "owner_id",
    "previous_owner_id",
    "how",
    "rule_id",
    "rule_name",
    "by_id",
    "at",
    "note",
)
TOUCH_COLUMNS = ("mql_id", "kind", "note", "by_id", "at")
DECISION_COLUMNS = (
    "mql_id",
    "outcome",
    "reason_id",
    "comment",
    "disposition",
    "by_id",
    "decided_at",
    "time_to_decision",
    "team_id",
    "source",
    "campaign",
    "scoring_model_id",
    "model_version_id",
    "rule_keys",
    "snapshot",
)
DEAL_COLUMNS = (
    "contact_id",
    "company_id",
    "name",
    "amount",
    "currency",
    "stage",
    "created_at",
    "closed_at",
    "lost_reason",
    "source",
    "external_id",
    "recorded_at",
    "updated_at",
)
CLOCK_COLUMNS = (
    "id",
    "mql_id",
    "kind",
    "policy_id",
    "started_at",
    "at_risk_at",
    "due_at",
    "stopped_at",
    "breached_at",
    "breached_team_id",
    "breached_owner_id",
)
