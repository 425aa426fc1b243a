"""Security headers on every response, and production settings passing check --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parent.parent


def assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in directives["script-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    return directives


def test_login_page_has_security_headers(client):
    directives = assert_security_headers(client.get(reverse("login")))
    assert "unsafe-inline" not in directives["style-src"]


@pytest.mark.parametrize("name", ["contacts", "profile"])
def test_pages_have_security_headers_and_no_inline_styles(client, marketer, name):
    client.force_login(marketer)
    response = client.get(reverse(name))
    assert response.status_code == 200
    directives = assert_security_headers(response)
    assert "unsafe-inline" not in directives["style-src"]


def test_contact_page_has_security_headers(client, marketer):
    client.force_login(marketer)
    assert_security_headers(client.get(reverse("contact", args=[ContactFactory().pk])))


def test_api_response_has_security_headers(api_as, marketer):
    assert_security_headers(api_as(marketer).get("/api/v1/contacts/"))


def test_api_docs_page_loosens_styles_only(client, marketer):
    client.force_login(marketer)
    page = client.get(reverse("api-docs"))
    directives = assert_security_headers(page)
    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["script-src"] == "'self'"
    # Its init script is a separate file, not inline.
    assert "<script>" not in page.content.decode()
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_session_and_csrf_cookies_are_http_only(client, marketer):
    response = client.post(reverse("login"), {"username": "marketer", "password": "pw"})
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def production_env() -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        # (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for this process only)
        if k
        not in {
            "DEBUG",
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "SECRET_KEY",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="leadbridge.example.com",
    )
    return env


@pytest.mark.django_db(False)
def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = production_env()
    env["LEADBRIDGE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "security.W" not in output


@pytest.mark.django_db(False)
def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]
    env["LEADBRIDGE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
