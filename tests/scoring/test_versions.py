import pytest

from core.exceptions import DomainError
from scoring.models import FitRule, ModelVersion
from scoring.services import (
    model_create,
    model_publish,
    model_rollback,
    model_update,
    rule_add,
    rule_delete,
    rule_reorder,
    rule_update,
    version_diff,
)
from scoring.spec import ModelSpec
from tests.factories import BASE

TITLE = {"field": "job_title", "operator": "contains", "value": "marketing", "points": 10}
SIZE = {"field": "company.employee_count", "operator": "gte", "value": 500, "points": 20}


@pytest.fixture
def model(marketer):
    return model_create(data={**BASE, "name": "Enterprise"}, by=marketer)


def test_model_names_are_unique(marketer, model):
    with pytest.raises(DomainError) as exc:
        model_create(data={**BASE, "name": "Enterprise"}, by=marketer)
    assert exc.value.field == "name"


def test_invalid_rule_is_not_saved_and_names_the_field(model):
    with pytest.raises(DomainError) as exc:
        rule_add(model=model, kind="fit_rules", data={**SIZE, "operator": "contains"})
    assert exc.value.field == "operator"
    assert not FitRule.objects.exists()


def test_rule_update_validates_the_merged_rule(model):
    rule = rule_add(model=model, kind="fit_rules", data=SIZE)
    with pytest.raises(DomainError) as exc:
        rule_update(rule=rule, data={"value": "lots"})
    assert exc.value.field == "value"
    rule = rule_update(rule=rule, data={"value": "1000", "points": 5})
    rule.refresh_from_db()
    assert (rule.value, rule.points) == (1000.0, 5)


def test_publish_freezes_the_draft_as_numbered_versions(marketer, model):
    rule_add(model=model, kind="fit_rules", data=TITLE)
    v1 = model_publish(model=model, by=marketer, note="first")
    rule_add(model=model, kind="fit_rules", data=SIZE)
    v2 = model_publish(model=model, by=marketer, note="size matters")

    assert (v1.number, v2.number) == (1, 2)
    assert v2.published_by == marketer and v2.note == "size matters"
    assert len(ModelSpec.from_dict(v1.definition).fit_rules) == 1
    assert len(ModelSpec.from_dict(v2.definition).fit_rules) == 2


def test_publish_without_changes_is_refused(marketer, model):
    rule_add(model=model, kind="fit_rules", data=TITLE)
    model_publish(model=model, by=marketer, note="first")
    with pytest.raises(DomainError, match="Nothing changed"):
        model_publish(model=model, by=marketer, note="again")
    assert ModelVersion.objects.count() == 1


def test_reorder_changes_rule_order_in_the_next_version(marketer, model):
    a = rule_add(model=model, kind="fit_rules", data=TITLE)
    b = rule_add(model=model, kind="fit_rules", data=SIZE)
    with pytest.raises(DomainError):
        rule_reorder(model=model, kind="fit_rules", ordered_ids=[b.pk])
    rule_reorder(model=model, kind="fit_rules", ordered_ids=[b.pk, a.pk])
    version = model_publish(model=model, by=marketer, note="")
    assert [r["key"] for r in version.definition["fit_rules"]] == [b.key, a.key]


def test_rollback_publishes_the_old_rules_as_a_new_version(marketer, model):
    title = rule_add(model=model, kind="fit_rules", data=TITLE)
    v1 = model_publish(model=model, by=marketer, note="first")
    rule_delete(rule=title)
    rule_add(model=model, kind="fit_rules", data=SIZE)
    model_update(model=model, data={"fit_min": 35})
    v2 = model_publish(model=model, by=marketer, note="second")

    v3 = model_rollback(model=model, version=v1, by=marketer)

    assert v3.number == 3 and "version 1" in v3.note
    assert v3.definition == v1.definition
    model.refresh_from_db()
    assert model.fit_min == BASE["fit_min"]
    assert [r.key for r in model.fitrules.all()] == [title.key]
    assert version_diff(v2, v3)["fit_rules"]["added"][0]["key"] == title.key


def test_diff_lists_added_removed_changed_rules_and_settings(marketer, model):
    kept = rule_add(model=model, kind="fit_rules", data=TITLE)
    dropped = rule_add(model=model, kind="fit_rules", data=SIZE)
    v1 = model_publish(model=model, by=marketer, note="")
    rule_update(rule=kept, data={"points": 15})
    rule_delete(rule=dropped)
    added = rule_add(
        model=model,
        kind="disqualifiers",
        data={
            "label": "Free mail",
            "field": "email",
            "operator": "email_domain_in",
            "value": ["gmail.com"],
        },
    )
    model_update(model=model, data={"engagement_min": 30})
    v2 = model_publish(model=model, by=marketer, note="")

    diff = version_diff(v1, v2)

    assert diff["settings"] == {"engagement_min": {"from": 10, "to": 30}}
    assert [c["to"]["points"] for c in diff["fit_rules"]["changed"]] == [15]
    assert [r["key"] for r in diff["fit_rules"]["removed"]] == [dropped.key]
    assert [r["key"] for r in diff["disqualifiers"]["added"]] == [added.key]
    assert diff["engagement_rules"] == {"added": [], "removed": [], "changed": []}


def test_rollback_refuses_another_models_version(marketer, model):
    other = model_create(data={**BASE, "name": "SMB"}, by=marketer)
    rule_add(model=other, kind="fit_rules", data=TITLE)
    version = model_publish(model=other, by=marketer, note="")
    with pytest.raises(DomainError) as exc:
        model_rollback(model=model, version=version, by=marketer)
    assert exc.value.field == "version"
