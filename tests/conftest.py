"""Fixtures shared by more than one app's tests; one app's own fixtures sit in its conftest.py.

Fast local loop: keep the test database between runs. Create it once (again after a migration
was edited or removed; new migrations are applied anyway), then reuse it for the whole suite or
a single file:

    make test PYTEST_ARGS="--reuse-db --create-db"
    make test PYTEST_ARGS="--reuse-db"
    .venv/bin/python -m pytest --reuse-db tests/handoff/test_sla.py

django_db_setup below starts each run on a kept database as the migrations leave it.
"""

import uuid

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from rest_framework.test import APIClient

from core import roles
from handoff.models import MemberRole
from tests.database import migration_seeds_write
from tests.factories import (
    ContactFactory,
    ModelVersionFactory,
    TeamFactory,
    TeamMemberFactory,
    open_mql,
    user_with_role,
)
from tests.worker import CELERY, REDIS_URL, unavailable, worker_start, worker_stop

# --- the test database --------------------------------------------------------------------------


def pytest_collection_modifyitems(items):
    """Every transactional test also rolls back by serialization.

    A plain transactional test's flush lets post_migrate write the content types and
    permissions again, and the next serialized_rollback test then fails at setup loading its
    copy of them over the top (a duplicate key), depending on the order the tests ran in.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: mark transactional tests "
                "django_db(transaction=True, serialized_rollback=True)"
            )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_keepdb, django_db_createdb):
    """With --reuse-db, put the kept database back as the migrations leave it.

    A transactional test flushes every table when it ends; with serialized_rollback the next
    one first loads back what the database held when the run began. After the last one the
    tables stay empty, so the next run on the kept database would begin (and serialize, for
    its own transactional tests) without the rows the data migrations wrote. So: flush whatever
    an earlier run left, let post_migrate make the content types and permissions again, write
    the data migrations' rows (tests/database.py), and serialize that for serialized_rollback.
    """
    db = connections[DEFAULT_DB_ALIAS]
    if not django_db_keepdb or django_db_createdb:
        return  # a new database: as the migrations leave it
    if not str(db.settings_dict["NAME"]).startswith(TEST_DATABASE_PREFIX):
        return  # SQLite's in-memory test database is new in every run
    with django_db_blocker.unblock():
        call_command("flush", database=DEFAULT_DB_ALIAS, interactive=False, verbosity=0)
        migration_seeds_write(db)
        if hasattr(db, "_test_serialized_contents"):
            db._test_serialized_contents = db.creation.serialize_db_to_string()


# --- people and clients -------------------------------------------------------------------------


@pytest.fixture
def marketer(db):
    return user_with_role(roles.MARKETING, username="marketer")


@pytest.fixture
def rep(db):
    return user_with_role(roles.SALES_REP, username="rep")


@pytest.fixture
def other_rep(db):
    return user_with_role(roles.SALES_REP, username="other_rep")


@pytest.fixture
def manager(db):
    return user_with_role(roles.SALES_MANAGER, username="manager")


@pytest.fixture
def admin_user(db):
    return user_with_role(roles.ADMIN, username="admin")


@pytest.fixture
def contact(db):
    return ContactFactory()


@pytest.fixture
def api():
    """An API client; call api.force_authenticate(user) or pass a token header."""
    return APIClient()


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


# --- a sales team and its MQLs (handoff and feedback) -------------------------------------------


@pytest.fixture
def team(db):
    return TeamFactory(name="Inside sales", is_fallback=True)


@pytest.fixture
def reps(team):
    users = [user_with_role(roles.SALES_REP, username=f"rep{i}") for i in (1, 2)]
    for user in users:
        TeamMemberFactory(team=team, user=user)
    return users


@pytest.fixture
def team_manager(team):
    user = user_with_role(roles.SALES_MANAGER, username="boss")
    TeamMemberFactory(team=team, user=user, role=MemberRole.MANAGER)
    return user


@pytest.fixture
def version(db):
    """Default v1, published: job title contains 'head' → +60."""
    return ModelVersionFactory(model__name="Default")


@pytest.fixture
def people(team, reps, team_manager):
    """The team's two reps and manager, a manager of another team, a marketer and an admin."""
    other = TeamFactory(name="Enterprise")
    outsider = user_with_role(roles.SALES_MANAGER, username="outsider")
    TeamMemberFactory(team=other, user=outsider, role=MemberRole.MANAGER)
    return {
        "rep": reps[0],
        "other_rep": reps[1],
        "manager": team_manager,
        "outsider": outsider,
        "marketer": user_with_role(roles.MARKETING, username="marketer"),
        "admin": user_with_role(roles.ADMIN, username="admin"),
    }


@pytest.fixture
def mqls(people, version):
    """One open MQL owned by each rep (the contact's owner keeps it)."""
    return {
        "rep": open_mql(owner_hint=people["rep"], first_name="Ada", version=version),
        "other_rep": open_mql(
            owner_hint=people["other_rep"],
            first_name="Grace",
            company="Hopper Ltd",
            version=version,
        ),
    }


# --- a real Celery worker on Redis (tests marked "worker") --------------------------------------


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis does not answer at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture
def worker(redis_url, tmp_path, settings):
    """A `celery worker` subprocess on its own queue, against the test database; yields the queue."""
    if connection.vendor != "postgresql":
        unavailable("the worker test needs PostgreSQL (set DATABASE_URL); on SQLite it is skipped")
    if not CELERY.exists():
        pytest.fail(f"no celery executable at {CELERY}")
    settings.MEDIA_ROOT = tmp_path / "media"  # the worker's LEADBRIDGE_VAR_DIR/media
    queue = f"leadbridge-test-{uuid.uuid4().hex[:8]}"
    process = worker_start(queue=queue, tmp_path=tmp_path, name="worker")
    process.queue = queue
    try:
        yield process
    finally:
        worker_stop(process)
        # Shown by pytest only when the test fails.
        print(f"--- celery worker output ---\n{process.log_path.read_text()}")


@pytest.fixture
def real_broker(redis_url):
    """The test settings run tasks eagerly; here they go through Redis."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(redis_url) as conn:
            yield conn
    finally:
        app.conf.task_always_eager = eager
