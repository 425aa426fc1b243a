from datetime import UTC, datetime

import pytest

from core import roles
from handoff.models import MemberRole
from tests.factories import TeamFactory, TeamMemberFactory, user_with_role

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def team(db):
    return TeamFactory(name="Inside sales", is_fallback=True)


@pytest.fixture
def reps(team):
    users = [user_with_role(roles.SALES_REP, username=f"rep{i}") for i in (1, 2)]
    for user in users:
        TeamMemberFactory(team=team, user=user)
    return users


@pytest.fixture
def team_manager(team):
    user = user_with_role(roles.SALES_MANAGER, username="boss")
    TeamMemberFactory(team=team, user=user, role=MemberRole.MANAGER)
    return user


from tests.handoff.pages import mqls, people, version  # noqa: E402, F401  (page tests' fixtures)
