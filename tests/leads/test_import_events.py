import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from leads.imports.events_file import events_import
from leads.models import ActivityEvent, Contact, LifecycleStage, StageChange
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=False)


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh,
            fieldnames=[
                "contact",
                "email",
                "event_type",
                "occurred_at",
                "properties",
                "source",
                "external_id",
            ],
        )
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def _event(**kw):
    base = {
        "contact": "",
        "email": "",
        "event_type": "page_view",
        "occurred_at": (timezone.now() - timedelta(days=1)).isoformat(),
        "properties": json.dumps({"url": "/pricing"}),
        "source": "legacy",
        "external_id": "",
    }
    base.update(kw)
    return base


def test_running_the_same_file_twice_adds_nothing(tmp_path):
    contact = ContactFactory()
    path = tmp_path / "events.csv"
    _write_csv(path, [_event(contact=contact.pk, external_id=f"e{i}") for i in range(5)])

    first = events_import(path=path)
    second = events_import(path=path)

    assert first.created == 5
    assert second.created == 0 and second.duplicates == 5
    assert ActivityEvent.objects.filter(contact=contact).count() == 5


def test_rejected_lines_are_reported_with_line_and_reason_and_not_written(tmp_path):
    contact = ContactFactory()
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    path = tmp_path / "events.csv"
    _write_csv(
        path,
        [
            _event(contact=contact.pk, external_id="ok"),
            _event(contact=contact.pk, event_type="teleport", external_id="a"),
            _event(contact=contact.pk, occurred_at="yesterday", external_id="b"),
            _event(contact=contact.pk, occurred_at=future, external_id="c"),
            _event(contact=999999, external_id="d"),
            _event(email="not-an-email", external_id="e"),
            _event(contact=contact.pk, properties="{bad", external_id="f"),
        ],
    )
    report = tmp_path / "report.csv"

    result = events_import(path=path, report_path=report)

    assert result.created == 1
    assert ActivityEvent.objects.count() == 1
    reasons = dict(result.rejected)
    assert reasons[3].startswith("event_type")
    assert reasons[4].startswith("occurred_at")
    assert "future" in reasons[5]
    assert reasons[6] == "contact: No such contact."
    assert reasons[7].startswith("email")
    assert reasons[8].startswith("properties")
    lines = list(csv.reader(report.open()))
    assert lines[0] == ["line", "reason"] and len(lines) == 7


def test_unknown_email_creates_a_lead_with_its_first_stage_change(tmp_path):
    path = tmp_path / "events.ndjson"
    occurred = (timezone.now() - timedelta(hours=2)).isoformat()
    lines = [
        {
            "email": "New.Person@Example.com",
            "event_type": "form_submit",
            "occurred_at": occurred,
            "source": "legacy",
            "external_id": "x1",
        },
        {
            "email": "new.person@example.com",
            "event_type": "page_view",
            "occurred_at": occurred,
            "source": "legacy",
            "external_id": "x2",
        },
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    result = events_import(path=path)

    contact = Contact.objects.get(email="new.person@example.com")
    assert result.created == 2 and result.contacts_created == 1
    assert contact.lifecycle_stage == LifecycleStage.LEAD
    history = list(StageChange.objects.filter(contact=contact))
    assert [h.to_stage for h in history] == [LifecycleStage.LEAD]
    assert contact.events.count() == 2


def test_command_prints_counts_and_writes_report_next_to_input(tmp_path, capsys):
    contact = ContactFactory()
    path = tmp_path / "events.csv"
    _write_csv(path, [_event(contact=contact.pk, external_id="1"), _event(event_type="x")])

    call_command("import_events", str(path))

    out = capsys.readouterr().out
    assert "created: 1" in out and "rejected: 1" in out
    assert (tmp_path / "events.csv.rejected.csv").exists()


# Lines near the edges of the fast path's shapes: each must get the same verdict (and the same
# stored values) as the API's validator gives it, whichever path takes it.
EDGE_CASES = [
    {"occurred_at": "2024-02-29T10:00:00Z"},
    {"occurred_at": "2023-02-29T10:00:00Z"},
    {"occurred_at": "2023-04-31T10:00:00+02:00"},
    {"occurred_at": "2024-01-01T24:00:00Z"},
    {"occurred_at": "2024-01-01T23:59:60Z"},
    {"occurred_at": "2024-01-01T10:00:00+23:00"},
    {"occurred_at": "2024-01-01T10:00:00.1234567Z"},
    {"occurred_at": "2024-01-01T10:00:00.5-05:30"},
    {"occurred_at": "2024-01-01 10:00:00"},
    {"occurred_at": "2024-01-01T10:00"},
    {"occurred_at": "2024-01-01"},
    {"occurred_at": "yesterday"},
    {"occurred_at": "0000-01-01T10:00:00Z"},
    {"occurred_at": "0001-01-01T00:00:00Z"},
    {"occurred_at": "1950-06-01T12:00:00Z"},
    {"occurred_at": "1989-12-31T23:59:59Z"},
    {"occurred_at": "1990-01-01T00:00:00+01:00"},
    {"occurred_at": "1990-01-01T00:00:00Z"},
    {"occurred_at": 1700000000},
    {"contact": "{pk}"},
    {"contact": "0{pk}"},
    {"contact": 0},
    {"contact": True},
    {"contact": "{pk}.0"},
    {"contact": None, "email": "Someone@Example.COM"},
    {"contact": None, "email": " spaced@example.com "},
    {"contact": None, "email": "not an email"},
    {"contact": None, "email": "user@localhost"},
    {"email": "both@example.com"},
    {"event_type": "Page_View"},
    {"event_type": None},
    {"source": " padded "},
    {"source": "Café"},
    {"source": None},
    {"source": "x" * 101},
    {"external_id": 12},
    {"properties": None},
    {"properties": []},
    {"properties": {"nested": {"a": [1, None, "ü"]}}},
]


def _edge_line(case: dict, pk: int, number: int) -> str:
    line = {
        "contact": pk,
        "event_type": "page_view",
        "occurred_at": "2024-06-01T12:00:00Z",
        "source": "edge",
        "external_id": f"edge{number}",
        **case,
    }
    if isinstance(line["contact"], str):
        line["contact"] = line["contact"].replace("{pk}", str(pk))
    return json.dumps(line)


def test_every_line_gets_the_verdict_the_api_validator_gives(tmp_path):
    from leads.imports.validation import event_validate

    contact = ContactFactory()
    now = timezone.now()
    lines = [_edge_line(case, contact.pk, n) for n, case in enumerate(EDGE_CASES)]
    exponent = '{"contact": %se0, "event_type": "page_view", "occurred_at": "2024-01-01 10:00:00"}'
    lines.append(exponent % contact.pk)
    lines.append("{not json")
    lines.append('{"contact": 1, "event_type": "page_view", "occurred_at": NaN}')
    path = tmp_path / "edge.ndjson"
    path.write_text("\n".join(lines) + "\n")

    result = events_import(path=path, now=now)

    rejected = dict(result.rejected)
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line, parse_constant=lambda name: 1 / 0)
        except (ValueError, ZeroDivisionError):
            assert number in rejected, line
            continue
        item, errors = event_validate(0, record, now=now)
        if errors:
            assert number in rejected, line
            assert rejected[number].split(":")[0] in {*errors, "line"}, (line, rejected[number])
            continue
        assert number not in rejected, (line, rejected.get(number))
        stored = ActivityEvent.objects.get(source=item.source, external_id=item.external_id)
        assert stored.occurred_at == item.occurred_at, line
        assert stored.properties == item.properties, line
        if item.email:
            assert stored.contact.email == item.email
    assert result.created == len(lines) - len(rejected)


def test_blank_lines_are_skipped_and_line_numbers_match_the_file(tmp_path):
    contact = ContactFactory()
    good = json.dumps(
        {
            "contact": contact.pk,
            "event_type": "page_view",
            "occurred_at": "2024-06-01T12:00:00Z",
            "properties": {"path": "C:\\temp\tx"},
        }
    )
    path = tmp_path / "events.ndjson"
    path.write_bytes(f"{good}\r\n\n   \n{{bad\n{good}".encode() + b"\n\x00oops\n")

    result = events_import(path=path)

    assert result.created == 2
    assert [number for number, _ in result.rejected] == [4, 6]
    assert ActivityEvent.objects.filter(contact=contact).first().properties == {
        "path": "C:\\temp\tx"
    }


def test_a_csv_row_with_a_missing_cell_is_reported_and_the_rest_imported(tmp_path):
    contact = ContactFactory()
    path = tmp_path / "events.csv"
    path.write_text(
        "contact,event_type,occurred_at,external_id\n"
        f"{contact.pk},page_view,2024-06-01T12:00:00Z,a\n"
        f"{contact.pk},page_view\n"
        f"{contact.pk},email_open,2024-06-01T12:00:00Z,b\n"
    )

    result = events_import(path=path)

    assert result.created == 2
    assert [number for number, _ in result.rejected] == [3]
    assert result.rejected[0][1].startswith("occurred_at")


@pytest.mark.postgres
def test_rebuilding_indexes_leaves_the_same_indexes(tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("index rebuild is PostgreSQL only")

    def indexes():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'leads_activityevent'"
                " ORDER BY indexdef"
            )
            return [row[0] for row in cur.fetchall()]

    contact = ContactFactory()
    before = indexes()
    path = tmp_path / "events.csv"
    _write_csv(path, [_event(contact=contact.pk, external_id=f"e{i}") for i in range(3)])

    result = events_import(path=path, indexes="rebuild")

    assert result.indexes_rebuilt and result.created == 3
    assert indexes() == before


def test_a_line_with_an_unpaired_surrogate_is_rejected_and_the_rest_stored(tmp_path):
    contact = ContactFactory()
    path = tmp_path / "events.ndjson"
    lines = [
        {**_event(contact=contact.pk, external_id=key), "properties": properties}
        for key, properties in (("ok", {"url": "/pricing"}), ("bad", {"asset": "\ud800"}))
    ]
    path.write_text(
        "".join(json.dumps({k: v for k, v in line.items() if v != ""}) + "\n" for line in lines)
    )

    result = events_import(path=path)

    assert result.created == 1
    assert dict(result.rejected)[2].startswith("properties:")
    assert list(ActivityEvent.objects.values_list("external_id", flat=True)) == ["ok"]


def _ndjson(path, lines):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def _line(contact, key, **kw):
    return {
        "contact": contact.pk,
        "event_type": "page_view",
        "occurred_at": "2024-06-01T12:00:00+00:00",
        "source": "legacy",
        "external_id": key,
        **kw,
    }


def test_a_key_repeated_in_the_file_stores_its_first_line_once(tmp_path):
    contact = ContactFactory()
    path = tmp_path / "events.ndjson"
    _ndjson(
        path,
        [
            _line(contact, "a", properties={"n": 1}),
            _line(contact, "b"),
            _line(contact, "a", properties={"n": 3}),
        ],
    )

    result = events_import(path=path)

    assert (result.created, result.duplicates, result.rejected) == (2, 1, [])
    assert ActivityEvent.objects.get(external_id="a").properties == {"n": 1}


def test_lines_with_offsets_fractions_and_no_key_are_stored_with_their_instant(tmp_path):
    contact = ContactFactory()
    path = tmp_path / "events.ndjson"
    times = [
        "2024-06-01T12:00:00Z",
        "2024-06-01T12:00:00.25+02:00",
        "2024-06-01 12:00:00.123456-05:30",
        "2024-06-01T12:00:00",
    ]
    _ndjson(path, [{**_line(contact, ""), "occurred_at": t} for t in times])

    result = events_import(path=path)

    assert result.created == 4 and result.rejected == []
    stored = sorted(ActivityEvent.objects.values_list("occurred_at", flat=True))
    parsed = (datetime.fromisoformat(t) for t in times)
    expected = sorted(t if t.tzinfo else t.replace(tzinfo=UTC) for t in parsed)
    assert stored == expected


@pytest.mark.postgres
def test_the_foreign_key_is_checked_again_after_an_import(tmp_path):
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("session_replication_role is PostgreSQL only")
    contact = ContactFactory()
    path = tmp_path / "events.ndjson"
    _ndjson(path, [_line(contact, "fk")])

    assert events_import(path=path).created == 1

    with connection.cursor() as cur:
        cur.execute("SHOW session_replication_role")
        assert cur.fetchone()[0] == "origin"
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO leads_activityevent (contact_id, event_type, properties, occurred_at,"
            " source, external_id, received_at) VALUES (%s, 'page_view', '{}', now(), '', '',"
            " now())",
            [contact.pk + 1000],
        )
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_event_stored_by_the_api_during_an_import_is_a_duplicate_not_an_error(tmp_path):
    """The API stores one of the file's keys after the import checked the stored keys and
    before it commits: the import waits for it, then stores everything else."""
    import threading
    import time

    import psycopg
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrent transactions")
    contact = ContactFactory()
    path = tmp_path / "events.ndjson"
    _ndjson(path, [_line(contact, f"k{i}") for i in range(50)])
    settings = connection.get_connection_params()
    other = psycopg.connect(**settings)  # the API's transaction, left open
    other.execute(
        "INSERT INTO leads_activityevent (contact_id, event_type, properties, occurred_at,"
        " source, external_id, received_at) VALUES (%s, 'email_open', '{}', now(), 'legacy',"
        " 'k7', now())",
        [contact.pk],
    )
    results = []

    def run():
        try:
            results.append(events_import(path=path, indexes="keep"))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    waiting = 0
    watcher = psycopg.connect(**settings, autocommit=True)
    try:
        for _ in range(400):  # until the import waits for the other transaction's row
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'INSERT INTO leads_activityevent%'"
            ).fetchone()[0]
            if waiting or not thread.is_alive():
                break
            time.sleep(0.05)
    finally:
        other.commit()
        other.close()
        watcher.close()
        thread.join()
    assert waiting

    (result,) = results
    assert (result.created, result.duplicates, result.rejected) == (49, 1, [])
    assert ActivityEvent.objects.count() == 50
    assert ActivityEvent.objects.get(external_id="k7").event_type == "email_open"
