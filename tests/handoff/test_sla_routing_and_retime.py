"""The delivery clock runs on the routed team's policy and calendar; running clocks are
re-timed when a calendar, a policy or the MQL's team changes."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import roles
from handoff.models import (
    Breach,
    ClockChange,
    ClockChangeReason,
    DurationUnit,
    MemberRole,
    Mql,
    Notification,
    SlaClock,
    SlaKind,
    SlaPolicy,
)
from handoff.services import breaches_record, mqls_assign, mqls_open, mqls_reassign
from leads.models import LifecycleStage
from tests.factories import (
    ContactFactory,
    TeamFactory,
    TeamMemberFactory,
    WorkCalendarFactory,
    user_with_role,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
FRIDAY_4PM = datetime(2026, 6, 5, 16, 0, tzinfo=BERLIN)
FRIDAY_2PM = datetime(2026, 6, 5, 14, 0, tzinfo=BERLIN)


@pytest.fixture
def berlin_team(team):
    team.calendar = WorkCalendarFactory(name="Berlin office", time_zone="Europe/Berlin")
    team.save(update_fields=["calendar"])
    return team


def opened(at: datetime) -> Mql:
    contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL)
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=at)
    return Mql.objects.get(pk=mql_id)


def clock(mql: Mql, kind: str) -> SlaClock:
    return SlaClock.objects.get(mql=mql, kind=kind)


def test_the_delivery_clock_uses_the_routed_teams_policy_and_calendar(berlin_team):
    SlaPolicy.objects.create(
        name="Inside sales",
        team=berlin_team,
        delivery_amount=8,
        delivery_unit=DurationUnit.BUSINESS_HOURS,
    )
    mql = opened(FRIDAY_4PM)

    assert mql.routed_team == berlin_team
    delivery = clock(mql, SlaKind.DELIVERY)
    assert delivery.policy.team == berlin_team
    # 1 business hour on Friday in Berlin, 7 on Monday.
    assert delivery.due_at == datetime(2026, 6, 8, 16, 0, tzinfo=BERLIN)


def test_an_mql_nobody_could_take_breaches_to_the_routed_teams_managers(
    berlin_team, team_manager, api_as
):
    SlaPolicy.objects.filter(team=None).update(delivery_amount=1, delivery_unit=DurationUnit.HOURS)
    mql = opened(FRIDAY_4PM)
    assert mqls_assign(mql_ids=[mql.pk], now=FRIDAY_4PM) == 0  # the team has no reps

    assert breaches_record(now=FRIDAY_4PM + timedelta(hours=2)) == 1

    breach = Breach.objects.get()
    assert (breach.kind, breach.breached_team, breach.breached_owner) == (
        SlaKind.DELIVERY,
        berlin_team,
        None,
    )
    assert Notification.objects.filter(
        user=team_manager, message__startswith="SLA breached"
    ).exists()
    listed = api_as(team_manager).get("/api/v1/sla/breaches/").json()["results"]
    assert [b["id"] for b in listed] == [breach.pk]
    # Compliance counts it against the routed team, for that team's managers too.
    period = {"since": "2026-06-01T00:00:00Z", "until": "2026-06-30T00:00:00Z", "group": "team"}
    compliance = api_as(team_manager).get("/api/v1/sla/compliance/", period).json()
    assert [(r["group"], r["clocks"], r["breached"]) for r in compliance] == [
        (berlin_team.name, 1, 1)
    ]


def test_a_calendar_change_moves_running_clocks_and_records_it(
    berlin_team, reps, api_as, admin_user
):
    mql = opened(FRIDAY_4PM)
    mqls_assign(mql_ids=[mql.pk], now=FRIDAY_4PM)
    before = clock(mql, SlaKind.FIRST_TOUCH).due_at  # 2 business days: Tuesday 16:00
    assert before == datetime(2026, 6, 9, 16, 0, tzinfo=BERLIN)

    response = api_as(admin_user).patch(
        f"/api/v1/sla/calendars/{berlin_team.calendar_id}/",
        {"closed_dates": ["2026-06-08"]},
        format="json",
    )

    assert response.status_code == 200
    after = clock(mql, SlaKind.FIRST_TOUCH).due_at
    assert after == datetime(2026, 6, 10, 16, 0, tzinfo=BERLIN)
    change = ClockChange.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH)
    assert (change.old_due_at, change.new_due_at, change.reason) == (
        before,
        after,
        ClockChangeReason.CALENDAR_CHANGED,
    )
    detail = api_as(admin_user).get(f"/api/v1/mqls/{mql.pk}/").json()
    assert detail["routed_team"] == berlin_team.name
    assert [c["reason"] for c in detail["clock_changes"]] == ["calendar_changed"] * 2
    assert Mql.objects.get(pk=mql.pk).next_due_at == min(
        c.due_at for c in SlaClock.objects.filter(mql=mql, stopped_at=None)
    )


def test_a_policy_change_moves_running_clocks(berlin_team, reps, api_as, admin_user):
    mql = opened(FRIDAY_4PM)
    mqls_assign(mql_ids=[mql.pk], now=FRIDAY_4PM)
    default = SlaPolicy.objects.get(team=None, scoring_model=None)

    response = api_as(admin_user).patch(
        f"/api/v1/sla/policies/{default.pk}/", {"first_touch_amount": 1}, format="json"
    )

    assert response.status_code == 200
    assert clock(mql, SlaKind.FIRST_TOUCH).due_at == datetime(2026, 6, 8, 16, 0, tzinfo=BERLIN)
    assert ClockChange.objects.filter(
        mql=mql, kind=SlaKind.FIRST_TOUCH, reason=ClockChangeReason.POLICY_CHANGED
    ).exists()


def test_moving_an_mql_to_another_teams_rep_re_times_it_on_that_team(berlin_team, reps, admin_user):
    mql = opened(FRIDAY_2PM)  # Berlin: first touch due Tuesday 14:00
    mqls_assign(mql_ids=[mql.pk], now=FRIDAY_2PM)
    new_york = TeamFactory(
        name="New York", calendar=WorkCalendarFactory(name="NY", time_zone="America/New_York")
    )
    ny_rep = user_with_role(roles.SALES_REP, username="nyrep")
    TeamMemberFactory(team=new_york, user=ny_rep, role=MemberRole.REP)

    mqls_reassign(mqls=[Mql.objects.get(pk=mql.pk)], owner=ny_rep, by=admin_user, now=FRIDAY_2PM)

    # Started Friday 08:00 in New York, before opening: 2 business days → Tuesday 09:00.
    assert clock(mql, SlaKind.FIRST_TOUCH).due_at == datetime(2026, 6, 9, 9, 0, tzinfo=NEW_YORK)
    assert (
        ClockChange.objects.filter(mql=mql, reason=ClockChangeReason.TEAM_CHANGED).count() == 2
    )  # first touch and decision
