"""The HTML pages, for every role: who sees what, and what each page shows."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from leads.models import LifecycleStage, StageChange
from leads.services import stage_change
from tests.factories import ActivityEventFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["contacts", "profile", "api-docs"]


def login(client, user):
    client.force_login(user)
    return client


# --- login required -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_anonymous_is_sent_to_login_from_a_contact_page(client, contact):
    response = client.get(reverse("contact", args=[contact.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_cannot_change_a_stage(client, contact):
    response = client.post(
        reverse("contact-stage", args=[contact.pk]), {"to_stage": "mql", "reason": "x"}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.LEAD


def test_home_redirects_to_contacts_when_no_app_above_picks_a_page(client, db):
    response = login(client, UserFactory()).get("/")
    assert response.status_code == 302
    assert response.url == reverse("contacts")


@pytest.mark.parametrize("role", ["marketer", "rep", "manager", "admin_user"])
@pytest.mark.parametrize("name", PAGES)
def test_every_role_sees_every_page(client, request, role, name):
    user = request.getfixturevalue(role)
    assert login(client, user).get(reverse(name)).status_code == 200


# --- navigation by role -----------------------------------------------------------------------


def test_navigation_shows_import_only_to_who_may_import(client, marketer, rep):
    page = login(client, marketer).get(reverse("contacts")).content.decode()
    assert 'href="/import/"' in page
    assert 'href="/api/docs/"' in page
    assert reverse("profile") in page
    client.logout()
    page = login(client, rep).get(reverse("contacts")).content.decode()
    assert 'href="/import/"' not in page
    assert "Sales rep" in page


def test_navigation_shows_admin_only_to_staff(client, marketer, admin_user):
    assert "/admin/" not in login(client, marketer).get(reverse("contacts")).content.decode()
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)
    assert 'href="/admin/"' in client.get(reverse("contacts")).content.decode()


def test_logout_is_a_post_form(client, marketer):
    page = login(client, marketer).get(reverse("contacts")).content.decode()
    assert f'method="post" action="{reverse("logout")}"' in page
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("contacts")).status_code == 302


# --- contacts list ----------------------------------------------------------------------------


def test_rep_sees_only_own_contacts_in_the_list(client, rep, other_rep):
    mine = ContactFactory(first_name="Mine", owner=rep)
    theirs = ContactFactory(first_name="Theirs", owner=other_rep)
    page = login(client, rep).get(reverse("contacts")).content.decode()
    assert mine.email in page
    assert theirs.email not in page
    assert 'name="owner"' not in page  # no owner filter for reps


def test_marketer_sees_all_contacts_and_can_filter_by_owner(client, marketer, rep, other_rep):
    mine = ContactFactory(owner=rep)
    theirs = ContactFactory(owner=other_rep)
    client = login(client, marketer)
    page = client.get(reverse("contacts")).content.decode()
    assert mine.email in page and theirs.email in page
    page = client.get(reverse("contacts"), {"owner": rep.pk}).content.decode()
    assert mine.email in page and theirs.email not in page


def test_search_and_stage_filter_narrow_the_list(client, marketer):
    ada = ContactFactory(first_name="Ada", last_name="Lovelace")
    grace = ContactFactory(first_name="Grace", last_name="Hopper")
    mql = ContactFactory(first_name="Mia", lifecycle_stage=LifecycleStage.MQL)
    client = login(client, marketer)
    page = client.get(reverse("contacts"), {"search": "lovelace"}).content.decode()
    assert ada.email in page and grace.email not in page
    page = client.get(reverse("contacts"), {"stage": "mql"}).content.decode()
    assert mql.email in page and ada.email not in page
    # The filters stay in the form, so the URL can be bookmarked and shared.
    assert 'value="mql"' in page and "checked" in page


def test_no_match_shows_an_empty_state(client, marketer, contact):
    page = login(client, marketer).get(reverse("contacts"), {"search": "zzzz"}).content.decode()
    assert "No contacts match" in page


def test_rep_without_contacts_sees_a_helpful_empty_state(client, rep, contact):
    page = login(client, rep).get(reverse("contacts")).content.decode()
    assert "You don't own any contacts yet" in page


def test_invalid_filter_value_is_reported_next_to_the_field(client, marketer, contact):
    response = login(client, marketer).get(reverse("contacts"), {"created_after": "not-a-date"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check the filters" in page
    assert "Created from" in page and "Enter a valid date" in page
    assert contact.email not in page


def test_sorting_by_a_whitelisted_key_and_ignoring_others(client, marketer):
    ContactFactory(email="b@example.com", last_name="Bravo")
    ContactFactory(email="a@example.com", last_name="Alpha")
    client = login(client, marketer)
    page = client.get(reverse("contacts"), {"sort": "name"}).content.decode()
    assert page.index("a@example.com") < page.index("b@example.com")
    page = client.get(reverse("contacts"), {"sort": "-name"}).content.decode()
    assert page.index("b@example.com") < page.index("a@example.com")
    # An unknown key (e.g. a field name a user could abuse) falls back to newest first.
    response = client.get(reverse("contacts"), {"sort": "owner__password"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("a@example.com") < page.index("b@example.com")


def test_pagination_keeps_filters(client, marketer):
    for i in range(30):
        ContactFactory(email=f"p{i:02}@example.com", source="webinar")
    client = login(client, marketer)
    page = client.get(reverse("contacts"), {"source": "webinar", "sort": "email"}).content.decode()
    assert "p00@example.com" in page and "p25@example.com" not in page
    assert "Page 1 of 2" in page
    assert "?source=webinar&amp;sort=email&amp;page=2" in page
    page = client.get(
        reverse("contacts"), {"source": "webinar", "sort": "email", "page": 2}
    ).content.decode()
    assert "p25@example.com" in page and "p00@example.com" not in page
    assert client.get(reverse("contacts"), {"page": "999"}).status_code == 200


def test_htmx_request_gets_only_the_results(client, marketer, contact):
    client = login(client, marketer)
    response = client.get(reverse("contacts"), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="results"')
    assert contact.email in page
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]
    full = client.get(
        reverse("contacts"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in full.content.decode()


def test_contacts_list_query_count_does_not_grow_with_rows(
    client, marketer, django_assert_max_num_queries
):
    for _ in range(25):
        ContactFactory()
    client = login(client, marketer)
    with django_assert_max_num_queries(10):
        client.get(reverse("contacts"))


# --- contact page -----------------------------------------------------------------------------


def test_contact_page_shows_profile_company_history_and_timeline(client, marketer, contact):
    stage_change(contact=contact, to_stage="mql", reason="Score 80", system="scoring")
    ActivityEventFactory(contact=contact, properties={"url": "/pricing"})
    page = login(client, marketer).get(reverse("contact", args=[contact.pk])).content.decode()
    assert contact.full_name in page
    assert contact.company.name in page
    assert "Lifecycle history" in page
    assert "Score 80" in page and "scoring" in page
    assert "/pricing" in page and "Page view" in page
    assert f'action="{reverse("contact-stage", args=[contact.pk])}"' in page


def test_contact_page_shows_time_in_each_stage(client, marketer):
    start = timezone.now() - timedelta(days=10)
    with time_machine.travel(start, tick=False):
        contact = ContactFactory()
    stage_change(
        contact=contact, to_stage="mql", reason="r", system="scoring", now=start + timedelta(days=3)
    )
    with time_machine.travel(start + timedelta(days=10, hours=2), tick=False):
        page = login(client, marketer).get(reverse("contact", args=[contact.pk])).content.decode()
    assert "<td>3 d</td>" in page.replace("\n", "")  # lead: from creation to the move
    assert "7 d 2 h <small" in page  # mql: still there
    assert "(current)" in page


def test_timeline_is_newest_first_and_limited(client, marketer, contact):
    now = timezone.now()
    for i in range(105):
        ActivityEventFactory(
            contact=contact, occurred_at=now - timedelta(minutes=i), properties={"url": f"/p{i}"}
        )
    page = login(client, marketer).get(reverse("contact", args=[contact.pk])).content.decode()
    assert page.index("/p0<") < page.index("/p1<")
    assert "/p99<" in page and "/p100<" not in page
    assert "The latest 100 of 105 events" in page


def test_rep_cannot_see_someone_elses_contact(client, rep, other_rep):
    theirs = ContactFactory(owner=other_rep)
    response = login(client, rep).get(reverse("contact", args=[theirs.pk]))
    assert response.status_code == 404


def test_rep_sees_own_contact(client, rep):
    mine = ContactFactory(owner=rep)
    assert login(client, rep).get(reverse("contact", args=[mine.pk])).status_code == 200


def test_missing_contact_is_404(client, marketer):
    assert login(client, marketer).get(reverse("contact", args=[999999])).status_code == 404


# --- stage change form ------------------------------------------------------------------------


def test_marketer_changes_the_stage_from_the_contact_page(client, marketer, contact):
    response = login(client, marketer).post(
        reverse("contact-stage", args=[contact.pk]),
        {"to_stage": "mql", "reason": "Asked for a demo"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("contact", args=[contact.pk])
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.MQL
    change = StageChange.objects.filter(contact=contact).last()
    assert (change.actor_user, change.reason) == (marketer, "Asked for a demo")
    assert "Moved to MQL" in response.content.decode()


def test_skipping_stages_without_override_shows_the_error_next_to_override(
    client, marketer, contact
):
    response = login(client, marketer).post(
        reverse("contact-stage", args=[contact.pk]),
        {"to_stage": "customer", "reason": "Signed"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="override_errors"' in page and "skips stages" in page
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.LEAD
    assert StageChange.objects.filter(contact=contact).count() == 1


def test_skipping_stages_with_override_works(client, marketer, contact):
    login(client, marketer).post(
        reverse("contact-stage", args=[contact.pk]),
        {"to_stage": "customer", "reason": "Signed", "override": "on"},
    )
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.CUSTOMER
    assert StageChange.objects.filter(contact=contact).last().override is True


def test_missing_reason_is_shown_next_to_the_field(client, marketer, contact):
    response = login(client, marketer).post(
        reverse("contact-stage", args=[contact.pk]), {"to_stage": "mql", "reason": ""}
    )
    assert response.status_code == 400
    assert 'id="reason_errors"' in response.content.decode()
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.LEAD


def test_unknown_stage_is_shown_next_to_the_field(client, marketer, contact):
    response = login(client, marketer).post(
        reverse("contact-stage", args=[contact.pk]), {"to_stage": "boss", "reason": "x"}
    )
    assert response.status_code == 400
    assert 'id="to_stage_errors"' in response.content.decode()


def test_rep_cannot_change_the_stage_of_someone_elses_contact(client, rep, other_rep):
    theirs = ContactFactory(owner=other_rep)
    response = login(client, rep).post(
        reverse("contact-stage", args=[theirs.pk]), {"to_stage": "mql", "reason": "mine now"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.lifecycle_stage == LifecycleStage.LEAD


def test_user_without_change_stage_permission_gets_no_form_and_403(client, contact):
    viewer = UserFactory()
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_contact", "view_all_contacts"])
    )
    client = login(client, viewer)
    page = client.get(reverse("contact", args=[contact.pk])).content.decode()
    assert "Change stage" not in page
    response = client.post(
        reverse("contact-stage", args=[contact.pk]), {"to_stage": "mql", "reason": "x"}
    )
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.LEAD
