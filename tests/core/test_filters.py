"""Every date-and-time parameter goes through core.filters: UTC at the edge, or a 400 naming it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.filters import utc_datetime
from tests.factories import ContactFactory

# Parameter → the endpoint it filters (feedback's summary takes the decision filters too).
DATE_PARAMETERS = [
    ("/api/v1/contacts/", "created_after"),
    ("/api/v1/contacts/", "created_before"),
    ("/api/v1/sla/breaches/", "breached_after"),
    ("/api/v1/sla/breaches/", "breached_before"),
    ("/api/v1/sla/breaches/", "breached_at"),
    ("/api/v1/sla/compliance/", "since"),
    ("/api/v1/sla/compliance/", "until"),
    ("/api/v1/feedback/", "decided_after"),
    ("/api/v1/feedback/summary/", "decided_before"),
]

# Valid ISO 8601 for Python, but not for PostgreSQL (offset beyond ±15:59) or not in range once
# moved to UTC.
HOSTILE = [
    "2026-03-01T12:00:00+17:05",
    "0321-11-19T03:10:01.359770-23:57",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "parameter"), DATE_PARAMETERS)
@pytest.mark.parametrize("value", HOSTILE)
def test_an_offset_postgresql_would_refuse_is_converted_or_named(
    api_as, admin_user, path, parameter, value
):
    response = api_as(admin_user).get(path, {parameter: value})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert parameter in response.json()


@pytest.mark.django_db
def test_a_far_offset_filters_by_the_same_instant_in_utc(api_as, admin_user):
    early = ContactFactory()
    early.created_at = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    early.save(update_fields=["created_at"])
    late = ContactFactory()
    late.created_at = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    late.save(update_fields=["created_at"])
    # 2026-03-01T12:00 UTC, written 17 h 05 min ahead.
    response = api_as(admin_user).get(
        "/api/v1/contacts/", {"created_after": "2026-03-02T05:05:00+17:05"}
    )
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [late.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_the_contacts_page_shows_a_far_offset_as_a_form_error(client, marketer, value):
    client.force_login(marketer)
    response = client.get("/contacts/", {"created_after": value})
    assert response.status_code == 200


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    minutes=st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1),
)
def test_any_offset_python_accepts_gives_utc_or_a_named_error(moment, minutes):
    text = moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()
    try:
        parsed = utc_datetime(text, field="since")
    except Exception as exc:  # noqa: BLE001 - only the named 400 is acceptable
        assert getattr(exc, "detail", {}).get("since"), exc
    else:
        assert parsed.utcoffset() == timedelta(0)
