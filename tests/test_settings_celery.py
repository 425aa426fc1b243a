"""The Celery settings a dead worker's recovery depends on: read from the environment, checked
at start with a message naming the variable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRINT = (
    "import json, config.settings as s; print(json.dumps([s.STALLED_WORK_AFTER_SECONDS,"
    " s.CELERY_VISIBILITY_TIMEOUT, s.CELERY_BROKER_TRANSPORT_OPTIONS.get('visibility_timeout')]))"
)
NAMES = (
    "STALLED_WORK_AFTER_SECONDS",
    "CELERY_VISIBILITY_TIMEOUT",
    "CELERY_TASK_TIME_LIMIT",
    "CELERY_TASK_SOFT_TIME_LIMIT",
)


def settings_with(tmp_path, **values):
    env = {k: v for k, v in os.environ.items() if k not in NAMES}
    env.update(
        DEBUG="true",
        LEADBRIDGE_VAR_DIR=str(tmp_path),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        **values,
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_defaults_notice_a_dead_worker_in_minutes_and_never_hand_out_a_running_task(tmp_path):
    result = settings_with(tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [180, 7200, 7200]


def test_both_are_read_from_the_environment(tmp_path):
    result = settings_with(
        tmp_path, STALLED_WORK_AFTER_SECONDS="5", CELERY_VISIBILITY_TIMEOUT="10800"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [5, 10800, 10800]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"STALLED_WORK_AFTER_SECONDS": "soon"}, "STALLED_WORK_AFTER_SECONDS must be a whole"),
        ({"STALLED_WORK_AFTER_SECONDS": "0"}, "STALLED_WORK_AFTER_SECONDS must be a number"),
        ({"CELERY_VISIBILITY_TIMEOUT": "2h"}, "CELERY_VISIBILITY_TIMEOUT must be a whole"),
        (
            {"CELERY_VISIBILITY_TIMEOUT": "3000"},
            "CELERY_VISIBILITY_TIMEOUT (3000) must be longer than CELERY_TASK_TIME_LIMIT (3600)",
        ),
        ({"CELERY_TASK_TIME_LIMIT": "0"}, "CELERY_TASK_TIME_LIMIT and CELERY_TASK_SOFT_TIME"),
    ],
)
def test_a_bad_value_refuses_to_start_naming_the_variable(tmp_path, values, message):
    result = settings_with(tmp_path, **values)
    assert result.returncode != 0
    assert message in result.stderr
