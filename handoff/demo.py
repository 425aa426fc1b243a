"""The demo pipeline for `make run`: a published scoring model, two sales teams with their office
calendars and a routing rule, and MQLs for the demo contacts already at the MQL stage.

Called by leads.demo.demo_seed after the contacts exist; idempotent (skipped once the demo model
exists). Everything goes through the services, so publishing starts the full rescore (on commit:
the worker of `make run` picks it up) and new MQLs are routed to the reps.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from handoff.models import MemberRole, RoutingRule, Team, TeamMember, WorkCalendar
from handoff.services import mqls_open
from leads.models import Contact, LifecycleStage
from scoring.models import EngagementMode, ScoringModel
from scoring.services import model_create, model_publish, rule_add

DEMO_MODEL = "B2B fit and intent (demo)"
EUROPE = ["DE", "GB", "FR", "NL", "SE", "ES", "IT", "CH", "AT", "PL", "DK"]
SETTINGS = {
    "name": DEMO_MODEL,
    "description": "Senior people at mid-size software and finance companies who look at pricing.",
    "lookback_days": 90,
    "fit_min": 30,
    "engagement_min": 20,
    "total_min": 90,
    "grade_a_min": 60,
    "grade_b_min": 40,
    "grade_c_min": 20,
    "segment": [],
}
FIT_RULES = [
    {"field": "seniority", "operator": "in", "value": ["vp", "c_level", "director"], "points": 25},
    {"field": "job_title", "operator": "contains", "value": "marketing", "points": 10},
    {"field": "company.employee_count", "operator": "between", "value": [200, 5000], "points": 20},
    {
        "field": "company.industry",
        "operator": "in",
        "value": ["software", "financial services"],
        "points": 15,
    },
    {"field": "company.tags", "operator": "contains", "value": "salesforce", "points": 5},
]
ENGAGEMENT_RULES = [
    {
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
        "event_type": "demo_request",
        "mode": EngagementMode.ONCE_AT_COUNT,
        "points": 30,
        "min_count": 1,
    },
    {
        "event_type": "content_download",
        "mode": EngagementMode.PER_OCCURRENCE,
        "points": 4,
        "cap": 12,
    },
    {
        "event_type": "webinar_attended",
        "mode": EngagementMode.PER_OCCURRENCE,
        "points": 10,
        "cap": 20,
    },
    {
        "event_type": "email_click",
        "mode": EngagementMode.PER_OCCURRENCE,
        "points": 2,
        "cap": 6,
        "window_days": 30,
        "half_life_days": 14,
    },
]
DISQUALIFIERS = [
    {
        "label": "Free-mail address",
        "field": "email",
        "operator": "email_domain_in",
        "value": ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"],
    },
    {"label": "Student", "field": "job_title", "operator": "contains", "value": "student"},
]


def demo_pipeline_seed() -> bool:
    """Create the demo scoring model, teams and routing once; False when already there."""
    if ScoringModel.objects.filter(name=DEMO_MODEL).exists():
        return False
    users = {u.username: u for u in get_user_model().objects.all()}
    with transaction.atomic():
        berlin = WorkCalendar.objects.create(
            name="Berlin office", time_zone="Europe/Berlin", country="DE", subdivision="BE"
        )
        new_york = WorkCalendar.objects.create(
            name="New York office", time_zone="America/New_York", country="US", subdivision="NY"
        )
        emea = Team.objects.create(name="EMEA", calendar=berlin)
        americas = Team.objects.create(name="Americas", calendar=new_york, is_fallback=True)
        for team, reps in ((emea, ("rep1", "rep2", "rep3")), (americas, ("rep4", "rep5"))):
            TeamMember.objects.create(team=team, user=users["manager"], role=MemberRole.MANAGER)
            for weight, username in enumerate(reps, start=1):
                TeamMember.objects.create(team=team, user=users[username], weight=1 + weight % 2)
        RoutingRule.objects.create(
            name="European companies",
            position=1,
            team=emea,
            conditions=[{"field": "company.country", "operator": "in", "value": EUROPE}],
        )
        model = model_create(data=SETTINGS, by=users["marketer"])
        for kind, rules in (
            ("fit_rules", FIT_RULES),
            ("engagement_rules", ENGAGEMENT_RULES),
            ("disqualifiers", DISQUALIFIERS),
        ):
            for rule in rules:
                rule_add(model=model, kind=kind, data=rule)
        model_publish(model=model, by=users["marketer"], note="Demo model")
        # Demo contacts generated at the MQL stage are handed to sales like scored ones.
        mqls_open(
            contact_ids=Contact.objects.filter(lifecycle_stage=LifecycleStage.MQL).values_list(
                "pk", flat=True
            )
        )
    return True
