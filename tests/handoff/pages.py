"""Shared set-up of the page tests: a team with two reps and its manager, an outsider manager,
a marketer, an admin, and one open MQL per rep (qualified by a published version's rule)."""

import pytest

from core import roles
from handoff.models import MemberRole
from tests.factories import (
    ModelVersionFactory,
    TeamFactory,
    TeamMemberFactory,
    open_mql,
    user_with_role,
)


@pytest.fixture
def version(db):
    """Default v1, published: job title contains 'head' → +60."""
    return ModelVersionFactory(model__name="Default")


@pytest.fixture
def people(team, reps, team_manager):
    other = TeamFactory(name="Enterprise")
    outsider = user_with_role(roles.SALES_MANAGER, username="outsider")
    TeamMemberFactory(team=other, user=outsider, role=MemberRole.MANAGER)
    return {
        "rep": reps[0],
        "other_rep": reps[1],
        "manager": team_manager,
        "outsider": outsider,
        "marketer": user_with_role(roles.MARKETING, username="marketer"),
        "admin": user_with_role(roles.ADMIN, username="admin"),
    }


@pytest.fixture
def mqls(people, version):
    """One open MQL owned by each rep (the contact's owner keeps it)."""
    return {
        "rep": open_mql(owner_hint=people["rep"], first_name="Ada", version=version),
        "other_rep": open_mql(
            owner_hint=people["other_rep"],
            first_name="Grace",
            company="Hopper Ltd",
            version=version,
        ),
    }
