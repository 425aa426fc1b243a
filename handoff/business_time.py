"""Business-time arithmetic: due times that count only a team's working hours.

A `BusinessCalendar` is a time zone, the opening hours of each weekday (local wall-clock minutes), a
country's public holidays (the `holidays` package) and extra closed dates. Every instant handed in
or out is timezone-aware. Each open day's hours become real (UTC) intervals, and the arithmetic
counts real elapsed time inside them, so:

* opening times follow the wall clock across daylight-saving changes (09:00 stays 09:00), and a
  day whose open hours span a change is as long as it really is (a 24-hour calendar gains or loses
  the hour);
* a local opening time that does not exist (inside a spring-forward gap) means the moment the
  clocks jump to; an ambiguous one (fall-back) means its first occurrence.

No maintained library does this correctly with time zones and holidays, hence this small module.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

MINUTES_PER_DAY = 24 * 60
# A calendar open on no day for this long is refused rather than searched forever.
MAX_CLOSED_DAYS = 3 * 366

Interval = tuple[int, int]  # [open, close) in minutes after local midnight; close may be 1440


class CalendarError(ValueError):
    """A calendar definition that cannot work (names the field at fault)."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def _checked_hours(hours: Mapping[int, Iterable[Interval]]) -> dict[int, tuple[Interval, ...]]:
    checked: dict[int, tuple[Interval, ...]] = {}
    for weekday, intervals in hours.items():
        if weekday not in range(7):
            raise CalendarError(f"Weekday {weekday!r} is not 0 (Monday) to 6.", field="hours")
        try:
            spans = tuple(sorted((int(a), int(b)) for a, b in intervals))
        except (TypeError, ValueError):
            raise CalendarError(
                "Give each day's hours as [open, close] pairs of minutes after midnight.",
                field="hours",
            ) from None
        for (start, end), following in zip(
            spans, spans[1:] + ((MINUTES_PER_DAY + 1, 0),), strict=True
        ):
            if not 0 <= start < end <= MINUTES_PER_DAY:
                raise CalendarError("Opening hours must run forward within one day.", field="hours")
            if end > following[0]:
                raise CalendarError("Opening hours of one day must not overlap.", field="hours")
        if spans:
            checked[weekday] = spans
    if not checked:
        raise CalendarError("A calendar needs opening hours on at least one day.", field="hours")
    return checked


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    hours: Mapping[int, tuple[Interval, ...]] = field(
        default_factory=lambda: {day: ((9 * 60, 17 * 60),) for day in range(5)}
    )
    country: str = ""  # ISO 3166 code for public holidays; empty: none
    subdivision: str = ""  # state / province for holidays, e.g. "BY" or "CA"
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self):
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(
                f"Unknown time zone {self.time_zone!r}.", field="time_zone"
            ) from None
        object.__setattr__(self, "hours", _checked_hours(self.hours))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        if self.country:
            try:
                self._holidays  # noqa: B018 - validates country and subdivision now
            except NotImplementedError:
                raise CalendarError(
                    f"No public holidays are known for {self.country!r}.", field="country"
                ) from None
        elif self.subdivision:
            raise CalendarError("A subdivision needs a country.", field="subdivision")

    @classmethod
    def weekly(
        cls,
        *,
        days: Iterable[int] = range(5),
        opens: time = time(9),
        closes: time = time(17),
        **kwargs,
    ) -> "BusinessCalendar":
        """The same hours on each of `days` (0 = Monday); `closes` of midnight means 24:00."""
        end = closes.hour * 60 + closes.minute or MINUTES_PER_DAY
        span = (opens.hour * 60 + opens.minute, end)
        return cls(hours={day: (span,) for day in days}, **kwargs)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        if not self.country:
            return None
        return holidays.country_holidays(self.country, subdiv=self.subdivision or None)

    # --- days and intervals -----------------------------------------------------------------

    def is_open_day(self, day: date) -> bool:
        return (
            day.weekday() in self.hours
            and day not in self.closed_dates
            and (self._holidays is None or day not in self._holidays)
        )

    def _instant(self, day: date, offset: timedelta) -> datetime:
        """The real instant of the local wall-clock time `offset` after midnight of `day`
        (a time inside a spring-forward gap moves forward with the clocks)."""
        naive = datetime.combine(day, time()) + offset
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    def _intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals in real time, from `day` on, in order."""
        closed_run = 0
        while True:
            if self.is_open_day(day):
                closed_run = 0
                for start, end in self.hours[day.weekday()]:
                    yield (
                        self._instant(day, timedelta(minutes=start)),
                        self._instant(day, timedelta(minutes=end)),
                    )
            else:
                closed_run = self._count_closed(closed_run, day)
            day += timedelta(days=1)

    @staticmethod
    def _count_closed(run: int, day: date) -> int:
        if run >= MAX_CLOSED_DAYS:
            raise CalendarError(
                f"The calendar is closed for more than {MAX_CLOSED_DAYS} days after {day}.",
                field="closed_dates",
            )
        return run + 1

    def _local_day(self, instant: datetime) -> date:
        if instant.tzinfo is None:
            raise ValueError("Business-time arithmetic needs timezone-aware datetimes.")
        # The day before's intervals end by its 24:00, which is no later than this instant.
        return instant.astimezone(self.tz).date()

    # --- arithmetic ----------------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        for start, end in self._intervals(self._local_day(instant)):
            if start > instant:
                return False
            if instant < end:
                return True
        raise AssertionError("unreachable")  # pragma: no cover

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of business time has passed since `start`.

        A duration that ends exactly at a closing time gives the closing time.
        """
        if duration < timedelta(0):
            raise ValueError("A business-time duration cannot be negative.")
        remaining = duration
        for opened, closes in self._intervals(self._local_day(start)):
            if closes <= start:
                continue
            begin = max(opened, start)
            if remaining <= closes - begin:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= closes - begin
        raise AssertionError("unreachable")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (negative when `end` is earlier)."""
        if end < start:
            return -self.between(end, start)
        total = timedelta(0)
        for opened, closes in self._intervals(self._local_day(start)):
            if opened >= end:
                return total
            overlap = min(closes, end) - max(opened, start)
            if overlap > timedelta(0):
                total += overlap
        raise AssertionError("unreachable")  # pragma: no cover

    def add_days(self, start: datetime, days: int) -> datetime:
        """`days` open days after `start`, at the same local time of day.

        From outside opening hours the count starts at the next opening. When that time of day is
        not within the target day's hours (days with different hours), the nearest earlier
        business moment of that day is used, or its first opening.
        """
        if days < 0:
            raise ValueError("A number of business days cannot be negative.")
        begin = self.add(start, timedelta(0))  # inside an open interval of its local day
        if days == 0:
            return begin
        wall = begin.astimezone(self.tz).replace(tzinfo=None)
        day = wall.date()
        time_of_day = wall - datetime.combine(day, time())
        counted = closed_run = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_open_day(day):
                counted, closed_run = counted + 1, 0
            else:
                closed_run = self._count_closed(closed_run, day)
        spans = [(timedelta(minutes=a), timedelta(minutes=b)) for a, b in self.hours[day.weekday()]]
        target = spans[0][0]
        for opened, closes in spans:
            if opened <= time_of_day:
                target = min(time_of_day, closes)
        return self._instant(day, target).astimezone(start.tzinfo)
