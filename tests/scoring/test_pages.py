"""The scoring pages: who sees and changes what, the rule editor, publishing and versions."""

import pytest
from django.urls import reverse

from scoring.models import EngagementRule, FitRule, ModelVersion, ScoringModel
from scoring.services import model_create, model_publish, rule_add
from tests.factories import BASE, UserFactory

pytestmark = pytest.mark.django_db

TITLE = {"field": "job_title", "operator": "contains", "value": "marketing", "points": 10}
SIZE = {"field": "company.employee_count", "operator": "gte", "value": 500, "points": 20}
HTMX = {"HTTP_HX_REQUEST": "true"}
READERS = ["rep", "manager"]


@pytest.fixture
def model(marketer):
    return model_create(data={**BASE, "name": "Enterprise", "priority": 5}, by=marketer)


@pytest.fixture
def published(marketer, model):
    rule_add(model=model, kind="fit_rules", data=TITLE)
    model_publish(model=model, by=marketer, note="first")
    return model


def as_user(client, user):
    client.force_login(user)
    return client


def fit_form(**overrides) -> dict:
    data = {"field": "job_title", "attribute": "", "operator": "contains"}
    data |= {"value": "marketing", "points": "10"}
    return {**data, **overrides}


def settings_form(model, **overrides) -> dict:
    data = {name: getattr(model, name) for name in ("name", "description", "priority")}
    data |= {k: v for k, v in BASE.items() if k != "segment"}
    data["total_min"] = ""
    data["is_active"] = "on"
    return {**data, **overrides}


def page_urls(model) -> list[str]:
    return [
        reverse("scoring-models"),
        reverse("scoring-model", args=[model.pk]),
        reverse("scoring-version", args=[model.pk, 1]),
        reverse("scoring-diff", args=[model.pk]) + "?a=1&b=1",
    ]


def write_posts(model) -> list[tuple[str, dict]]:
    rule = model.fitrules.get()
    return [
        (reverse("scoring-model-new"), {**settings_form(model), "name": "Another"}),
        (reverse("scoring-settings", args=[model.pk]), settings_form(model, name="Renamed")),
        (
            reverse("scoring-segment-add", args=[model.pk]),
            {"field": "country", "operator": "equals", "value": "de"},
        ),
        (reverse("scoring-rule-new", args=[model.pk, "fit_rules"]), fit_form()),
        (reverse("scoring-rule-edit", args=[model.pk, "fit_rules", rule.pk]), fit_form()),
        (reverse("scoring-rule-delete", args=[model.pk, "fit_rules", rule.pk]), {}),
        (
            reverse("scoring-rule-move", args=[model.pk, "fit_rules", rule.pk]),
            {"direction": "down"},
        ),
        (reverse("scoring-rule-form", args=[model.pk, "fit_rules"]), fit_form()),
        (reverse("scoring-publish", args=[model.pk]), {"note": "x"}),
        (reverse("scoring-rollback", args=[model.pk, 1]), {}),
    ]


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, published):
    for url in page_urls(published):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_anonymous_cannot_write(client, published):
    for url, data in write_posts(published):
        assert client.post(url, data).status_code == 302, url
    assert ScoringModel.objects.get().name == "Enterprise"
    assert FitRule.objects.count() == 1


@pytest.mark.parametrize("role", ["marketer", "rep", "manager", "admin_user"])
def test_every_role_reads_every_scoring_page(client, request, published, role):
    as_user(client, request.getfixturevalue(role))
    for url in page_urls(published):
        assert client.get(url).status_code == 200, url


def test_a_user_without_a_role_may_not_read_scoring(client, published):
    as_user(client, UserFactory())
    for url in page_urls(published):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", READERS)
def test_readers_see_no_edit_controls(client, request, published, role):
    as_user(client, request.getfixturevalue(role))
    page = client.get(reverse("scoring-model", args=[published.pk])).content.decode()
    assert "Enterprise" in page and "Job title contains &#x27;marketing&#x27; → +10" in page
    assert "You can read this model" in page
    for control in ("Add a rule", "Save settings", "Publish the draft", "Add condition"):
        assert control not in page
    assert reverse("scoring-rule-new", args=[published.pk, "fit_rules"]) not in page
    section = client.get(reverse("scoring-rules", args=[published.pk, "fit_rules"]), **HTMX)
    assert section.status_code == 200
    assert "Job title contains &#x27;marketing&#x27; → +10" in section.content.decode()
    assert "Edit" not in section.content.decode()
    assert "Roll back" not in page
    listing = client.get(reverse("scoring-models")).content.decode()
    assert "New model" not in listing
    assert client.get(reverse("scoring-model-new")).status_code == 403


@pytest.mark.parametrize("role", READERS)
def test_readers_writes_are_refused(client, request, published, role):
    as_user(client, request.getfixturevalue(role))
    for url, data in write_posts(published):
        assert client.post(url, data).status_code == 403, url
        assert client.post(url, data, **HTMX).status_code == 403, url
    published.refresh_from_db()
    assert published.name == "Enterprise" and published.segment == []
    assert FitRule.objects.count() == 1
    assert ModelVersion.objects.count() == 1


def test_marketer_sees_edit_controls(client, marketer, published):
    page = as_user(client, marketer).get(reverse("scoring-model", args=[published.pk]))
    html = page.content.decode()
    for control in ("Add a rule", "Save settings", "Publish the draft", "Add condition"):
        assert control in html


def test_navigation_links_to_scoring_for_who_may_read_it(client, rep):
    html = as_user(client, rep).get(reverse("contacts")).content.decode()
    assert f'href="{reverse("scoring-models")}"' in html
    client.force_login(UserFactory())
    html = client.get(reverse("contacts")).content.decode()
    assert f'href="{reverse("scoring-models")}"' not in html


def test_a_rule_of_another_model_is_not_found(client, marketer, published):
    other = model_create(data={**BASE, "name": "SMB"}, by=marketer)
    rule = published.fitrules.get()
    as_user(client, marketer)
    url = reverse("scoring-rule-edit", args=[other.pk, "fit_rules", rule.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, fit_form(points="99")).status_code == 404
    url = reverse("scoring-rule-delete", args=[other.pk, "engagement_rules", rule.pk])
    assert client.post(url).status_code == 404
    assert client.get(reverse("scoring-rules", args=[other.pk, "nonsense"])).status_code == 404
    rule.refresh_from_db()
    assert rule.points == 10


# --- list and new model -----------------------------------------------------------------------


def test_list_shows_each_model_with_its_publication_state(client, marketer, published):
    model_create(data={**BASE, "name": "SMB", "is_active": False}, by=marketer)
    html = as_user(client, marketer).get(reverse("scoring-models")).content.decode()
    assert "New model" in html
    enterprise, smb = html.split("Enterprise", 1)[1].split("SMB", 1)
    assert "v1" in enterprise and "Active" in enterprise and "Unpublished" not in enterprise
    assert "Never" in smb and "Unpublished changes" in smb and "Inactive" in smb

    rule_add(model=published, kind="fit_rules", data=SIZE)
    html = client.get(reverse("scoring-models")).content.decode()
    assert "Unpublished changes" in html.split("Enterprise", 1)[1].split("SMB", 1)[0]


def test_list_summarises_the_segment(client, marketer):
    segment = [{"field": "company.employee_count", "operator": "gte", "value": 500}]
    model_create(data={**BASE, "name": "Big", "segment": segment}, by=marketer)
    html = as_user(client, marketer).get(reverse("scoring-models")).content.decode()
    assert "Company employee count at least 500" in html


def test_marketer_creates_a_model(client, marketer):
    data = {**settings_form(ScoringModel(name="Enterprise", priority=3)), "description": "Big"}
    response = as_user(client, marketer).post(reverse("scoring-model-new"), data)
    model = ScoringModel.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("scoring-model", args=[model.pk])
    assert (model.name, model.priority, model.created_by) == ("Enterprise", 3, marketer)


def test_new_model_errors_are_shown_next_to_the_field(client, marketer, model):
    as_user(client, marketer)
    data = settings_form(ScoringModel(name="Enterprise", priority=0))
    response = client.post(reverse("scoring-model-new"), data)
    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
    assert "exists" in response.content.decode()
    response = client.post(
        reverse("scoring-model-new"), {**data, "name": "New", "grade_b_min": "100"}
    )
    assert response.status_code == 400
    assert "Grade A must start above grade B" in response.content.decode()
    assert ScoringModel.objects.count() == 1


# --- settings and segment ---------------------------------------------------------------------


def test_settings_are_saved(client, marketer, model):
    data = settings_form(model, fit_min="35", total_min="90", is_active="")
    response = as_user(client, marketer).post(reverse("scoring-settings", args=[model.pk]), data)
    assert response.status_code == 302
    model.refresh_from_db()
    assert (model.fit_min, model.total_min, model.is_active) == (35, 90, False)


def test_settings_errors_are_shown_next_to_the_field_in_the_htmx_partial(client, marketer, model):
    data = settings_form(model, lookback_days="0")
    url = reverse("scoring-settings", args=[model.pk])
    response = as_user(client, marketer).post(url, data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<article id="settings">') and "<html" not in html
    assert 'id="id_lookback_days_error"' in html
    model.refresh_from_db()
    assert model.lookback_days == BASE["lookback_days"]

    response = client.post(url, settings_form(model, engagement_min="30"), **HTMX)
    assert response.status_code == 200 and "Saved to the draft" in response.content.decode()
    model.refresh_from_db()
    assert model.engagement_min == 30


def test_segment_conditions_are_added_and_removed(client, marketer, model):
    as_user(client, marketer)
    url = reverse("scoring-segment-add", args=[model.pk])
    response = client.post(
        url,
        {"field": "company.employee_count", "operator": "gte", "value": "500"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Company employee count at least 500" in response.content.decode()
    client.post(
        url, {"field": "attribute", "attribute": "plan", "operator": "equals", "value": "Pro"}
    )
    model.refresh_from_db()
    assert model.segment == [
        {"field": "company.employee_count", "operator": "gte", "value": 500.0},
        {"field": "attributes.plan", "operator": "equals", "value": "pro"},
    ]
    client.post(reverse("scoring-segment-remove", args=[model.pk, 0]), **HTMX)
    model.refresh_from_db()
    assert model.segment == [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]


def test_segment_form_offers_only_operators_fitting_the_field(client, marketer, model):
    url = reverse("scoring-segment-form", args=[model.pk])
    data = {"field": "company.employee_count", "operator": "", "value": ""}
    html = as_user(client, marketer).post(url, data, **HTMX).content.decode()
    assert 'value="gte"' in html and 'value="starts_with"' not in html
    html = client.post(url, {**data, "field": "attribute"}, **HTMX).content.decode()
    assert 'name="attribute"' in html and 'value="starts_with"' in html
    model.refresh_from_db()
    assert model.segment == []


def test_segment_errors_are_shown_next_to_the_field(client, marketer, model):
    as_user(client, marketer)
    response = client.post(
        reverse("scoring-segment-add", args=[model.pk]),
        {"field": "company.employee_count", "operator": "contains", "value": "5"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_operator_error"' in html and "does not fit" in html
    model.refresh_from_db()
    assert model.segment == []


# --- rules ------------------------------------------------------------------------------------


def test_marketer_adds_a_fit_rule_with_htmx(client, marketer, model):
    url = reverse("scoring-rule-new", args=[model.pk, "fit_rules"])
    as_user(client, marketer)
    form = client.get(url, **HTMX)
    assert form.status_code == 200 and 'name="points"' in form.content.decode()
    response = client.post(
        url,
        fit_form(field="company.employee_count", operator="between", value="100, 500", points="-5"),
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="rules-fit_rules"') and "<html" not in html
    assert "Company employee count between 100 and 500 → -5" in html
    # The page head and the publish card learn out of band that the draft changed.
    assert '<span id="draft-status" hx-swap-oob="true"><span class="tag warn">' in html
    assert '<small id="publish-hint" class="muted" hx-swap-oob="true">Not published' in html
    rule = FitRule.objects.get(model=model)
    assert (rule.field, rule.operator, rule.value, rule.points) == (
        "company.employee_count",
        "between",
        [100.0, 500.0],
        -5,
    )


def test_rule_errors_are_shown_next_to_the_field(client, marketer, model):
    url = reverse("scoring-rule-new", args=[model.pk, "fit_rules"])
    as_user(client, marketer)
    cases = [
        (fit_form(field="company.employee_count", operator="contains"), "operator"),
        (fit_form(field="company.employee_count", operator="gte", value="lots"), "value"),
        (fit_form(points="0"), "points"),
        (fit_form(points="many"), "points"),
        (fit_form(field="nonsense"), "field"),
        (fit_form(field="attribute", attribute="no spaces"), "field"),
    ]
    for data, field in cases:
        for extra in ({}, HTMX):
            response = client.post(url, data, **extra)
            assert response.status_code == 400, data
            assert f'id="id_{field}_error"' in response.content.decode(), data
    assert not FitRule.objects.exists()


def test_engagement_rule_errors_name_the_nested_field(client, marketer, model):
    url = reverse("scoring-rule-new", args=[model.pk, "engagement_rules"])
    data = {"event_type": "page_view", "mode": "once_at_count", "points": "5", "min_count": ""}
    response = as_user(client, marketer).post(url, data, **HTMX)
    assert response.status_code == 400
    assert 'id="id_min_count_error"' in response.content.decode()
    data = {
        "event_type": "page_view",
        "mode": "per_occurrence",
        "points": "5",
        "cap": "20",
        "property_name": "url",
        "property_operator": "",
        "property_value": "/pricing",
    }
    response = client.post(url, data, **HTMX)
    assert 'id="id_property_operator_error"' in response.content.decode()
    response = client.post(url, {**data, "property_operator": "contains"}, **HTMX)
    assert response.status_code == 200
    rule = EngagementRule.objects.get(model=model)
    assert (rule.property_name, rule.property_value, rule.cap) == ("url", "/pricing", 20)


def test_disqualifier_is_added_with_its_label(client, marketer, model):
    url = reverse("scoring-rule-new", args=[model.pk, "disqualifiers"])
    data = {"label": "", "field": "email", "operator": "email_domain_in", "value": "gmail.com"}
    response = as_user(client, marketer).post(url, data, **HTMX)
    assert response.status_code == 400 and 'id="id_label_error"' in response.content.decode()
    response = client.post(url, {**data, "label": "Free mail", "value": "gmail.com, @yahoo.com"})
    assert response.status_code == 302
    rule = model.disqualifiers.get()
    assert (rule.label, rule.value) == ("Free mail", ["gmail.com", "yahoo.com"])


def test_rule_form_offers_only_operators_fitting_the_field(client, marketer, model):
    url = reverse("scoring-rule-form", args=[model.pk, "fit_rules"])
    as_user(client, marketer)
    html = client.post(url, fit_form(field="company.employee_count"), **HTMX).content.decode()
    assert 'value="between"' in html and 'value="contains"' not in html
    html = client.post(url, fit_form(field="job_title"), **HTMX).content.decode()
    assert 'value="contains"' in html and 'value="between"' not in html
    assert not FitRule.objects.exists()
    assert client.post(url, {**fit_form(), "rule": "x1"}, **HTMX).status_code == 404
    html = client.post(
        reverse("scoring-rule-form", args=[model.pk, "engagement_rules"]),
        {"event_type": "page_view", "mode": "once_at_count"},
        **HTMX,
    ).content.decode()
    assert 'name="min_count"' in html and 'name="cap"' not in html


def test_marketer_edits_a_rule(client, marketer, model):
    rule = rule_add(model=model, kind="fit_rules", data=TITLE)
    url = reverse("scoring-rule-edit", args=[model.pk, "fit_rules", rule.pk])
    as_user(client, marketer)
    form = client.get(url, **HTMX).content.decode()
    assert 'value="marketing"' in form and 'value="10"' in form
    response = client.post(url, fit_form(value="sales", points="15"), **HTMX)
    assert response.status_code == 200
    rule.refresh_from_db()
    assert (rule.value, rule.points) == ("sales", 15)
    response = client.post(url, fit_form(value="", points="15"), **HTMX)
    assert response.status_code == 400 and 'id="id_value_error"' in response.content.decode()
    rule.refresh_from_db()
    assert rule.value == "sales"


def test_marketer_reorders_and_deletes_rules(client, marketer, model):
    a = rule_add(model=model, kind="fit_rules", data=TITLE)
    b = rule_add(model=model, kind="fit_rules", data=SIZE)
    as_user(client, marketer)
    move = reverse("scoring-rule-move", args=[model.pk, "fit_rules", b.pk])
    response = client.post(move, {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    order = list(model.fitrules.order_by("position").values_list("pk", flat=True))
    assert order == [b.pk, a.pk]
    html = response.content.decode()
    assert html.index("Company employee count at least 500") < html.index(
        "Job title contains &#x27;marketing&#x27;"
    )
    client.post(move, {"direction": "up"}, **HTMX)  # already first: nothing changes
    assert list(model.fitrules.order_by("position").values_list("pk", flat=True)) == order

    response = client.post(reverse("scoring-rule-delete", args=[model.pk, "fit_rules", b.pk]))
    assert response.status_code == 302
    assert list(model.fitrules.values_list("pk", flat=True)) == [a.pk]


# --- publish, versions, rollback, diff --------------------------------------------------------


def test_marketer_publishes_with_a_note(client, marketer, model):
    rule_add(model=model, kind="fit_rules", data=TITLE)
    as_user(client, marketer)
    response = client.post(reverse("scoring-publish", args=[model.pk]), {"note": "Launch"})
    assert response.status_code == 302
    version = ModelVersion.objects.get(model=model)
    assert (version.number, version.note, version.published_by) == (1, "Launch", marketer)
    page = client.get(reverse("scoring-model", args=[model.pk])).content.decode()
    assert "Published version 1" in page and "Launch" in page


def test_publish_errors_are_shown_next_to_the_note(client, marketer, published):
    as_user(client, marketer)
    url = reverse("scoring-publish", args=[published.pk])
    response = client.post(url, {"note": ""})
    assert response.status_code == 400 and 'id="id_note_error"' in response.content.decode()
    response = client.post(url, {"note": "again"})
    assert response.status_code == 400
    assert "Nothing changed since version 1" in response.content.decode()
    assert ModelVersion.objects.count() == 1


def test_version_history_diff_and_rollback(client, marketer, published):
    rule_add(model=published, kind="fit_rules", data=SIZE)
    model_publish(model=published, by=marketer, note="size matters")
    as_user(client, marketer)

    page = client.get(reverse("scoring-model", args=[published.pk])).content.decode()
    assert "size matters" in page and "first" in page and "Roll back to v1" in page

    diff = client.get(reverse("scoring-diff", args=[published.pk]) + "?a=1&b=2")
    html = diff.content.decode()
    assert diff.status_code == 200
    assert "added" in html and "Company employee count at least 500 → +20" in html
    bad = client.get(reverse("scoring-diff", args=[published.pk]) + "?a=1&b=9")
    assert bad.status_code == 400 and "No such version" in bad.content.decode()

    v1 = client.get(reverse("scoring-version", args=[published.pk, 1])).content.decode()
    assert "Job title contains &#x27;marketing&#x27; → +10" in v1 and "employee count" not in v1

    response = client.post(reverse("scoring-rollback", args=[published.pk, 1]))
    assert response.status_code == 302
    latest = published.versions.order_by("-number").first()
    assert latest.number == 3 and latest.published_by == marketer
    assert [r["field"] for r in latest.definition["fit_rules"]] == ["job_title"]
    assert list(published.fitrules.values_list("field", flat=True)) == ["job_title"]
