"""The calibration page and API: what marketing sees, the figures beside each rule in the rule
editor, copying a threshold pair into the draft, and who may do what."""

import pytest
from django.urls import reverse

from core import roles
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_marketing_sees_the_rule_report_grid_and_frontier(client, marketer, history):
    client.force_login(marketer)
    response = client.get(reverse("insights:calibration-model", args=[history["model"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-rule="{}"'.format(history["a"]) in page
    assert "1.50×" in page  # rule A's lift
    assert 'class="heatmap"' in page and "thr-left" in page
    assert 'id="frontier"' in page and "junk-list" in page
    assert "js/calibration.js" in page


def test_the_calibration_list_links_every_model(client, marketer, history):
    client.force_login(marketer)
    page = client.get(reverse("insights:calibration")).content.decode()
    assert reverse("insights:calibration-model", args=[history["model"].pk]) in page


def test_the_rule_editor_shows_each_rules_figures(client, marketer, history):
    client.force_login(marketer)
    page = client.get(reverse("scoring-model", args=[history["model"].pk])).content.decode()
    assert "fired on 4 MQLs · 75% accepted · lift 1.5×" in page
    section = client.get(
        reverse("scoring-rules", args=[history["model"].pk, "fit_rules"]), HTTP_HX_REQUEST="true"
    )
    assert "fired on 4 MQLs" in section.content.decode()


def test_sales_sees_the_rule_editor_without_figures(client, history):
    client.force_login(user_with_role(roles.SALES_MANAGER, username="m9"))
    page = client.get(reverse("scoring-model", args=[history["model"].pk])).content.decode()
    assert "fired on" not in page


def test_the_frontier_finds_pairs_for_a_target(client, marketer, history):
    client.force_login(marketer)
    url = reverse("insights:calibration-frontier", args=[history["model"].pk])
    part = client.get(url, {"months": "6", "min_sql_rate": "90"}, HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert part.status_code == 200
    assert "frontier-matches" in body and "Copy into the draft" in body
    assert 'name="fit_min" value="30"' in body


@pytest.mark.parametrize(
    "query", [{"min_sql_rate": "150"}, {"months": "0"}, {"max_per_month": "x"}]
)
def test_a_bad_target_is_a_400_next_to_the_field(client, marketer, history, query):
    client.force_login(marketer)
    url = reverse("insights:calibration-frontier", args=[history["model"].pk])
    response = client.get(url, query, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    page = client.get(reverse("insights:calibration-model", args=[history["model"].pk]), query)
    assert page.status_code == 400


def test_copying_a_pair_sets_the_drafts_thresholds(client, marketer, history):
    model = history["model"]
    client.force_login(marketer)
    url = reverse("insights:calibration-thresholds", args=[model.pk])
    response = client.post(url, {"fit_min": "30", "engagement_min": "15"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Copied into the draft" in response.content.decode()
    model.refresh_from_db()
    assert (model.fit_min, model.engagement_min) == (30, 15)
    assert model.versions.count() == 1  # the draft only: nothing published


def test_copying_a_bad_pair_changes_nothing(client, marketer, history):
    model = history["model"]
    client.force_login(marketer)
    url = reverse("insights:calibration-thresholds", args=[model.pk])
    response = client.post(url, {"fit_min": "x", "engagement_min": "-1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "fit_min" in response.content.decode()
    model.refresh_from_db()
    assert (model.fit_min, model.engagement_min) == (20, 10)


@pytest.mark.parametrize("role", [roles.SALES_REP, roles.SALES_MANAGER])
def test_sales_may_not_open_calibration(client, history, role):
    client.force_login(user_with_role(role, username="seller"))
    pk = history["model"].pk
    assert client.get(reverse("insights:calibration")).status_code == 403
    assert client.get(reverse("insights:calibration-model", args=[pk])).status_code == 403
    post = client.post(
        reverse("insights:calibration-thresholds", args=[pk]),
        {"fit_min": "1", "engagement_min": "1"},
    )
    assert post.status_code == 403


def test_an_unknown_model_is_a_404(client, marketer, history):
    client.force_login(marketer)
    assert client.get(reverse("insights:calibration-model", args=[999999])).status_code == 404


# --- API ----------------------------------------------------------------------------------------


def test_api_rule_report(api_as, marketer, history):
    body = api_as(marketer).get(f"/api/v1/calibration/{history['model'].pk}/rules/?days=30")
    assert body.status_code == 200
    data = body.json()
    assert data["decided"] == 6
    rule = next(r for r in data["rules"] if r["key"] == history["a"])
    assert (rule["fired"], rule["lift"], rule["acceptance_fired"]) == (4, 1.5, 0.75)


def test_api_grid(api_as, marketer, history):
    data = api_as(marketer).get(f"/api/v1/calibration/{history['model'].pk}/grid/").json()
    assert data["fit_edges"] == [20, 30, 40, 50, 60]
    assert data["cells"][4][4]["count"] == 2
    assert data["thresholds"] == {"fit_min": 20, "engagement_min": 10, "total_min": None}


def test_api_frontier_with_a_target(api_as, marketer, history):
    url = f"/api/v1/calibration/{history['model'].pk}/frontier/?months=6&min_sql_rate=0.9"
    data = api_as(marketer).get(url).json()
    assert (data["matches"][0]["fit_min"], data["matches"][0]["mqls"]) == (30, 4)


@pytest.mark.parametrize(
    ("query", "field"),
    [("days=0", "days"), ("days=x", "days")],
)
def test_api_bad_period_is_a_400_naming_it(api_as, marketer, history, query, field):
    response = api_as(marketer).get(f"/api/v1/calibration/{history['model'].pk}/rules/?{query}")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("query", "field"),
    [("min_sql_rate=2", "min_sql_rate"), ("min_sql_rate=nan", "min_sql_rate"),
     ("max_per_month=-1", "max_per_month"), ("months=99", "months")],
)  # fmt: skip
def test_api_bad_target_is_a_400_naming_it(api_as, marketer, history, query, field):
    url = f"/api/v1/calibration/{history['model'].pk}/frontier/?{query}"
    response = api_as(marketer).get(url)
    assert response.status_code == 400
    assert field in response.json()


def test_api_copies_thresholds_into_the_draft(api_as, marketer, history):
    model = history["model"]
    url = f"/api/v1/calibration/{model.pk}/thresholds/"
    response = api_as(marketer).post(url, {"fit_min": 30, "engagement_min": 15}, format="json")
    assert response.status_code == 200
    assert response.json() == {"fit_min": 30, "engagement_min": 15, "total_min": None}
    bad = api_as(marketer).post(url, {"fit_min": 30}, format="json")
    assert bad.status_code == 400 and "engagement_min" in bad.json()


def test_api_refuses_sales(api_as, rep, history):
    pk = history["model"].pk
    api = api_as(rep)
    for path in ("rules", "grid", "frontier"):
        assert api.get(f"/api/v1/calibration/{pk}/{path}/").status_code == 403
    body = {"fit_min": 1, "engagement_min": 1}
    assert api.post(f"/api/v1/calibration/{pk}/thresholds/", body, format="json").status_code == 403
