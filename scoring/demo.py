"""The demo scoring model for `make run` (leads.hooks.demo_seed): "B2B fit and intent", published.

Idempotent (skipped once the model exists). Publishing goes through the service, so it starts the
full rescore on commit: the worker of `make run` picks it up.
"""

from django.contrib.auth import get_user_model

from scoring.models import EngagementMode, ScoringModel
from scoring.services import model_create, model_publish, rule_add

DEMO_MODEL = "B2B fit and intent (demo)"
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
    # The title the demo history plants as a winner (insights.generate.PLANTED).
    {"field": "job_title", "operator": "contains", "value": "revenue operations", "points": 15},
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


def demo_model_seed() -> bool:
    """Create and publish the demo model once, as the demo marketer; False when already there."""
    if ScoringModel.objects.filter(name=DEMO_MODEL).exists():
        return False
    marketer = get_user_model().objects.get(username="marketer")
    model = model_create(data=SETTINGS, by=marketer)
    for kind, rules in (
        ("fit_rules", FIT_RULES),
        ("engagement_rules", ENGAGEMENT_RULES),
        ("disqualifiers", DISQUALIFIERS),
    ):
        for rule in rules:
            rule_add(model=model, kind=kind, data=rule)
    model_publish(model=model, by=marketer, note="Demo model")
    return True
