"""The score panel on the contact page and the draft preview panel of the model page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.engine import Scope, score_chunk
from scoring.models import ContactScore
from scoring.services import model_publish, rule_add
from tests.factories import ActivityEventFactory, ContactFactory, published_model

pytestmark = pytest.mark.django_db

EVERYONE = Scope(lo=0, hi=2**62)
MARKETING = {"field": "job_title", "operator": "contains", "value": "marketing", "points": 30}
SALES = {"field": "job_title", "operator": "contains", "value": "sales", "points": 30}
PRICING = {
    "event_type": "page_view",
    "mode": "per_occurrence",
    "points": 5,
    "cap": 20,
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
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def model(marketer):
    """Fit ≥ 20 and engagement ≥ 10 make an MQL; v1: marketing titles and pricing views."""
    return published_model(
        by=marketer,
        name="Everyone",
        fit=[MARKETING],
        engagement=[PRICING],
        disqualifiers=[FREEMAIL],
    )


def score_all(model, now=None):
    return score_chunk(
        version=model.versions.latest("number"), now=now or timezone.now(), scope=EVERYONE
    )


@pytest.fixture
def ada(rep):
    ada = ContactFactory(job_title="Head of Marketing", email="ada@acme.example", owner=rep)
    for days in (1, 2, 3):
        ActivityEventFactory(
            contact=ada,
            occurred_at=timezone.now() - timedelta(days=days),
            properties={"url": "/pricing"},
        )
    return ada


def contact_page(client, user, contact):
    client.force_login(user)
    return client.get(reverse("contact", args=[contact.pk]))


# --- score panel ------------------------------------------------------------------------------


def test_contact_page_shows_the_score_and_why(client, marketer, model, ada):
    score_all(model)
    response = contact_page(client, marketer, ada)
    html = response.content.decode()
    assert response.status_code == 200
    panel = html.split('<article id="score">', 1)[1].split("</article>", 1)[0]
    assert '<span class="kpi" id="score-total">45</span>' in panel  # 30 fit + 3 × 5 engagement
    assert "MQL-eligible" in panel
    assert "Everyone · v1" in panel
    assert "Job title contains &#x27;marketing&#x27; → +30" in panel
    assert "Page view where url contains &#x27;/pricing&#x27;" in panel
    assert "+15" in panel  # the points the engagement rule gave
    assert '<span class="kpi" id="score-grade">C</span>' in panel  # fit 30: C from 20, B from 40
    assert 'id="score-history"' in panel and "chart.umd.min.js" in html


def test_score_panel_grade_and_history_follow_the_scores(client, marketer, model, ada):
    score_all(model, now=timezone.now() - timedelta(days=1))
    rule_add(model=model, kind="fit_rules", data={**SALES, "value": "head", "points": 35})
    model_publish(model=model, by=marketer, note="heads count")
    score_all(model)
    html = contact_page(client, marketer, ada).content.decode()
    score = ContactScore.objects.get(contact=ada)
    assert (score.fit, score.grade) == (65, "A")
    assert "Everyone · v2" in html
    history = html.split('<script id="score-history" type="application/json">', 1)[1]
    history = history.split("</script>", 1)[0]
    assert history.count('"total"') == 2 and "45.0" in history and "80.0" in history


def test_score_panel_names_the_blocking_disqualifier(client, marketer, model):
    blocked = ContactFactory(job_title="Marketing lead", email="kim@gmail.com")
    score_all(model)
    html = contact_page(client, marketer, blocked).content.decode()
    assert "Blocked: Free-mail address" in html
    assert "Free-mail address: email domain is one of &#x27;gmail.com&#x27; → never an MQL" in html
    assert "MQL-eligible" not in html


def test_unscored_contact_says_so(client, marketer, contact):
    html = contact_page(client, marketer, contact).content.decode()
    assert "Not scored yet" in html
    assert "chart.umd.min.js" not in html


def test_rep_sees_the_score_of_own_contacts_only(client, rep, other_rep, model, ada):
    score_all(model)
    assert "MQL-eligible" in contact_page(client, rep, ada).content.decode()
    assert contact_page(client, other_rep, ada).status_code == 404


# --- preview ----------------------------------------------------------------------------------


def test_preview_compares_the_draft_with_the_published_version(client, marketer, model, ada):
    sales = ContactFactory(job_title="Sales Director", email="sam@corp.example")
    for days in (1, 2):
        ActivityEventFactory(
            contact=sales,
            properties={"url": "/pricing"},
            occurred_at=timezone.now() - timedelta(days=days),
        )
    # The draft: sales titles count too, and acme.example becomes a disqualified domain.
    rule_add(model=model, kind="fit_rules", data=SALES)
    rule_add(
        model=model,
        kind="disqualifiers",
        data={**FREEMAIL, "label": "Partner", "value": ["acme.example"]},
    )
    client.force_login(marketer)
    page = client.get(reverse("scoring-model", args=[model.pk])).content.decode()
    assert 'hx-get="' + reverse("scoring-preview", args=[model.pk]) in page

    response = client.get(reverse("scoring-preview", args=[model.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    kpis = [k.split("</span>")[0] for k in html.split('<span class="kpi')[1:]]
    assert kpis == ['">1', '">1', ' gained">+1', ' lost">−1']
    gained = html.split("Gained, e.g.", 1)[1].split("Lost, e.g.", 1)[0]
    lost = html.split("Lost, e.g.", 1)[1]
    assert reverse("contact", args=[sales.pk]) in gained and "Sales Director" not in lost
    assert reverse("contact", args=[ada.pk]) in lost
    assert "By current stage" in html and "Lead" in html
    assert not ContactScore.objects.exists()  # nothing written


@pytest.mark.parametrize("role", ["rep"])
def test_preview_is_for_who_sees_every_contact(client, request, role, model):
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("scoring-model", args=[model.pk])).content.decode()
    assert "Preview the draft" not in page
    assert client.get(reverse("scoring-preview", args=[model.pk]), **HTMX).status_code == 403


def test_manager_may_preview(client, manager, model):
    client.force_login(manager)
    response = client.get(reverse("scoring-preview", args=[model.pk]), **HTMX)
    assert (
        response.status_code == 200 and "MQL-eligible under the draft" in response.content.decode()
    )


def test_anonymous_cannot_preview(client, model):
    response = client.get(reverse("scoring-preview", args=[model.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
