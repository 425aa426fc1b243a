"""The handoff API, endpoint by endpoint and role by role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import roles
from feedback.models import Decision
from handoff.models import Breach, Mql, MqlStatus, Notification, Team, TeamMember
from handoff.services import breaches_record, mqls_assign, mqls_open
from leads.models import LifecycleStage
from tests.factories import (
    ActivityEventFactory,
    ContactFactory,
    MqlFactory,
    TeamFactory,
    user_with_role,
)


@pytest.fixture
def mql(team, reps):
    contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL, source="ads", campaign="spring")
    ActivityEventFactory(contact=contact)
    [mql_id] = mqls_open(contact_ids=[contact.pk])
    mqls_assign(mql_ids=[mql_id])
    mql = Mql.objects.select_related("owner").get(pk=mql_id)
    Mql.objects.filter(pk=mql_id).update(breakdown=[{"rule": "r1", "points": 30.0}])
    return mql


@pytest.fixture
def owner(mql):
    return mql.owner


@pytest.fixture
def other_rep_in_team(mql, reps):
    return next(r for r in reps if r != mql.owner)


@pytest.fixture
def outsider_manager(db):
    return user_with_role(roles.SALES_MANAGER, username="elsewhere")


def url(mql, action=""):
    return f"/api/v1/mqls/{mql.pk}/{action + '/' if action else ''}"


# --- the queue ----------------------------------------------------------------------------------


def test_a_rep_sees_their_open_mqls_with_clocks_reasons_and_activity(api_as, mql, owner):
    body = api_as(owner).get("/api/v1/queue/").json()
    [row] = body["results"]
    assert row["id"] == mql.pk
    assert row["why"] == [{"rule": "r1", "points": 30.0}]
    assert {c["kind"] for c in row["clocks"]} == {"first_touch", "decision"}
    assert {c["state"] for c in row["clocks"]} == {"on_track"}
    assert row["recent_activity"][0]["url"] == "/pricing"


def test_the_queue_shows_nothing_of_other_reps_or_other_teams(
    api_as, mql, other_rep_in_team, outsider_manager
):
    assert api_as(other_rep_in_team).get("/api/v1/queue/").json()["results"] == []
    assert api_as(outsider_manager).get("/api/v1/queue/").json()["results"] == []


def test_a_manager_sees_the_teams_queue_and_narrows_it_by_owner(
    api_as, mql, team_manager, other_rep_in_team
):
    client = api_as(team_manager)
    assert [r["id"] for r in client.get("/api/v1/queue/").json()["results"]] == [mql.pk]
    narrowed = client.get(f"/api/v1/queue/?owner={other_rep_in_team.pk}").json()
    assert narrowed["results"] == []


def test_marketing_and_anonymous_users_have_no_queue(api, api_as, marketer, mql):
    assert api_as(marketer).get("/api/v1/queue/").status_code == 403
    assert api.get("/api/v1/queue/").status_code in (401, 403)


def test_queue_filters_by_sla_state(api_as, mql, owner):
    client = api_as(owner)
    assert len(client.get("/api/v1/queue/?sla=on_track").json()["results"]) == 1
    assert client.get("/api/v1/queue/?sla=breached").json()["results"] == []
    assert client.get("/api/v1/queue/?sla=sideways").status_code == 400


# --- actions ------------------------------------------------------------------------------------


def test_accepting_makes_an_sql_and_a_second_decision_is_409(api_as, mql, owner):
    client = api_as(owner)
    response = client.post(url(mql, "accept"), {"note": "Booked"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "accept"
    mql.contact.refresh_from_db()
    assert mql.contact.lifecycle_stage == LifecycleStage.SQL
    again = client.post(url(mql, "reject"), {"reason": "no_need", "disposition": "nurture"})
    assert again.status_code == 409
    assert Decision.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"disposition": "nurture"}, "reason"),
        ({"reason": "astrology", "disposition": "nurture"}, "reason"),
        ({"reason": "no_need", "disposition": "later"}, "disposition"),
        ({"reason": "no_need"}, "disposition"),
    ],
)
def test_a_bad_rejection_is_a_400_naming_the_field(api_as, mql, owner, payload, field):
    response = api_as(owner).post(url(mql, "reject"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Mql.objects.get(pk=mql.pk).status == MqlStatus.OPEN


def test_rejecting_recycles_the_contact(api_as, mql, owner):
    payload = {"reason": "bad_timing", "comment": "Q3", "disposition": "nurture"}
    assert api_as(owner).post(url(mql, "reject"), payload, format="json").status_code == 200
    mql.contact.refresh_from_db()
    assert mql.contact.lifecycle_stage == LifecycleStage.NURTURE


def test_nobody_acts_on_an_mql_they_cannot_see(
    api_as, mql, other_rep_in_team, outsider_manager, marketer
):
    for user in (other_rep_in_team, outsider_manager, marketer):
        client = api_as(user)
        assert client.post(url(mql, "accept"), {}).status_code == 404
        assert client.post(url(mql, "touch"), {"kind": "call"}).status_code == 404
    assert api_as(other_rep_in_team).get(url(mql)).status_code == 404
    assert api_as(marketer).get(url(mql)).status_code == 403  # no queue at all
    assert Mql.objects.get(pk=mql.pk).status == MqlStatus.OPEN


def test_logging_a_touch(api_as, mql, owner):
    client = api_as(owner)
    assert client.post(url(mql, "touch"), {"kind": "call", "note": "Hi"}).status_code == 201
    assert Mql.objects.get(pk=mql.pk).first_touch_at is not None
    bad = client.post(url(mql, "touch"), {"kind": "pigeon"})
    assert bad.status_code == 400 and "kind" in bad.json()


def test_reassigning_needs_a_manager_of_the_team(
    api_as, mql, owner, team_manager, other_rep_in_team
):
    payload = {"owner": other_rep_in_team.pk}
    assert api_as(owner).post(url(mql, "reassign"), payload).status_code == 403
    response = api_as(team_manager).post(url(mql, "reassign"), payload)
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == other_rep_in_team.pk
    stranger = user_with_role(roles.SALES_REP, username="stranger")
    refused = api_as(team_manager).post(url(mql, "reassign"), {"owner": stranger.pk})
    assert refused.status_code == 400 and "owner" in refused.json()


def test_bulk_reassign_is_all_or_nothing(api_as, mql, team_manager, other_rep_in_team):
    foreign = MqlFactory()  # no team: outside the manager's
    payload = {"mqls": [mql.pk, foreign.pk], "owner": other_rep_in_team.pk}
    response = api_as(team_manager).post("/api/v1/mqls/reassign/", payload, format="json")
    assert response.status_code == 400 and "mqls" in response.json()
    assert Mql.objects.get(pk=mql.pk).owner != other_rep_in_team
    payload["mqls"] = [mql.pk]
    moved = api_as(team_manager).post("/api/v1/mqls/reassign/", payload, format="json")
    assert moved.status_code == 200
    assert Mql.objects.get(pk=mql.pk).owner == other_rep_in_team


# --- feedback -----------------------------------------------------------------------------------


def test_marketing_reads_the_feedback_with_filters_and_counts(api_as, mql, owner, marketer):
    api_as(owner).post(
        url(mql, "reject"), {"reason": "no_budget", "disposition": "nurture"}, format="json"
    )
    client = api_as(marketer)
    [row] = client.get("/api/v1/feedback/?reason=no_budget&rule=r1").json()["results"]
    assert (row["reason"], row["rep"], row["source"]) == ("no_budget", owner.username, "ads")
    assert client.get("/api/v1/feedback/?rule=r2").json()["results"] == []
    assert client.get("/api/v1/feedback/?reason=no_need").json()["results"] == []
    summary = client.get("/api/v1/feedback/summary/").json()
    assert (summary["accepted"], summary["rejected"]) == (0, 1)
    counts = {r["code"]: r["count"] for r in summary["reasons"]}
    assert counts["no_budget"] == 1 and counts["no_need"] == 0


def test_reps_do_not_read_the_feedback_inbox(api_as, owner):
    assert api_as(owner).get("/api/v1/feedback/").status_code == 403


# --- SLA ----------------------------------------------------------------------------------------


@pytest.fixture
def breach(mql):
    assert breaches_record(now=timezone.now() + timedelta(days=30)) >= 1
    return Breach.objects.order_by("pk").first()


def test_breaches_are_seen_by_their_rep_and_team_managers_only(
    api_as, breach, owner, team_manager, other_rep_in_team, outsider_manager
):
    def ids(user):
        return [b["id"] for b in api_as(user).get("/api/v1/sla/breaches/").json()["results"]]

    assert breach.pk in ids(owner)
    assert breach.pk in ids(team_manager)
    assert ids(other_rep_in_team) == [] and ids(outsider_manager) == []


def test_a_manager_acknowledges_a_breach_once(api_as, breach, owner, team_manager):
    ack = f"/api/v1/sla/breaches/{breach.pk}/acknowledge/"
    assert api_as(owner).post(ack, {"note": "sorry"}).status_code == 403
    assert api_as(team_manager).post(ack, {"note": ""}).status_code == 400
    assert api_as(team_manager).post(ack, {"note": "Talked to rep"}).status_code == 200
    assert api_as(team_manager).post(ack, {"note": "again"}).status_code == 409
    assert Breach.objects.get(pk=breach.pk).acknowledgement == "Talked to rep"
    unacked = api_as(team_manager).get("/api/v1/sla/breaches/?acknowledged=false").json()
    assert breach.pk not in [b["id"] for b in unacked["results"]]


def test_compliance_counts_met_and_breached_clocks(api_as, breach, team_manager):
    until = (timezone.now() + timedelta(days=31)).isoformat()
    rows = api_as(team_manager).get("/api/v1/sla/compliance/", {"group": "rep", "until": until})
    [row] = rows.json()
    assert row["breached"] >= 1 and row["clocks"] == row["met"] + row["breached"]
    bad = api_as(team_manager).get("/api/v1/sla/compliance/?group=planet")
    assert bad.status_code == 400 and "group" in bad.json()


# --- configuration ------------------------------------------------------------------------------


def test_managers_edit_routing_rules_and_bad_conditions_name_the_field(
    api_as, team, team_manager, rep
):
    rule = {
        "name": "Germany",
        "team": team.pk,
        "conditions": [{"field": "country", "operator": "equals", "value": "DE"}],
    }
    assert api_as(rep).post("/api/v1/routing-rules/", rule, format="json").status_code == 403
    created = api_as(team_manager).post("/api/v1/routing-rules/", rule, format="json")
    assert created.status_code == 201, created.json()
    rule["conditions"] = [{"field": "shoe_size", "operator": "equals", "value": "9"}]
    bad = api_as(team_manager).post("/api/v1/routing-rules/", rule, format="json")
    assert bad.status_code == 400
    assert "conditions[0].field" in str(bad.json()["conditions"])


@pytest.mark.parametrize("item", [None, 1, "country", ["country"]])
def test_a_routing_condition_that_is_not_an_object_is_a_400(api_as, team, team_manager, item):
    rule = {"name": "Odd", "team": team.pk, "conditions": [item]}
    bad = api_as(team_manager).post("/api/v1/routing-rules/", rule, format="json")
    assert bad.status_code == 400
    assert "conditions[0]" in str(bad.json()["conditions"])


def test_sla_policies_and_calendars_are_for_admins(api_as, team_manager, admin_user):
    policy = {"name": "Fast", "delivery_amount": 30, "delivery_unit": "minutes"}
    assert api_as(team_manager).post("/api/v1/sla/policies/", policy).status_code == 403
    # The default policy already covers no team and no model.
    dup = api_as(admin_user).post("/api/v1/sla/policies/", policy)
    assert dup.status_code == 400 and "team" in dup.json()
    team = TeamFactory(name="Enterprise")
    created = api_as(admin_user).post("/api/v1/sla/policies/", {**policy, "team": team.pk})
    assert created.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"hours": {"0": [["nine", "five"]]}}, "hours"),
        ({"hours": {"9": [[540, 1020]]}}, "hours"),
        ({"hours": "weekdays"}, "hours"),
        ({"country": "XX"}, "country"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates"),
    ],
)
def test_a_bad_calendar_is_a_400_naming_the_field(api_as, admin_user, payload, field):
    response = api_as(admin_user).post(
        "/api/v1/sla/calendars/", {"name": "Office", **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_a_team_in_use_cannot_be_deleted(api_as, mql, admin_user):
    response = api_as(admin_user).delete(f"/api/v1/teams/{mql.team_id}/")
    assert response.status_code == 409
    assert Team.objects.filter(pk=mql.team_id).exists()


def test_only_one_fallback_team(api_as, team, admin_user):
    response = api_as(admin_user).post("/api/v1/teams/", {"name": "B", "is_fallback": True})
    assert response.status_code == 400 and "is_fallback" in response.json()


def test_reps_read_reject_reasons_and_only_admins_edit_them(api_as, rep, admin_user):
    assert len(api_as(rep).get("/api/v1/reject-reasons/").json()["results"]) == 10
    assert (
        api_as(rep).post("/api/v1/reject-reasons/", {"code": "x", "label": "X"}).status_code == 403
    )
    made = api_as(admin_user).post("/api/v1/reject-reasons/", {"code": "x", "label": "X"})
    assert made.status_code == 201


def test_reps_manage_their_own_out_of_office_only(api_as, reps):
    first, second = reps
    period = {"starts_on": "2026-12-24", "ends_on": "2026-12-31"}
    made = api_as(first).post("/api/v1/out-of-office/", period)
    assert made.status_code == 201 and made.json()["user"] == first.pk
    assert api_as(second).get("/api/v1/out-of-office/").json()["results"] == []
    assert api_as(second).delete(f"/api/v1/out-of-office/{made.json()['id']}/").status_code == 404
    backwards = api_as(first).post(
        "/api/v1/out-of-office/", {"starts_on": "2026-12-24", "ends_on": "2026-12-01"}
    )
    assert backwards.status_code == 400 and "ends_on" in backwards.json()


def test_team_members_are_edited_by_managers(api_as, team, team_manager, rep):
    payload = {"team": team.pk, "user": rep.pk, "weight": 3}
    assert api_as(rep).post("/api/v1/team-members/", payload).status_code == 403
    assert api_as(team_manager).post("/api/v1/team-members/", payload).status_code == 201
    assert TeamMember.objects.get(team=team, user=rep).weight == 3


# --- notifications ------------------------------------------------------------------------------


def test_notifications_are_your_own_and_can_be_marked_read(api_as, mql, owner, other_rep_in_team):
    mine = api_as(owner).get("/api/v1/notifications/?unread=true").json()["results"]
    assert mine and all(n["mql"] == mql.pk for n in mine)
    assert api_as(other_rep_in_team).get("/api/v1/notifications/").json()["results"] == []
    assert api_as(owner).post("/api/v1/notifications/read/", {}, format="json").json()["marked"]
    assert not Notification.objects.filter(user=owner, read_at__isnull=True).exists()
