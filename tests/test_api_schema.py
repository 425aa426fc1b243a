import pytest
import yaml
from django.core.management import call_command

API_PATHS = {
    "/api/v1/contacts/": {"get", "post"},
    "/api/v1/contacts/{id}/": {"get", "patch"},
    "/api/v1/contacts/{id}/stage/": {"post"},
    "/api/v1/contacts/{id}/events/": {"get"},
    "/api/v1/events/": {"post"},
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    # --fail-on-warn raises SchemaGenerationError on any warning or error; --validate checks the
    # result against the OpenAPI 3 specification.
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(path))
    return yaml.safe_load(path.read_text())


def test_schema_generates_without_warnings_and_lists_the_api(schema):
    for path, methods in API_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_event_ingest_documents_one_event_or_a_list(schema):
    batch = schema["components"]["schemas"]["EventBatchRequest"]
    assert len(batch["oneOf"]) == 2
    responses = schema["paths"]["/api/v1/events/"]["post"]["responses"]
    assert {"201", "207", "400"} <= set(responses)


def test_contact_detail_documents_history_and_read_only_stage(schema):
    detail = schema["components"]["schemas"]["ContactDetail"]["properties"]
    assert detail["lifecycle_stage"]["readOnly"] is True
    history = schema["components"]["schemas"]["StageChange"]["properties"]
    assert {"from", "to", "when", "actor", "reason", "override"} <= set(history)


@pytest.mark.django_db
def test_schema_and_docs_pages_answer_a_logged_in_user(client, marketer):
    client.force_login(marketer)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
