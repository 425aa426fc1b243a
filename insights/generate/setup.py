"""What a generated history is written under: the scoring model that qualified its MQLs, and the
sales teams and reps they were routed to.

generate_data reuses what the database has (its teams with active reps and their routing rules)
and creates the rest once, under fixed names: the model "Generated history" with its version 1,
and, on a database without sales teams, two teams with five reps each and a routing rule.
These are set-up rows written with the ORM (the teams and reps before any MQL exists, so the
services' routing and notices have nothing to act on); the model's version is written as
published before the history starts, without the full rescore that model_publish starts: the
model is inactive, so it scores no contact until someone activates it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core import roles
from handoff.models import MemberRole, RoutingRule, Team, TeamMember
from scoring.models import EngagementMode, ModelVersion, ScoringModel
from scoring.services import model_create_with_rules
from scoring.spec import ModelSpec, spec_from_draft

MODEL_NAME = "Generated history"
EUROPE = ("DE", "GB", "FR", "NL", "SE", "ES", "IT", "CH", "AT", "PL", "DK")
REPS_PER_TEAM = 5

# The generated model: keys fixed, so reports and tests can name its rules.
MODEL_SETTINGS = {
    "name": MODEL_NAME,
    "description": "The model of generate_data's MQL history (inactive: it scores nobody).",
    "is_active": False,
    "lookback_days": 90,
    "fit_min": 30,
    "engagement_min": 20,
    "total_min": None,
    "grade_a_min": 60,
    "grade_b_min": 40,
    "grade_c_min": 20,
    "segment": [],
}
FIT_RULES = [
    {
        "key": "gen-senior",
        "field": "seniority",
        "operator": "in",
        "value": ["vp", "c_level", "director"],
        "points": 20,
    },
    {
        "key": "gen-revops",
        "field": "job_title",
        "operator": "contains",
        "value": "revenue operations",
        "points": 15,
    },
    {
        "key": "gen-midsize",
        "field": "company.employee_count",
        "operator": "between",
        "value": [200, 5000],
        "points": 15,
    },
    {
        "key": "gen-industry",
        "field": "company.industry",
        "operator": "in",
        "value": ["software", "financial services"],
        "points": 10,
    },
    {
        "key": "gen-gtm",
        "field": "department",
        "operator": "in",
        "value": ["marketing", "sales"],
        "points": 10,
    },
    {
        "key": "gen-sfdc",
        "field": "company.tags",
        "operator": "contains",
        "value": "salesforce",
        "points": 5,
    },
]
ENGAGEMENT_RULES = [
    {
        "key": "gen-pricing",
        "event_type": "page_view",
        "property_name": "url",
        "property_operator": "starts_with",
        "property_value": "/pricing",
        "mode": EngagementMode.PER_OCCURRENCE,
        "points": 5,
        "cap": 20,
        "window_days": 30,
    },
    {
        "key": "gen-demo",
        "event_type": "demo_request",
        "mode": EngagementMode.ONCE_AT_COUNT,
        "points": 30,
        "min_count": 1,
    },
    {
        "key": "gen-content",
        "event_type": "content_download",
        "mode": EngagementMode.PER_OCCURRENCE,
        "points": 4,
        "cap": 12,
    },
    {
        "key": "gen-webinar",
        "event_type": "webinar_attended",
        "mode": EngagementMode.PER_OCCURRENCE,
        "points": 10,
        "cap": 20,
    },
    {
        "key": "gen-click",
        "event_type": "email_click",
        "mode": EngagementMode.PER_OCCURRENCE,
        "points": 2,
        "cap": 6,
        "window_days": 30,
        "half_life_days": 14,
    },
]


@dataclass(frozen=True)
class Route:
    """Where an MQL goes: the first route whose countries hold the company's country (None:
    any, the fallback), to one of its reps."""

    team_id: int
    rule_id: int | None
    rule_name: str
    countries: frozenset[str] | None
    reps: tuple[tuple[int, int], ...]  # (user id, weight)


def generated_model_version(*, now: datetime, history_days: int) -> ModelVersion:
    """The generated model's version 1 (created once, published before the history starts)."""
    model = ScoringModel.objects.filter(name=MODEL_NAME).first()
    if model is None:
        model = model_create_with_rules(
            data=MODEL_SETTINGS,
            rules={"fit_rules": FIT_RULES, "engagement_rules": ENGAGEMENT_RULES},
            by=None,
            now=now,
        )
    version = model.versions.order_by("-number").first()
    if version is None:
        version = ModelVersion.objects.create(
            model=model,
            number=1,
            definition=spec_from_draft(model).to_dict(),
            note="Generated history",
            published_by=None,
            published_at=now - timedelta(days=history_days + 1),
        )
    return version


def model_spec(version: ModelVersion) -> ModelSpec:
    return ModelSpec.from_dict(version.definition)


def routes_ensure() -> list[Route]:
    """The routes of the teams that have active reps; two generated teams when there are none."""
    routes = routes_read()
    if routes:
        return routes
    User = get_user_model()
    rep_group = Group.objects.get(name=roles.SALES_REP)
    teams = []
    for name in ("Europe (generated)", "Americas (generated)"):
        team, _ = Team.objects.get_or_create(name=name)
        teams.append(team)
        for i in range(1, REPS_PER_TEAM + 1):
            username = f"gen-{name.split()[0].lower()}-rep{i}"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@leadbridge.example", "first_name": f"Rep {i}"},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(rep_group)
            TeamMember.objects.get_or_create(
                team=team, user=user, defaults={"role": MemberRole.REP, "weight": 1 + i % 2}
            )
    if not Team.objects.filter(is_fallback=True).exists():
        Team.objects.filter(pk=teams[1].pk).update(is_fallback=True)
    RoutingRule.objects.get_or_create(
        name="European companies (generated)",
        defaults={
            "position": 1,
            "team": teams[0],
            "conditions": [{"field": "company.country", "operator": "in", "value": list(EUROPE)}],
        },
    )
    return routes_read()


def routes_read() -> list[Route]:
    """Routing as the history applies it: active rules that send companies of some countries to
    a team, then the fallback team (or, without one, the last team with reps)."""
    reps: dict[int, list[tuple[int, int]]] = {}
    for team_id, user_id, weight in (
        TeamMember.objects.filter(role=MemberRole.REP, is_active=True, user__is_active=True)
        .order_by("team_id", "user_id")
        .values_list("team_id", "user_id", "weight")
    ):
        reps.setdefault(team_id, []).append((user_id, weight))
    if not reps:
        return []
    routes = []
    for rule in RoutingRule.objects.filter(is_active=True, team_id__in=list(reps)):
        countries = _countries(rule.conditions)
        if countries is not None:
            routes.append(
                Route(rule.team_id, rule.pk, rule.name, countries, tuple(reps[rule.team_id]))
            )
    fallback = Team.objects.filter(is_fallback=True, pk__in=list(reps)).first()
    fallback_id = fallback.pk if fallback else max(reps)
    routes.append(Route(fallback_id, None, "", None, tuple(reps[fallback_id])))
    return routes


def _countries(conditions: list) -> frozenset[str] | None:
    """The countries of a rule that only asks `company.country in [...]`; None for any other."""
    if len(conditions) != 1:
        return None
    c = conditions[0]
    if c.get("field") != "company.country" or c.get("operator") != "in":
        return None
    return frozenset(str(v).upper() for v in c.get("value") or ())
