"""A normal start and normal use log no warnings: refused and missing pages are INFO lines
without a traceback, the development database starts without a check warning, what tasks print
is output, and /favicon.ico answers."""

import logging
import os
import subprocess
import sys
from pathlib import Path

from django.utils.log import log_response

from config.celery import app

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_refused_page_is_one_info_line_without_a_traceback(client, rep, caplog):
    client.force_login(rep)
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/feedback/").status_code == 403
    [record] = request_records(caplog)
    assert (record.levelno, record.exc_info) == (logging.INFO, None)
    assert record.getMessage().startswith("Forbidden")


def test_a_missing_page_is_an_info_line(client, rep, caplog):
    client.force_login(rep)
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/contacts/999999999/").status_code == 404
    [record] = request_records(caplog)
    assert record.levelno == logging.INFO


def test_a_server_error_stays_an_error(rf, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = type("Response", (), {"status_code": 500, "_has_been_logged": False})()
        log_response("Internal Server Error: %s", "/x", response=response, request=rf.get("/x"))
    [record] = request_records(caplog)
    assert record.levelno == logging.ERROR


def test_the_favicon_answers_without_a_login(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg")


def test_tasks_print_at_info_not_as_warnings():
    assert app.conf.worker_redirect_stdouts_level == "INFO"


def test_the_development_database_starts_without_a_check_warning(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LEADBRIDGE_VAR_DIR": str(tmp_path),
    }
    env.pop("CELERY_BROKER_URL", None)  # the zero-setup filesystem broker
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "System check identified no issues" in output
    assert "W040" not in output and "WARNING" not in output
