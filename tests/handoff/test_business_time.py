"""Business-time arithmetic across weekends, holidays, time zones and daylight-saving changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from handoff.business_time import BusinessCalendar, CalendarError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


# --- examples a person can check on a calendar ---------------------------------------------------


def test_time_past_friday_closing_continues_on_monday_across_dst():
    cal = BusinessCalendar.weekly(time_zone="Europe/Berlin")  # clocks go forward Sun 2026-03-29
    due = cal.add(local(BERLIN, 2026, 3, 27, 16), timedelta(hours=2))
    assert due == local(BERLIN, 2026, 3, 30, 10)
    assert due.utcoffset() == timedelta(hours=2)


def test_public_holidays_of_the_calendars_country_are_skipped():
    cal = BusinessCalendar.weekly(time_zone="Europe/Berlin", country="DE")
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06 are closed.
    due = cal.add(local(BERLIN, 2026, 4, 2, 16), timedelta(hours=2))
    assert due == local(BERLIN, 2026, 4, 7, 10)


def test_subdivision_holidays_apply_only_to_that_subdivision():
    start = local(BERLIN, 2026, 1, 5, 17)  # Epiphany (Jan 6) is a holiday in Bavaria only
    bavaria = BusinessCalendar.weekly(time_zone="Europe/Berlin", country="DE", subdivision="BY")
    berlin = BusinessCalendar.weekly(time_zone="Europe/Berlin", country="DE", subdivision="BE")
    assert bavaria.add(start, timedelta(hours=1)) == local(BERLIN, 2026, 1, 7, 10)
    assert berlin.add(start, timedelta(hours=1)) == local(BERLIN, 2026, 1, 6, 10)


def test_extra_closed_dates_are_skipped():
    cal = BusinessCalendar.weekly(time_zone="UTC", closed_dates={date(2026, 6, 2)})
    due = cal.add(datetime(2026, 6, 1, 16, tzinfo=UTC), timedelta(hours=3))
    assert due == datetime(2026, 6, 3, 11, tzinfo=UTC)


def test_start_outside_hours_counts_from_the_next_opening():
    cal = BusinessCalendar.weekly(time_zone="America/New_York", country="US")
    # Saturday evening before Thanksgiving week: Monday 9:00 + 90 minutes.
    due = cal.add(local(NEW_YORK, 2026, 11, 21, 20), timedelta(minutes=90))
    assert due == local(NEW_YORK, 2026, 11, 23, 10, 30)


def test_a_duration_ending_at_closing_time_is_due_at_closing_time():
    cal = BusinessCalendar.weekly(time_zone="UTC")
    due = cal.add(datetime(2026, 6, 1, 9, tzinfo=UTC), timedelta(hours=8))
    assert due == datetime(2026, 6, 1, 17, tzinfo=UTC)


def test_nothing_added_at_closing_time_is_due_at_the_next_opening():
    cal = BusinessCalendar.weekly(time_zone="UTC")
    friday_close = datetime(2026, 6, 5, 17, tzinfo=UTC)
    assert cal.add(friday_close, timedelta(0)) == datetime(2026, 6, 8, 9, tzinfo=UTC)


def test_a_24_hour_calendar_counts_real_hours_across_dst():
    every_hour = BusinessCalendar(
        time_zone="Europe/Berlin", hours={day: ((0, 1440),) for day in range(7)}
    )
    spring = local(BERLIN, 2026, 3, 29, 0)  # a 23-hour day
    assert every_hour.add(spring, timedelta(hours=24)) == local(BERLIN, 2026, 3, 30, 1)
    autumn = local(BERLIN, 2026, 10, 25, 0)  # a 25-hour day
    assert every_hour.add(autumn, timedelta(hours=24)) == local(BERLIN, 2026, 10, 25, 23)


def test_split_hours_skip_the_lunch_break():
    cal = BusinessCalendar(time_zone="UTC", hours={0: ((9 * 60, 12 * 60), (13 * 60, 17 * 60))})
    monday = datetime(2026, 6, 1, 11, tzinfo=UTC)
    assert cal.add(monday, timedelta(hours=2)) == datetime(2026, 6, 1, 14, tzinfo=UTC)
    assert cal.between(monday, datetime(2026, 6, 1, 14, tzinfo=UTC)) == timedelta(hours=2)
    assert not cal.is_open(datetime(2026, 6, 1, 12, 30, tzinfo=UTC))


def test_business_days_keep_the_time_of_day_and_skip_holidays():
    cal = BusinessCalendar.weekly(time_zone="Europe/Berlin", country="DE")
    start = local(BERLIN, 2026, 3, 27, 14, 15)  # Friday; DST, Good Friday, Easter Monday follow
    assert cal.add_days(start, 5) == local(BERLIN, 2026, 4, 7, 14, 15)
    assert cal.add_days(local(BERLIN, 2026, 3, 28, 12), 1) == local(BERLIN, 2026, 3, 31, 9)


def test_business_days_clamp_to_a_shorter_days_hours():
    cal = BusinessCalendar(
        time_zone="UTC", hours={3: ((9 * 60, 17 * 60),), 4: ((9 * 60, 13 * 60),)}
    )
    thursday = datetime(2026, 6, 4, 15, 30, tzinfo=UTC)
    assert cal.add_days(thursday, 1) == datetime(2026, 6, 5, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"hours": {}}, "hours"),
        ({"hours": {7: ((540, 1020),)}}, "hours"),
        ({"hours": {0: ((1020, 540),)}}, "hours"),
        ({"hours": {0: ((540, 800), (700, 1020))}}, "hours"),
        ({"country": "XX"}, "country"),
        ({"subdivision": "BY"}, "subdivision"),
    ],
)
def test_a_calendar_that_cannot_work_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar(**kwargs)
    assert raised.value.field == field


def test_a_calendar_closed_for_years_is_refused_instead_of_looping():
    closed = {date(2026, 1, 1) + timedelta(days=n) for n in range(4 * 366)}
    cal = BusinessCalendar.weekly(time_zone="UTC", closed_dates=closed)
    with pytest.raises(CalendarError):
        cal.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        BusinessCalendar().add(datetime(2026, 6, 1, 9), timedelta(hours=1))


# --- properties ----------------------------------------------------------------------------------

# Zones with DST changes at different times of night, half-hour DST (Lord Howe), 45-minute offsets
# (Chatham), southern-hemisphere DST, and none.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/Sao_Paulo",
]
COUNTRIES = ["", "US", "DE", "GB", "AU", "BR", "IN", "NZ"]


@st.composite
def day_hours(draw, earliest=0):
    """One or two intervals in quarter hours between `earliest` and 24:00."""
    cuts = draw(
        st.lists(
            st.integers(earliest // 15, 96).map(lambda q: q * 15),
            min_size=2,
            max_size=4,
            unique=True,
        ).map(sorted)
    )
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple(zip(cuts[::2], cuts[1::2], strict=True))


@st.composite
def calendars(draw, earliest=0):
    weekdays = draw(st.sets(st.integers(0, 6), min_size=1))
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        hours={day: draw(day_hours(earliest)) for day in weekdays},
        country=draw(st.sampled_from(COUNTRIES)),
        closed_dates=frozenset(
            draw(st.sets(st.dates(date(2025, 12, 1), date(2028, 2, 1)), max_size=20))
        ),
    )


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300)).map(
    lambda d: d - timedelta(microseconds=d.microseconds)
)


@settings(max_examples=300, deadline=None)
@given(cal=calendars(), start=instants, duration=durations)
def test_the_business_time_between_start_and_due_is_the_duration(cal, start, duration):
    due = cal.add(start, duration)
    assert due >= start
    assert cal.between(start, due) == duration
    if duration:
        # Due at a business moment: open just before it.
        assert cal.is_open(due - timedelta(microseconds=1))
        assert cal.is_open_day(due.astimezone(cal.tz).date()) or (
            due.astimezone(cal.tz).time() == time(0)
        )


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=instants, first=durations, second=durations)
def test_adding_in_two_steps_equals_adding_at_once(cal, start, first, second):
    assert cal.add(start, first) <= cal.add(start, first + second)
    # A due time can be a closing time; adding nothing to it moves on to the next opening, so
    # the steps compose when the second one is not empty.
    assume(second > timedelta(0))
    assert cal.add(cal.add(start, first), second) == cal.add(start, first + second)


@settings(max_examples=100, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=instants,
    duration=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_an_always_open_calendar_is_real_time_in_every_zone(zone, start, duration):
    always = BusinessCalendar(time_zone=zone, hours={day: ((0, 1440),) for day in range(7)})
    assert always.add(start, duration) == start + duration
    assert always.between(start, start + duration) == duration


def _brute_force_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Quarter-hour slots (in real time) whose local wall-clock time is within opening hours."""
    total, slot, step = timedelta(0), start, timedelta(minutes=15)
    while slot < end:
        wall = slot.astimezone(cal.tz)
        minute = wall.hour * 60 + wall.minute
        if cal.is_open_day(wall.date()) and any(
            a <= minute < b for a, b in cal.hours[wall.weekday()]
        ):
            total += step
        slot += step
    return total


@settings(max_examples=60, deadline=None)
@given(
    # Hours from 04:00 keep clear of the night-time DST changes, where "open at 02:30" is ambiguous.
    cal=calendars(earliest=4 * 60),
    start=instants.map(lambda t: t.replace(minute=t.minute // 15 * 15, second=0, microsecond=0)),
    days=st.integers(0, 20),
)
def test_between_agrees_with_counting_quarter_hours(cal, start, days):
    end = start + timedelta(days=days, hours=days % 7)
    assert cal.between(start, end) == _brute_force_between(cal, start, end)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(earliest=4 * 60), start=instants, days=st.integers(0, 30))
def test_business_days_land_on_the_right_open_day(cal, start, days):
    due = cal.add_days(start, days)
    first = cal.add(start, timedelta(0))
    assert due >= first
    assert cal.is_open_day(due.astimezone(cal.tz).date())
    opened_days = {
        first.astimezone(cal.tz).date() + timedelta(days=n)
        for n in range(
            1, (due.astimezone(cal.tz).date() - first.astimezone(cal.tz).date()).days + 1
        )
    }
    assert sum(cal.is_open_day(day) for day in opened_days) == days
    assert cal.add_days(start, days + 1) > due
