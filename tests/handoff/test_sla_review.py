"""SLA policies within bounds, at-risk notices, waived breaches."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection

from core.exceptions import ForbiddenError
from handoff.business_time import BusinessCalendar
from handoff.models import (
    Breach,
    DurationUnit,
    Mql,
    Notification,
    SlaClock,
    SlaKind,
    SlaPolicy,
)
from handoff.services import (
    breach_waive,
    breaches_record,
    clock_times,
    mql_touch,
    mqls_assign,
    mqls_open,
)
from handoff.tasks import sla_scan
from leads.models import LifecycleStage
from leads.services import stage_change
from tests.factories import ContactFactory

MONDAY = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
POLICIES = "/api/v1/sla/policies/"


def test_a_policy_beyond_365_days_is_refused_naming_the_field(api_as, admin_user, team):
    payload = {
        "name": "Forever",
        "team": team.pk,
        "delivery_amount": 24,
        "delivery_unit": DurationUnit.HOURS,
        "first_touch_amount": 2,
        "first_touch_unit": DurationUnit.BUSINESS_DAYS,
        "decision_amount": 2_000_000_000,
        "decision_unit": DurationUnit.BUSINESS_DAYS,
        "at_risk_share": 0.5,
    }
    response = api_as(admin_user).post(POLICIES, payload, format="json")

    assert response.status_code == 400
    assert "decision_amount" in response.json()
    # 366 business days is refused, 365 is fine.
    payload["decision_amount"] = 366
    assert api_as(admin_user).post(POLICIES, payload, format="json").status_code == 400
    payload["decision_amount"] = 365
    assert api_as(admin_user).post(POLICIES, payload, format="json").status_code == 201


def test_the_database_refuses_a_policy_beyond_365_days(db):
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SlaPolicy._meta.db_table} SET decision_amount = 2000000000,"
            " decision_unit = 'business_days'"
        )


def test_an_out_of_range_target_is_capped_instead_of_overflowing():
    policy = SlaPolicy(
        delivery_amount=2_000_000_000, delivery_unit=DurationUnit.BUSINESS_DAYS, at_risk_share=0.5
    )
    at_risk, due = clock_times(
        policy=policy, kind=SlaKind.DELIVERY, start=MONDAY, calendar=BusinessCalendar.weekly()
    )
    assert MONDAY < at_risk < due <= MONDAY + timedelta(days=2 * 365)


def test_a_calendar_overflow_falls_back_to_365_days():
    # 365 business days from here run past the year 9999; 365 real days do not.
    policy = SlaPolicy(delivery_amount=365, delivery_unit=DurationUnit.BUSINESS_DAYS)
    start = datetime(9998, 11, 2, 10, 0, tzinfo=UTC)
    at_risk, due = clock_times(
        policy=policy, kind=SlaKind.DELIVERY, start=start, calendar=BusinessCalendar.weekly()
    )
    assert due == start + timedelta(days=365)


@pytest.mark.django_db
def test_an_out_of_range_stored_policy_does_not_break_moving_a_contact_to_mql(team, reps):
    # The bounds' constraint is lifted, as for a row stored before it existed.
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {SlaPolicy._meta.db_table}"
            " DROP CONSTRAINT slapolicy_delivery_within_a_year"
        )
        cursor.execute(
            f"UPDATE {SlaPolicy._meta.db_table} SET delivery_amount = 2000000000,"
            " delivery_unit = 'business_days'"
        )
    contact = ContactFactory(lifecycle_stage=LifecycleStage.LEAD)

    stage_change(
        contact=contact, to_stage=LifecycleStage.MQL, reason="Scored", system="test", now=MONDAY
    )

    mql = Mql.objects.get(contact=contact)
    delivery = SlaClock.objects.get(mql=mql, kind=SlaKind.DELIVERY)
    assert delivery.due_at <= MONDAY + timedelta(days=2 * 365)


def assigned_mql(at: datetime) -> Mql:
    contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL)
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=at)
    mqls_assign(mql_ids=[mql_id], now=at)
    return Mql.objects.select_related("owner").get(pk=mql_id)


def test_the_owner_hears_once_when_a_clock_turns_at_risk(team, reps):
    mql = assigned_mql(MONDAY)
    first_touch = SlaClock.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH)

    with time_machine.travel(first_touch.at_risk_at - timedelta(minutes=1), tick=False):
        sla_scan()
    assert not Notification.objects.filter(message__startswith="SLA at risk").exists()

    with time_machine.travel(first_touch.at_risk_at + timedelta(minutes=1), tick=False):
        sla_scan()
        sla_scan()  # a second scan (or a second scheduler) tells nobody again

    [notice] = Notification.objects.filter(message__startswith="SLA at risk")
    assert notice.user == mql.owner and notice.mql == mql
    assert "First touch" in notice.message
    first_touch.refresh_from_db()
    assert first_touch.at_risk_notified_at == first_touch.at_risk_at + timedelta(minutes=1)


@pytest.fixture
def breach(team, reps, team_manager):
    mql = assigned_mql(MONDAY)
    due = SlaClock.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH).due_at
    assert breaches_record(now=due + timedelta(seconds=1)) == 1
    return Breach.objects.get()


def test_a_manager_of_the_team_waives_a_breach_with_a_reason(breach, team_manager, api_as):
    url = f"/api/v1/sla/breaches/{breach.pk}/waive/"
    client = api_as(team_manager)

    assert client.post(url, {"reason": " "}, format="json").json().keys() == {"reason"}
    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        response = client.post(url, {"reason": "Contact asked to wait"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["waived_by"]["id"] == team_manager.pk
    assert body["waiver_reason"] == "Contact asked to wait"
    assert client.post(url, {"reason": "again"}, format="json").status_code == 409


def test_only_the_teams_managers_and_admins_may_waive(breach, people, api_as):
    url = f"/api/v1/sla/breaches/{breach.pk}/waive/"
    payload = {"reason": "no"}
    assert api_as(breach.breached_owner).post(url, payload, format="json").status_code == 403
    assert api_as(people["outsider"]).post(url, payload, format="json").status_code == 404
    with pytest.raises(ForbiddenError):
        breach_waive(breach=breach, by=people["outsider"], reason="not mine")
    assert api_as(people["admin"]).post(url, payload, format="json").status_code == 200


def test_waived_breaches_are_listed_apart_and_left_out_of_compliance(breach, team_manager, api_as):
    client = api_as(team_manager)
    since = "2026-05-01T00:00:00Z"
    before = client.get(f"/api/v1/sla/compliance/?group=team&since={since}").json()
    assert [row["breached"] for row in before] == [1]

    breach_waive(breach=breach, by=team_manager, reason="Holiday mix-up")

    assert client.get("/api/v1/sla/breaches/").json()["results"] == []
    waived = client.get("/api/v1/sla/breaches/?waived=true").json()["results"]
    assert [b["id"] for b in waived] == [breach.pk]
    after = client.get(f"/api/v1/sla/compliance/?group=team&since={since}").json()
    assert [row["breached"] for row in after] == [0]


def test_a_breach_done_late_counts_once_in_the_week_it_breached(breach, team_manager, api_as):
    # Done a week after it breached: the clock ended when it breached, not when it stopped.
    mql_touch(mql=breach.mql, by=breach.breached_owner, kind="call", now=MONDAY + timedelta(days=8))
    client = api_as(team_manager)

    def breached(since: str, until: str) -> list[int]:
        url = f"/api/v1/sla/compliance/?group=team&since={since}&until={until}"
        return [row["breached"] for row in client.get(url).json()]

    assert breached("2026-06-01T00:00:00Z", "2026-06-08T00:00:00Z") == [1]
    assert breached("2026-06-08T00:00:00Z", "2026-06-15T00:00:00Z") == []


def test_the_breaches_page_waives_with_htmx_and_exports_the_waiver(breach, team_manager, client):
    client.force_login(team_manager)
    page = client.get("/sla/breaches/").content.decode()
    assert 'class="inline-waive"' in page and 'id="waived-tab"' in page

    response = client.post(
        f"/sla/breaches/{breach.pk}/waive/", {"reason": "Duplicate lead"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert f'id="breach-{breach.pk}"' in response.content.decode()
    assert "Duplicate lead" in client.get("/sla/breaches/?waived=true").content.decode()
    export = client.get("/sla/breaches/export.csv?waived=true").content.decode()
    [row] = list(csv.DictReader(io.StringIO(export)))
    assert (row["waived_by"], row["waiver_reason"]) == (team_manager.username, "Duplicate lead")
    assert row["waived_at"]


def test_the_policy_help_gives_the_rule_for_a_weekend_start():
    saturday = datetime(2026, 6, 6, 11, 0, tzinfo=UTC)
    calendar = BusinessCalendar.weekly()
    help_text = SlaPolicy._meta.get_field("first_touch_amount").help_text

    assert calendar.add_days(saturday, 2) == datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    assert "2 business days from Saturday are Wednesday 09:00" in help_text
    assert calendar.add(saturday, timedelta(hours=16)) == datetime(2026, 6, 9, 17, 0, tzinfo=UTC)
    assert "16 business hours from Saturday are Tuesday 17:00" in help_text
