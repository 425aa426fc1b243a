"""Benchmark the SLA breach scan (`handoff.services.breaches_record`) on PostgreSQL.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadbridge_hbench DEBUG=1 \
    .venv/bin/python bench/breach_scan.py --mqls 50000 --due 1000

Makes (once) N contacts with an open, assigned MQL each, spread over 20 reps of one team with a
manager: two running clocks per MQL (first touch, decision), so 2·N open clocks, due over the
next days. Then times the scan at three moments, each in a transaction rolled back afterwards so
every repeat sees the same clocks (vacuumed between repeats, untimed): before anything is due,
when `--due` clocks have run out, and when every clock has.
The timing includes the foreign-key checks that the commit would run (`SET CONSTRAINTS ALL
IMMEDIATE` before the rollback) and the summary query for the emails, not sending them.
Target: the scan over 100,000 open clocks in under a second.
"""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core import roles  # noqa: E402
from handoff.models import (  # noqa: E402
    MemberRole,
    Mql,
    SlaClock,
    SlaPolicy,
    Team,
    TeamMember,
)
from handoff.services import breaches_record  # noqa: E402
from leads.models import Contact  # noqa: E402

TEAM = "Bench team"


def ensure_data(mqls: int, *, reps: int = 20, team_name: str = TEAM) -> list[int]:
    """N open, assigned MQLs (two running clocks each) spread over `reps` reps of one team;
    returns the reps' user ids."""
    User = get_user_model()
    if Mql.objects.filter(team__name=team_name).count() >= mqls:
        return list(
            TeamMember.objects.filter(team__name=team_name, role=MemberRole.REP).values_list(
                "user_id", flat=True
            )
        )
    if Contact.objects.count() < mqls:  # one contact per MQL
        call_command(  # contacts only: the bench opens its own MQLs
            "generate_data", contacts=mqls, events=mqls, seed=7, history=False, stdout=io.StringIO()
        )
    team, _ = Team.objects.get_or_create(name=team_name)
    rep_ids = []
    for i in range(reps):
        user, _ = User.objects.get_or_create(username=f"bench-rep{i}")
        user.groups.add(Group.objects.get(name=roles.SALES_REP))
        TeamMember.objects.get_or_create(team=team, user=user)
        rep_ids.append(user.pk)
    boss, _ = User.objects.get_or_create(username="bench-manager", email="boss@bench.example")
    TeamMember.objects.get_or_create(team=team, user=boss, role=MemberRole.MANAGER)
    policy = SlaPolicy.objects.get(team=None, scoring_model=None)
    now = timezone.now()
    reps_array = "ARRAY[" + ",".join(map(str, rep_ids)) + "]"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {Mql._meta.db_table}
                (contact_id, status, qualified_at, team_id, owner_id, assigned_at, grade,
                 breakdown, source, campaign, touch_campaign)
            SELECT c.id, 'open', %s, %s, ({reps_array})[1 + c.id %% {len(rep_ids)}], %s, 'B', '[]',
                   c.source, c.campaign, ''
            FROM {Contact._meta.db_table} c
            WHERE NOT EXISTS (SELECT 1 FROM {Mql._meta.db_table} m
                              WHERE m.contact_id = c.id AND m.status = 'open')
            ORDER BY c.id LIMIT %s""",
            [now, team.pk, now, mqls],
        )
        for kind, days in (("first_touch", 2), ("decision", 7)):
            # Due spread over the coming days (hash of the id), none overdue yet.
            cursor.execute(
                f"""INSERT INTO {SlaClock._meta.db_table}
                    (mql_id, kind, policy_id, started_at, at_risk_at, due_at)
                SELECT m.id, %s, %s, %s, %s,
                       %s::timestamptz + (1 + m.id %% 5000) * interval '1 minute'
                FROM {Mql._meta.db_table} m
                WHERE m.team_id = %s AND NOT EXISTS (
                    SELECT 1 FROM {SlaClock._meta.db_table} k
                    WHERE k.mql_id = m.id AND k.kind = %s)""",
                [kind, policy.pk, now, now, now + timedelta(days=days), team.pk, kind],
            )
        cursor.execute(f"ANALYZE {SlaClock._meta.db_table}")  # what it just filled
        cursor.execute(  # the queue's order, as handoff.services.clocks._next_due_refresh keeps it
            f"""UPDATE {Mql._meta.db_table} m SET next_due_at = (
                    SELECT min(k.due_at) FROM {SlaClock._meta.db_table} k
                    WHERE k.mql_id = m.id AND k.stopped_at IS NULL)
                WHERE m.team_id = %s""",
            [team.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return rep_ids


def _now_with_due(overdue: int) -> datetime:
    """The scan time at which the first `overdue` open clocks (by due time) have run out."""
    open_clocks = SlaClock.objects.filter(stopped_at__isnull=True, breached_at__isnull=True)
    due = open_clocks.order_by("due_at").values_list("due_at", flat=True)
    if not overdue:
        return due[0] - timedelta(minutes=1)
    return due[min(overdue, open_clocks.count()) - 1]


def timed_scan(*, overdue: int, repeats: int) -> tuple[list[float], int]:
    """Scan at the moment `overdue` open clocks have run out, roll back; the times and the
    breaches recorded. Time moves, not the clocks: nothing is updated before the scan, and the
    tables are vacuumed between repeats (untimed), as if each scan met clocks written long ago."""
    times, found = [], 0
    now = _now_with_due(overdue)
    for _ in range(repeats):
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {SlaClock._meta.db_table}")
        with transaction.atomic():
            start = time.perf_counter()
            found = breaches_record(now=now)
            with connection.cursor() as cursor:
                # The foreign keys are checked at commit: count that work too.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            times.append(time.perf_counter() - start)
            transaction.set_rollback(True)
    return times, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mqls", type=int, default=50_000, help="open MQLs (2 clocks each)")
    parser.add_argument("--due", type=int, default=1_000, help="clocks overdue in the 2nd case")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: set DATABASE_URL.")
    ensure_data(args.mqls)
    open_clocks = SlaClock.objects.filter(stopped_at__isnull=True, breached_at__isnull=True)
    total = open_clocks.count()
    print(f"open clocks: {total:,} ({args.mqls:,} MQLs)")
    for label, overdue in (("nothing due", 0), (f"{args.due:,} due", args.due), ("all due", total)):
        times, found = timed_scan(overdue=overdue, repeats=args.repeats)
        print(
            f"scan, {label:>14}: {found:>7,} breaches recorded, median "
            f"{statistics.median(times) * 1000:8.1f} ms, best {min(times) * 1000:8.1f} ms"
        )


if __name__ == "__main__":
    main()
