"""Which statement timeout a database session opens with, by kind of process."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is a PostgreSQL setting"
)


def test_sessions_open_under_the_web_limit_but_commands_keep_the_servers():
    """A web session pays no query for its limit; a bulk load started by manage.py has none."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    assert f"statement_timeout={settings.DB_STATEMENT_TIMEOUT}s" in str(
        settings.DATABASES["default"]["OPTIONS"]
    )
    show = "from django.db import connection as c; k = c.cursor(); "
    show += "k.execute('SHOW statement_timeout'); print(k.fetchone()[0])"
    env = {**os.environ, "DEBUG": "true", "SECRET_KEY": "test-only"}
    env.pop("LEADBRIDGE_PROCESS", None)
    env["DATABASE_URL"] = env.get("DATABASE_URL", "").rsplit("/", 1)[0] + "/postgres"
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    assert out == "0"


def test_behind_a_pooler_sessions_open_without_the_option():
    """DB_STATEMENT_TIMEOUT_ON_CONNECT=false: no `options` at connect (the middleware sets it)."""
    import os
    import subprocess
    import sys

    show = "from django.conf import settings as s; "
    show += "print(s.DB_CONNECT_STATEMENT_TIMEOUT, 'options' in s.DATABASES['default']['OPTIONS'])"
    env = {**os.environ, "DEBUG": "true", "SECRET_KEY": "test-only"}
    env.update(LEADBRIDGE_PROCESS="web", DB_STATEMENT_TIMEOUT_ON_CONNECT="false")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); {show}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-2:]
    assert out == ["None", "False"]
