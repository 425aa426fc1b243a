from datetime import UTC, datetime

import pytest

from core import roles
from handoff.models import MemberRole, Team, TeamMember
from tests.factories import user_with_role

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # a Monday


def member(team: Team, user, *, role=MemberRole.REP, **kwargs) -> TeamMember:
    return TeamMember.objects.create(team=team, user=user, role=role, **kwargs)


@pytest.fixture
def team(db):
    return Team.objects.create(name="Inside sales", is_fallback=True)


@pytest.fixture
def reps(team):
    users = [user_with_role(roles.SALES_REP, username=f"rep{i}") for i in (1, 2)]
    for user in users:
        member(team, user)
    return users


@pytest.fixture
def team_manager(team):
    user = user_with_role(roles.SALES_MANAGER, username="boss")
    member(team, user, role=MemberRole.MANAGER)
    return user


from tests.handoff.pages import mqls, people, version  # noqa: E402, F401  (page tests' fixtures)
