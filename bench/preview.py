"""Time `scoring.preview.draft_preview` (draft vs published, whole database) on PostgreSQL.

Usage (data from generate_data; the target is under 10 s for 100,000 contacts):
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_api_bench .venv/bin/python manage.py migrate
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_api_bench .venv/bin/python manage.py \
    generate_data --contacts 100000 --events 2000000 --seed 1
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_api_bench .venv/bin/python bench/preview.py

(Re)creates a scoring model "Preview bench" with 20 rules (10 fit, 10 engagement with 30/90-day
windows and caps), publishes it as version 1, then changes the draft (points, a threshold, a new
fit rule and a disqualifier) so the draft differs from the published version, and runs the
preview --runs times (first run cold-ish, then warm), printing each time and the numbers.
It writes only the bench model itself; the preview writes nothing.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-preview-only-not-a-real-secret-key-0123456789")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from leads.models import ActivityEvent, Contact  # noqa: E402
from scoring.models import ContactScore, ScoreHistory, ScoringModel  # noqa: E402
from scoring.preview import draft_preview  # noqa: E402
from scoring.services import (  # noqa: E402
    model_create,
    model_publish,
    model_update,
    rule_add,
    rule_update,
)

NAME = "Preview bench"
FIT = [
    {"field": "job_title", "operator": "contains", "value": "marketing", "points": 15},
    {"field": "seniority", "operator": "in", "value": ["vp", "c_level", "director"], "points": 20},
    {"field": "department", "operator": "equals", "value": "marketing", "points": 10},
    {"field": "company.employee_count", "operator": "gte", "value": 500, "points": 15},
    {"field": "company.employee_count", "operator": "between", "value": [50, 499], "points": 8},
    {
        "field": "company.industry",
        "operator": "in",
        "value": ["software", "financial services"],
        "points": 10,
    },
    {"field": "country", "operator": "in", "value": ["us", "de", "gb"], "points": 5},
    {"field": "company.tags", "operator": "contains", "value": "salesforce", "points": 5},
    {"field": "email", "operator": "email_domain_in", "value": ["gmail.com"], "points": -20},
    {"field": "job_title", "operator": "contains", "value": "analyst", "points": -5},
]


def per(event_type, points, cap, days, **prop):
    rule = {"event_type": event_type, "mode": "per_occurrence", "points": points, "cap": cap}
    return {**rule, "window_days": days, **prop}


def once(event_type, points, count, days, **prop):
    rule = {"event_type": event_type, "mode": "once_at_count", "points": points}
    return {**rule, "min_count": count, "window_days": days, **prop}


PRICING = {"property_name": "url", "property_operator": "contains", "property_value": "/pricing"}
ENGAGEMENT = [
    per("page_view", 5, 25, 30, **PRICING),
    per("page_view", 1, 10, 30),
    per("email_open", 1, 5, 90),
    per("email_click", 3, 15, 90),
    once("form_submit", 15, 1, 90),
    per("content_download", 5, 15, 90),
    per("webinar_attended", 10, 20, 90),
    once("demo_request", 30, 1, 30),
    per("video_watched", 2, 8, 30),
    once("page_view", 10, 3, 30, **PRICING),
]
SETTINGS = {
    "name": NAME,
    "lookback_days": 365,
    "fit_min": 30,
    "engagement_min": 20,
    "total_min": None,
    "grade_a_min": 60,
    "grade_b_min": 40,
    "grade_c_min": 20,
    "segment": [],
}


def build_model() -> ScoringModel:
    ScoringModel.objects.filter(name=NAME).delete()
    model = model_create(data=SETTINGS, by=None)
    fit = [rule_add(model=model, kind="fit_rules", data=r) for r in FIT]
    for rule in ENGAGEMENT:
        rule_add(model=model, kind="engagement_rules", data=rule)
    model_publish(model=model, by=None, note="bench v1")
    # The draft differs: points, a threshold, one more fit rule, a disqualifier.
    rule_update(rule=fit[0], data={"points": 25})
    rule_update(rule=fit[3], data={"value": 1000})
    rule_add(
        model=model,
        kind="fit_rules",
        data={"field": "source", "operator": "in", "value": ["webinar", "event"], "points": 10},
    )
    rule_add(
        model=model,
        kind="disqualifiers",
        data={
            "label": "Student",
            "field": "job_title",
            "operator": "contains",
            "value": "student",
        },
    )
    return model_update(model=model, data={"engagement_min": 15})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (set DATABASE_URL).")
    contacts, events = Contact.objects.count(), ActivityEvent.objects.count()
    print(f"data: {contacts:,} contacts, {events:,} events")
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would give
        cursor.execute("ANALYZE leads_contact, leads_company, leads_activityevent")
    model = build_model()
    rules = model.fitrules.count() + model.engagementrules.count() + model.disqualifiers.count()
    print(f"model: {rules} draft rules vs published version 1 (20 rules)")
    writes_before = (ContactScore.objects.count(), ScoreHistory.objects.count())
    now = timezone.now()
    times = []
    for run in range(1, args.runs + 1):
        start = time.perf_counter()
        preview = draft_preview(model=model, now=now)
        times.append(time.perf_counter() - start)
        print(f"run {run}: {times[-1]:.2f} s")
    assert (ContactScore.objects.count(), ScoreHistory.objects.count()) == writes_before
    print(
        f"scored {preview.scored:,} (published {preview.published_scored:,}); eligible: "
        f"draft {preview.draft_eligible:,}, published {preview.published_eligible:,}; "
        f"gained {preview.gained:,}, lost {preview.lost:,}"
    )
    for delta in preview.by_segment:
        print(
            f"  {delta.group:<10} {delta.label:<32} contacts {delta.contacts:>7,}"
            f"  draft {delta.draft_eligible:>6,}  published {delta.published_eligible:>6,}"
            f"  +{delta.gained:,} -{delta.lost:,}"
        )
    print(f"preview median {statistics.median(times):.2f} s, best {min(times):.2f} s")


if __name__ == "__main__":
    main()
