"""Generated requests over the whole OpenAPI schema, as an admin and as a sales rep.

Each operation gets a few cases that schemathesis generates from the schema (derandomized, so a
CI run is repeatable); every response must not be a server error and must match what the schema
documents: its status code, content type and body. A longer run against a running server is
described in docs/api.md.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from knox.models import AuthToken

from config.wsgi import application
from tests.factories import ActivityEventFactory, ContactFactory

EXAMPLES_PER_OPERATION = 3
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _operations() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    schema.app = application
    operations = (result.ok() for result in schema.get_all_operations())
    return {op.label: op for op in operations}


OPERATIONS = _operations()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Cases call the WSGI app directly, whose request signals would close the test's connection
    (and with it the test's transaction): detach them, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(mqls, people):
    """A team with its reps and manager, two open MQLs, a published model, and contacts with
    blank optional fields and events."""
    for _ in range(3):
        ActivityEventFactory(contact=ContactFactory(seniority="", department="", company=None))
    return people


@pytest.mark.parametrize("label", sorted(OPERATIONS))
@pytest.mark.parametrize("role", ["admin", "rep"])
def test_operation_never_errors_and_answers_as_documented(role, label, world):
    _, token = AuthToken.objects.create(world[role])
    headers = {"Authorization": f"Token {token}"}

    @FUZZ
    @given(case=OPERATIONS[label].as_strategy())
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
