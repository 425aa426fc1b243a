"""Test data: a factory_boy factory for every model the tests build, and the helpers that build
through a service where that service is the one writer (a published scoring model, an open MQL).

Rows the migrations create (role groups, reject reasons, the default SLA policy, the beat
schedules) are there in every test: read them, do not build them. Decisions, touches, breaches,
notifications and stage changes are made by the services the tests call.
"""

from datetime import datetime, timedelta

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from core import roles
from handoff.models import (
    MemberRole,
    Mql,
    OutOfOffice,
    RoutingRule,
    Team,
    TeamMember,
    WorkCalendar,
)
from handoff.services import mqls_assign, mqls_open
from leads.models import ActivityEvent, Company, Contact, EventType, ImportJob, LifecycleStage
from leads.services import contact_create
from scoring.models import (
    ContactScore,
    Grade,
    ModelVersion,
    RescoreKind,
    RescorePending,
    RescoreRun,
    ScoringModel,
)
from scoring.services import model_create, model_publish, rule_add
from scoring.spec import ModelSpec

# --- users --------------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@leadbridge.test")
    password = factory.django.Password("pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


def user_with_role(role: str, **kwargs) -> User:
    return UserFactory(role=role, **kwargs)


# --- leads --------------------------------------------------------------------------------------


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    industry = "Software"
    employee_count = 250
    country = "DE"


class ContactFactory(factory.django.DjangoModelFactory):
    """Contacts are made through contact_create, so each has its first history row."""

    class Meta:
        model = Contact

    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    job_title = "Head of Marketing"
    company = factory.SubFactory(CompanyFactory)
    lifecycle_stage = LifecycleStage.LEAD

    @classmethod
    def _create(cls, model_class, *args, email, lifecycle_stage, **kwargs):
        return contact_create(email=email, data=kwargs, stage=lifecycle_stage, system="tests")


class ActivityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityEvent

    contact = factory.SubFactory(ContactFactory)
    event_type = EventType.PAGE_VIEW
    properties = factory.LazyFunction(lambda: {"url": "/pricing"})
    occurred_at = factory.LazyFunction(timezone.now)
    source = "web"


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A pending job row pointing at a file name; uploads go through import_job_create."""

    class Meta:
        model = ImportJob

    created_by = factory.SubFactory(UserFactory)
    original_filename = "people.csv"
    file = factory.LazyAttribute(lambda job: f"imports/{job.original_filename}")


# --- scoring ------------------------------------------------------------------------------------

# A model's settings without its name and rules: what the scoring tests publish and compare.
BASE = {
    "lookback_days": 90,
    "fit_min": 20,
    "engagement_min": 10,
    "total_min": None,
    "grade_a_min": 60,
    "grade_b_min": 40,
    "grade_c_min": 20,
    "segment": [],
}
HEAD = {"field": "job_title", "operator": "contains", "value": "head", "points": 60}
CMO = {"field": "job_title", "operator": "contains", "value": "cmo", "points": 25}
VISIT = {"event_type": "page_view", "mode": "per_occurrence", "points": 5, "window_days": 30}


def make_spec(**parts) -> ModelSpec:
    """A ModelSpec from BASE settings plus rule lists; rule keys default to r0, r1, …"""
    data = {**BASE, **parts}
    counter = 0
    for kind in ("fit_rules", "engagement_rules", "disqualifiers"):
        rules = []
        for rule in data.get(kind, []):
            rules.append({"key": f"r{counter}", **rule})
            counter += 1
        data[kind] = rules
    return ModelSpec.from_dict(data)


def published_model(
    *,
    by,
    name="Default",
    priority=0,
    segment=(),
    fit=(CMO,),
    engagement=(VISIT,),
    disqualifiers=(),
    **settings,
) -> ScoringModel:
    """A model made, given its rules and published once by the services, as a marketer does (its
    full rescore is queued on commit, not run)."""
    model = model_create(
        data={**BASE, **settings, "name": name, "priority": priority, "segment": list(segment)},
        by=by,
    )
    for rule in fit:
        rule_add(model=model, kind="fit_rules", data=rule)
    for rule in engagement:
        rule_add(model=model, kind="engagement_rules", data=rule)
    for rule in disqualifiers:
        rule_add(model=model, kind="disqualifiers", data=rule)
    model_publish(model=model, by=by, note="v1")
    return model


class ScoringModelFactory(factory.django.DjangoModelFactory):
    """A bare model row with the model's default settings and no draft rules."""

    class Meta:
        model = ScoringModel

    name = factory.Sequence(lambda n: f"Model {n}")


class ModelVersionFactory(factory.django.DjangoModelFactory):
    """A published version written as a row, without the rescore that publishing starts: v1,
    BASE settings and `fit_rules` (default: job title contains 'head' → +60, key r0)."""

    class Meta:
        model = ModelVersion

    class Params:
        fit_rules = (HEAD,)

    model = factory.SubFactory(ScoringModelFactory)
    number = 1
    definition = factory.LazyAttribute(lambda v: make_spec(fit_rules=v.fit_rules).to_dict())
    published_at = factory.LazyFunction(timezone.now)


class ContactScoreFactory(factory.django.DjangoModelFactory):
    """A current score as the engine writes it: an MQL-eligible A from rule r0 (+60 fit)."""

    class Meta:
        model = ContactScore

    contact = factory.SubFactory(ContactFactory)
    model_version = factory.SubFactory(ModelVersionFactory)
    model = factory.SelfAttribute("model_version.model")
    fit = 60
    engagement = 30
    total = factory.LazyAttribute(lambda s: s.fit + s.engagement)
    grade = Grade.A
    mql_eligible = True
    breakdown = factory.LazyFunction(lambda: [{"rule": "r0", "points": 60.0}])
    scored_at = factory.LazyFunction(timezone.now)


class RescoreRunFactory(factory.django.DjangoModelFactory):
    """A run row (queued full rescore by default); rescore_start is how runs begin for real."""

    class Meta:
        model = RescoreRun

    kind = RescoreKind.FULL
    reason = "test"
    created_at = factory.LazyFunction(timezone.now)


class RescorePendingFactory(factory.django.DjangoModelFactory):
    """The marker of a contact waiting for its incremental rescore."""

    class Meta:
        model = RescorePending

    contact_id = factory.LazyFunction(lambda: ContactFactory().pk)
    queued_at = factory.LazyFunction(timezone.now)


# --- handoff ------------------------------------------------------------------------------------


class WorkCalendarFactory(factory.django.DjangoModelFactory):
    """Monday to Friday, 09:00–17:00 UTC unless told otherwise."""

    class Meta:
        model = WorkCalendar

    name = factory.Sequence(lambda n: f"Office {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMemberFactory(factory.django.DjangoModelFactory):
    """A rep in a team; pass role=MemberRole.MANAGER for its manager."""

    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory, role=roles.SALES_REP)
    role = MemberRole.REP


class OutOfOfficeFactory(factory.django.DjangoModelFactory):
    """Away today only, unless told otherwise."""

    class Meta:
        model = OutOfOffice

    user = factory.SubFactory(UserFactory, role=roles.SALES_REP)
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.SelfAttribute("starts_on")


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    """A rule without conditions (it matches every MQL) sending to its team."""

    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    team = factory.SubFactory(TeamFactory)


class MqlFactory(factory.django.DjangoModelFactory):
    """A bare open MQL row: no team, owner or SLA clocks. open_mql() goes through the services."""

    class Meta:
        model = Mql

    contact = factory.SubFactory(ContactFactory)
    qualified_at = factory.LazyFunction(timezone.now)


def open_mql(
    *,
    owner_hint=None,
    first_name="Ada",
    company="Acme Robotics",
    version: ModelVersion | None = None,
    at: datetime | None = None,
) -> Mql:
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
        ContactScoreFactory(contact=contact, model_version=version, scored_at=at)
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=at)
    mqls_assign(mql_ids=[mql_id], now=at)
    return Mql.objects.select_related("contact", "owner").get(pk=mql_id)
