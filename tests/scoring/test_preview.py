"""draft_preview against a small hand-built data set, checked with the reference evaluator."""

from collections import Counter
from datetime import timedelta

import pytest

from core.exceptions import DomainError
from leads.models import ActivityEvent, Contact, LifecycleStage, StageChange
from scoring import reference
from scoring.models import ContactScore, FitRule, ScoreHistory
from scoring.preview import draft_preview
from scoring.services import model_create, model_publish, model_update, rule_add, rule_update
from scoring.spec import ModelSpec, spec_from_draft
from tests.factories import BASE, ActivityEventFactory, CompanyFactory, ContactFactory
from tests.scoring.conftest import NOW

pytestmark = pytest.mark.django_db

MARKETING_TITLE = {"field": "job_title", "operator": "contains", "value": "marketing", "points": 20}
BIG = {"field": "company.employee_count", "operator": "gte", "value": 500, "points": 15}
PRICING = {
    "event_type": "page_view",
    "mode": "per_occurrence",
    "points": 5,
    "cap": 15,
    "window_days": 30,
    "property_name": "url",
    "property_operator": "contains",
    "property_value": "/pricing",
}
FREEMAIL = {
    "label": "Free-mail address",
    "field": "email",
    "operator": "email_domain_in",
    "value": ["gmail.com"],
}


@pytest.fixture
def people():
    """A dozen contacts of various titles, sizes, stages and activity."""
    big, small = CompanyFactory(employee_count=2000), CompanyFactory(employee_count=40)
    rows = [
        ("Head of Marketing", big, 3, "lead", "a@big.example"),
        ("Head of Marketing", small, 3, "lead", "b@small.example"),
        ("Marketing Manager", small, 1, "subscriber", "c@small.example"),
        ("CTO", big, 4, "lead", "d@big.example"),
        ("CTO", small, 0, "nurture", "e@small.example"),
        ("Marketing Ops", big, 2, "mql", "f@gmail.com"),
        ("Marketing Ops", None, 5, "lead", "g@nowhere.example"),
        ("Engineer", big, 6, "customer", "h@big.example"),
        ("Marketing Director", big, 0, "sql", "i@big.example"),
        ("", None, 2, "lead", "j@nowhere.example"),
    ]
    contacts = []
    for title, company, views, stage, email in rows:
        contact = ContactFactory(
            job_title=title, company=company, lifecycle_stage=stage, email=email
        )
        for i in range(views):
            ActivityEventFactory(
                contact=contact,
                occurred_at=NOW - timedelta(days=3 + i * 9),
                properties={"url": "/pricing" if i % 2 == 0 else "/blog"},
            )
        contacts.append(contact)
    return contacts


def make_model(marketer, name="Everyone", **settings):
    return model_create(data={**BASE, "name": name, **settings}, by=marketer)


def expected(spec: ModelSpec | None, shadowed_by=()):
    """contact id → reference result, for every contact the spec scores."""
    if spec is None:
        return {}
    out = {}
    for contact in Contact.objects.select_related("company"):
        events = list(ActivityEvent.objects.filter(contact=contact))
        result = reference.evaluate(spec, contact, events, NOW, shadowed_by)
        if result is not None:
            out[contact.pk] = result
    return out


def check_against_reference(preview, draft: dict, published: dict):
    draft_ok = {cid for cid, r in draft.items() if r.mql_eligible}
    published_ok = {cid for cid, r in published.items() if r.mql_eligible}
    assert preview.scored == len(draft)
    assert preview.published_scored == len(published)
    assert preview.draft_eligible == len(draft_ok)
    assert preview.published_eligible == len(published_ok)
    assert preview.gained == len(draft_ok - published_ok)
    assert preview.lost == len(published_ok - draft_ok)
    stages = dict(Contact.objects.values_list("pk", "lifecycle_stage"))
    by_stage = {d.key: d for d in preview.by_segment if d.group == "stage"}
    want = Counter(stages[c] for c in draft_ok - published_ok)
    assert {k: d.gained for k, d in by_stage.items() if d.gained} == dict(want)
    want = Counter(stages[c] for c in published_ok - draft_ok)
    assert {k: d.lost for k, d in by_stage.items() if d.lost} == dict(want)
    want = Counter(stages[c] for c in draft)
    assert {k: d.contacts for k, d in by_stage.items() if d.contacts} == dict(want)
    membership = {d.key: d for d in preview.by_segment if d.group == "membership"}
    both, only_d, only_p = (
        draft.keys() & published.keys(),
        draft.keys() - published.keys(),
        (published.keys() - draft.keys()),
    )
    for key, ids in (("both", both), ("draft_only", only_d), ("published_only", only_p)):
        if not ids:
            assert key not in membership
            continue
        assert membership[key].contacts == len(ids)
        assert membership[key].draft_eligible == len(ids & draft_ok)
        assert membership[key].published_eligible == len(ids & published_ok)
    gained_ids = [e["contact_id"] for e in preview.gained_examples]
    assert set(gained_ids) <= draft_ok - published_ok
    assert len(gained_ids) == min(5, len(draft_ok - published_ok))
    totals = [e["draft_total"] for e in preview.gained_examples]
    assert totals == sorted(totals, reverse=True)
    for example in preview.gained_examples:
        assert example["draft_total"] == draft[example["contact_id"]].total
    for example in preview.lost_examples:
        assert example["contact_id"] in published_ok - draft_ok
        assert example["published_total"] == published[example["contact_id"]].total


def test_preview_of_a_never_published_model_counts_only_the_draft(marketer, people):
    model = make_model(marketer)
    rule_add(model=model, kind="fit_rules", data=MARKETING_TITLE)
    rule_add(model=model, kind="engagement_rules", data=PRICING)
    preview = draft_preview(model=model, now=NOW)

    draft = expected(spec_from_draft(model))
    assert preview.published_version is None
    assert preview.published_eligible == 0 and preview.lost == 0
    assert preview.draft_eligible > 0
    check_against_reference(preview, draft, {})
    example = preview.gained_examples[0]
    contact = Contact.objects.select_related("company").get(pk=example["contact_id"])
    assert example["email"] == contact.email
    assert example["name"] == f"{contact.first_name} {contact.last_name}"
    assert example["company"] == (contact.company.name if contact.company else "")
    assert example["published_total"] is None


def test_preview_compares_the_draft_with_the_published_version(marketer, people):
    model = make_model(marketer)
    title = rule_add(model=model, kind="fit_rules", data=MARKETING_TITLE)
    rule_add(model=model, kind="engagement_rules", data=PRICING)
    version = model_publish(model=model, by=marketer, note="v1")
    # The draft: size counts, the title counts less, free-mail blocks, lower bars.
    rule_add(model=model, kind="fit_rules", data=BIG)
    rule_update(rule=title, data={"points": 10})
    rule_add(model=model, kind="disqualifiers", data=FREEMAIL)
    model_update(model=model, data={"engagement_min": 5, "fit_min": 15})

    preview = draft_preview(model=model, now=NOW)

    draft = expected(spec_from_draft(model))
    published = expected(ModelSpec.from_dict(version.definition))
    assert preview.published_version == 1
    assert preview.gained > 0 and preview.lost > 0  # the data set exercises both directions
    check_against_reference(preview, draft, published)


def test_preview_respects_segments_and_models_ahead(marketer, people):
    enterprise = make_model(
        marketer,
        name="Enterprise",
        priority=10,
        segment=[{"field": "company.employee_count", "operator": "gte", "value": 1000}],
    )
    rule_add(model=enterprise, kind="fit_rules", data=BIG)
    model_publish(model=enterprise, by=marketer, note="")
    # Never published, ahead by priority: shadows nobody.
    make_model(marketer, name="Unpublished", priority=50, segment=[])

    model = make_model(marketer, name="Marketers")
    rule_add(model=model, kind="fit_rules", data=MARKETING_TITLE)
    rule_add(model=model, kind="engagement_rules", data=PRICING)
    version = model_publish(model=model, by=marketer, note="")
    segment = [{"field": "job_title", "operator": "contains", "value": "marketing"}]
    model_update(model=model, data={"segment": segment, "fit_min": 10})

    preview = draft_preview(model=model, now=NOW)

    shadow = (ModelSpec.from_dict(enterprise.versions.get().definition).segment,)
    draft = expected(spec_from_draft(model), shadow)
    published = expected(ModelSpec.from_dict(version.definition), shadow)
    assert not draft.keys() & {c.pk for c in Contact.objects.filter(company__employee_count=2000)}
    assert published.keys() - draft.keys()  # the narrower draft segment drops contacts
    check_against_reference(preview, draft, published)


def test_preview_writes_nothing(marketer, people):
    model = make_model(marketer)
    rule_add(model=model, kind="fit_rules", data=MARKETING_TITLE)
    rule_add(model=model, kind="engagement_rules", data=PRICING)
    model_publish(model=model, by=marketer, note="")
    rule_add(model=model, kind="fit_rules", data=BIG)
    before = (
        ContactScore.objects.count(),
        ScoreHistory.objects.count(),
        StageChange.objects.count(),
        list(Contact.objects.order_by("pk").values_list("lifecycle_stage", flat=True)),
        model.versions.count(),
    )
    draft_preview(model=model, now=NOW)
    draft_preview(model=model, now=NOW)  # the temporary tables do not linger between runs
    after = (
        ContactScore.objects.count(),
        ScoreHistory.objects.count(),
        StageChange.objects.count(),
        list(Contact.objects.order_by("pk").values_list("lifecycle_stage", flat=True)),
        model.versions.count(),
    )
    assert before == after
    assert LifecycleStage.MQL in after[3]


def test_preview_of_an_invalid_draft_names_the_rule_field(marketer, people):
    model = make_model(marketer)
    rule = rule_add(model=model, kind="fit_rules", data=MARKETING_TITLE)
    FitRule.objects.filter(pk=rule.pk).update(operator="gt")  # bypassing the service
    with pytest.raises(DomainError) as exc:
        draft_preview(model=model, now=NOW)
    assert exc.value.field == "fit_rules[0].operator"


def test_example_count_is_bounded(marketer, people):
    model = make_model(marketer, fit_min=-100, engagement_min=0)
    rule_add(model=model, kind="fit_rules", data=MARKETING_TITLE)
    assert draft_preview(model=model, now=NOW, examples=0).gained_examples == []
    preview = draft_preview(model=model, now=NOW, examples=3)
    assert preview.gained == Contact.objects.count()
    assert len(preview.gained_examples) == 3
