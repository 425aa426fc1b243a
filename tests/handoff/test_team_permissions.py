"""Who may change a team: admins create and delete teams and name managers; a manager edits
only the reps of the teams they manage."""

import pytest

from core import roles
from handoff.models import MemberRole, Team, TeamMember
from tests.factories import TeamFactory, TeamMemberFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Field sales")


@pytest.fixture
def other_teams_rep(other_team):
    user = user_with_role(roles.SALES_REP, username="field-rep")
    return TeamMemberFactory(team=other_team, user=user)


def test_a_manager_cannot_make_himself_manager_of_another_team(api_as, team_manager, other_team):
    payload = {"team": other_team.pk, "user": team_manager.pk, "role": "manager"}
    response = api_as(team_manager).post("/api/v1/team-members/", payload)
    assert response.status_code == 400 and "team" in response.json()
    assert not TeamMember.objects.filter(team=other_team, user=team_manager).exists()


def test_a_manager_cannot_name_a_manager_of_his_own_team(api_as, team, team_manager, rep):
    payload = {"team": team.pk, "user": rep.pk, "role": "manager"}
    response = api_as(team_manager).post("/api/v1/team-members/", payload)
    assert response.status_code == 400 and "role" in response.json()
    member = TeamMemberFactory(team=team, user=rep)
    promoted = api_as(team_manager).patch(f"/api/v1/team-members/{member.pk}/", {"role": "manager"})
    assert promoted.status_code == 400 and "role" in promoted.json()
    assert TeamMember.objects.get(pk=member.pk).role == MemberRole.REP


def test_a_manager_neither_creates_nor_changes_nor_deletes_teams(
    api_as, team, team_manager, other_team
):
    client = api_as(team_manager)
    assert client.post("/api/v1/teams/", {"name": "Mine now"}).status_code == 403
    assert client.patch(f"/api/v1/teams/{team.pk}/", {"name": "Renamed"}).status_code == 403
    assert client.delete(f"/api/v1/teams/{other_team.pk}/").status_code == 403
    assert client.delete(f"/api/v1/teams/{team.pk}/").status_code == 403
    assert Team.objects.filter(pk__in=[team.pk, other_team.pk]).count() == 2
    assert client.get("/api/v1/teams/").status_code == 200


def test_admins_create_and_delete_teams_and_name_managers(api_as, admin_user, manager):
    client = api_as(admin_user)
    made = client.post("/api/v1/teams/", {"name": "Enterprise"})
    assert made.status_code == 201
    team_id = made.json()["id"]
    named = client.post(
        "/api/v1/team-members/", {"team": team_id, "user": manager.pk, "role": "manager"}
    )
    assert named.status_code == 201
    assert client.delete(f"/api/v1/teams/{team_id}/").status_code == 204
    assert not Team.objects.filter(pk=team_id).exists()


def test_a_manager_adds_tunes_and_removes_the_reps_of_his_team(api_as, team, team_manager, rep):
    client = api_as(team_manager)
    added = client.post("/api/v1/team-members/", {"team": team.pk, "user": rep.pk})
    assert added.status_code == 201
    url = f"/api/v1/team-members/{added.json()['id']}/"
    tuned = client.patch(url, {"weight": 5, "max_open_mqls": 20, "is_active": False})
    assert tuned.status_code == 200
    member = TeamMember.objects.get(team=team, user=rep)
    assert (member.weight, member.max_open_mqls, member.is_active) == (5, 20, False)
    assert client.delete(url).status_code == 204
    assert not TeamMember.objects.filter(team=team, user=rep).exists()


def test_a_manager_cannot_touch_the_managers_or_other_teams_reps(
    api_as, team, team_manager, other_teams_rep
):
    client = api_as(team_manager)
    other = f"/api/v1/team-members/{other_teams_rep.pk}/"
    assert client.patch(other, {"weight": 9}).status_code == 403
    assert client.delete(other).status_code == 403
    himself = TeamMember.objects.get(team=team, user=team_manager)
    assert client.delete(f"/api/v1/team-members/{himself.pk}/").status_code == 403
    assert TeamMember.objects.get(pk=other_teams_rep.pk).weight == 1


def test_a_manager_cannot_move_a_rep_to_another_team(api_as, team, team_manager, rep, other_team):
    member = TeamMemberFactory(team=team, user=rep)
    response = api_as(team_manager).patch(
        f"/api/v1/team-members/{member.pk}/", {"team": other_team.pk}
    )
    assert response.status_code == 400 and "team" in response.json()
    assert TeamMember.objects.get(pk=member.pk).team_id == team.pk


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"weight": 0}, "weight"),
        ({"weight": 101}, "weight"),
        ({"max_open_mqls": 10001}, "max_open_mqls"),
    ],
)
def test_out_of_bounds_weight_or_cap_is_a_400_naming_the_field(
    api_as, admin_user, team, team_manager, rep, payload, field
):
    for user in (admin_user, team_manager):
        response = api_as(user).post(
            "/api/v1/team-members/", {"team": team.pk, "user": rep.pk, **payload}
        )
        assert response.status_code == 400 and field in response.json()
    member = TeamMemberFactory(team=team, user=rep)
    changed = api_as(team_manager).patch(f"/api/v1/team-members/{member.pk}/", payload)
    assert changed.status_code == 400 and field in changed.json()
