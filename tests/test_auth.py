"""Login, logout, lockout and API tokens."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw"  # tests.factories.UserFactory's password


def post_login(client, username, password, next_url=""):
    return client.post(
        reverse("login"), {"username": username, "password": password, "next": next_url}
    )


# --- login / logout ---------------------------------------------------------------------------


def test_login_page_renders_for_anonymous(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_login_with_the_right_password_goes_to_the_contacts(client, marketer):
    response = post_login(client, "marketer", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("contacts")).status_code == 200


def test_login_follows_next(client, marketer):
    response = post_login(client, "marketer", PASSWORD, next_url="/accounts/profile/")
    assert response.url == "/accounts/profile/"


def test_login_does_not_redirect_to_another_site(client, marketer):
    response = post_login(client, "marketer", PASSWORD, next_url="https://evil.example/")
    assert response.url == reverse("home")


def test_wrong_password_shows_an_error_and_does_not_log_in(client, marketer):
    response = post_login(client, "marketer", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get(reverse("contacts")).status_code == 302


def test_login_rotates_the_session_key(client, marketer):
    session = client.session
    session["before_login"] = True
    session.save()
    old_key = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == old_key

    post_login(client, "marketer", PASSWORD)

    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)  # the old key no longer opens a session
    assert SessionStore(session_key=new_key).get("_auth_user_id") == str(marketer.pk)


def test_logout_ends_the_session(client, marketer):
    post_login(client, "marketer", PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert not SessionStore().exists(key)
    assert client.get(reverse("contacts")).status_code == 302


def test_logout_by_get_is_refused(client, marketer):
    post_login(client, "marketer", PASSWORD)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("contacts")).status_code == 200


# --- lockout (django-axes) --------------------------------------------------------------------


def test_sixth_attempt_is_refused_even_with_the_right_password(client, marketer):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert post_login(client, "marketer", "wrong").status_code == 200
    fifth = post_login(client, "marketer", "wrong")
    assert fifth.status_code == 429  # the fifth failure reaches the limit
    response = post_login(client, "marketer", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get(reverse("contacts")).status_code == 302  # not logged in


def test_lockout_is_per_username(client, marketer, manager):
    for _ in range(5):
        post_login(client, "marketer", "wrong")
    assert post_login(client, "manager", PASSWORD).status_code == 302


def test_fewer_failures_than_the_limit_do_not_lock(client, marketer):
    for _ in range(4):
        post_login(client, "marketer", "wrong")
    assert post_login(client, "marketer", PASSWORD).status_code == 302


# --- API tokens: command ----------------------------------------------------------------------


def test_create_api_token_prints_a_working_token_as_last_line(capsys, api, marketer):
    call_command("create_api_token", "marketer")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    token = AuthToken.objects.get(user=marketer)
    assert key.startswith(settings.REST_KNOX["TOKEN_PREFIX"])
    assert token.digest != key and key not in token.digest  # only a hash is stored
    response = api.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_create_api_token_for_unknown_user_fails_clearly():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("create_api_token", "nobody")


def test_api_refuses_a_bad_token_and_no_token(api, marketer):
    assert api.get("/api/schema/").status_code in (401, 403)
    response = api.get("/api/v1/contacts/", HTTP_AUTHORIZATION="Token lb_notarealtoken")
    assert response.status_code == 401


def test_token_acts_with_its_users_roles(capsys, api, rep, other_rep):
    mine = ContactFactory(owner=rep)
    theirs = ContactFactory(owner=other_rep)
    call_command("create_api_token", "rep")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/contacts/{mine.pk}/").status_code == 200
    assert api.get(f"/api/v1/contacts/{theirs.pk}/").status_code == 404


# --- API tokens: profile page -----------------------------------------------------------------


def test_profile_creates_a_token_shown_once(client, api, marketer):
    client.force_login(marketer)
    response = client.post(reverse("token-create"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert api.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    # Shown once: the profile page lists the token by its prefix only.
    page = client.get(reverse("profile")).content.decode()
    assert key not in page
    assert AuthToken.objects.get(user=marketer).token_key in page


def test_profile_lists_only_own_tokens(client, marketer, manager):
    AuthToken.objects.create(user=manager)
    mine, _ = AuthToken.objects.create(user=marketer)
    client.force_login(marketer)
    tokens = list(client.get(reverse("profile")).context["tokens"])
    assert tokens == [mine]


def test_revoking_a_token_stops_it_working(client, api, marketer):
    token, key = AuthToken.objects.create(user=marketer)
    client.force_login(marketer)
    response = client.post(reverse("token-revoke", args=[token.digest]))
    assert response.status_code == 302
    assert not AuthToken.objects.filter(digest=token.digest).exists()
    assert api.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_cannot_revoke_someone_elses_token(client, marketer, manager):
    theirs, _ = AuthToken.objects.create(user=manager)
    client.force_login(marketer)
    response = client.post(reverse("token-revoke", args=[theirs.digest]))
    assert response.status_code == 404
    assert AuthToken.objects.filter(digest=theirs.digest).exists()


def test_token_create_and_revoke_need_post(client, marketer):
    token, _ = AuthToken.objects.create(user=marketer)
    client.force_login(marketer)
    assert client.get(reverse("token-create")).status_code == 405
    assert client.get(reverse("token-revoke", args=[token.digest])).status_code == 405
    assert AuthToken.objects.filter(user=marketer).count() == 1


def test_token_pages_need_login(client, marketer):
    token, _ = AuthToken.objects.create(user=marketer)
    assert client.post(reverse("token-create")).status_code == 302
    assert client.post(reverse("token-revoke", args=[token.digest])).status_code == 302
    assert AuthToken.objects.filter(user=marketer).count() == 1


def test_token_forms_need_csrf(marketer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(marketer)
    assert client.post(reverse("token-create")).status_code == 403
    assert not AuthToken.objects.filter(user=marketer).exists()
