"""Shared set-up of the page tests: a team with two reps and its manager, an outsider manager,
a marketer, an admin, and one open MQL per rep (qualified by a published version's rule)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import roles
from handoff.models import MemberRole, Mql, Team
from handoff.services import mqls_assign, mqls_open
from leads.models import LifecycleStage
from scoring.models import ContactScore, Grade, ModelVersion, ScoringModel
from tests.factories import CompanyFactory, ContactFactory, user_with_role
from tests.handoff.conftest import member
from tests.scoring.conftest import make_spec


def open_mql(*, owner_hint=None, first_name="Ada", company="Acme Robotics", version=None, at=None):
    """A contact at stage mql with a score from `version`, opened and assigned by the services."""
    at = at or timezone.now() - timedelta(hours=1)
    contact = ContactFactory(
        first_name=first_name,
        last_name="Tester",
        job_title="Head of Sales",
        company=CompanyFactory(name=company),
        lifecycle_stage=LifecycleStage.MQL,
        owner=owner_hint,
        source="webinar",
        campaign="spring",
    )
    if version is not None:
        ContactScore.objects.create(
            contact=contact,
            model=version.model,
            model_version=version,
            fit=60,
            engagement=30,
            total=90,
            grade=Grade.A,
            mql_eligible=True,
            breakdown=[{"rule": "r0", "points": 60.0}],
            scored_at=at,
        )
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=at)
    mqls_assign(mql_ids=[mql_id], now=at)
    return Mql.objects.select_related("contact", "owner", "team").get(pk=mql_id)


@pytest.fixture
def version(db):
    model = ScoringModel.objects.create(name="Default")
    spec = make_spec(
        fit_rules=[{"field": "job_title", "operator": "contains", "value": "head", "points": 60}]
    )
    return ModelVersion.objects.create(
        model=model, number=1, definition=spec.to_dict(), published_at=timezone.now()
    )


@pytest.fixture
def people(team, reps, team_manager):
    other = Team.objects.create(name="Enterprise")
    outsider = user_with_role(roles.SALES_MANAGER, username="outsider")
    member(other, outsider, role=MemberRole.MANAGER)
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
