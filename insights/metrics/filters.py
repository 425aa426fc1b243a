"""The filters every metric takes (pages and API alike), parsed once: a bad value is a 400 that
names its parameter (the API) or a message next to the field (the pages)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone
from rest_framework import serializers

from handoff.models import Team
from scoring.models import ModelVersion, ScoringModel

GRAINS = ("week", "month")
DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class MetricFilters:
    """A period [start, end) in UTC plus what narrows the MQLs counted."""

    start: datetime
    end: datetime
    grain: str = "week"
    model: ScoringModel | None = None
    version: ModelVersion | None = None
    team: Team | None = None
    channel: str = ""
    campaign: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self):
        """The period's last day (`end` is the moment after it)."""
        return (self.end - timedelta(days=1)).date()

    def previous(self) -> "MetricFilters":
        """The period of the same length just before this one."""
        length = self.end - self.start
        return self.shifted(start=self.start - length, end=self.start)

    def shifted(self, *, start: datetime, end: datetime) -> "MetricFilters":
        return MetricFilters(
            start=start,
            end=end,
            grain=self.grain,
            model=self.model,
            version=self.version,
            team=self.team,
            channel=self.channel,
            campaign=self.campaign,
        )

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (for links, CSV downloads and the API)."""
        params = {
            "start": self.start.date().isoformat(),
            "end": (self.end - timedelta(days=1)).date().isoformat(),
            "grain": self.grain,
        }
        for name in ("model", "version", "team"):
            if getattr(self, name) is not None:
                params[name] = str(getattr(self, name).pk)
        for name in ("channel", "campaign"):
            if getattr(self, name):
                params[name] = getattr(self, name)
        return params


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def default_period(now: datetime | None = None) -> tuple[date, date]:
    """The last 12 weeks, today included."""
    today = (now or timezone.now()).astimezone(UTC).date()
    return today - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), today


class MetricFiltersSerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First day of the period (default: 12 weeks ago)"
    )
    end = serializers.DateField(
        required=False, help_text="Last day of the period, included (default: today)"
    )
    grain = serializers.ChoiceField(
        choices=GRAINS, default="week", help_text="Bucket of the series: week or month"
    )
    model = serializers.PrimaryKeyRelatedField(
        queryset=ScoringModel.objects.all(), required=False, help_text="Scoring model (segment)"
    )
    version = serializers.PrimaryKeyRelatedField(
        queryset=ModelVersion.objects.all(), required=False, help_text="Scoring model version"
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, help_text="The MQL's team"
    )
    channel = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="The MQL's source"
    )
    campaign = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="The MQL's campaign"
    )

    def validate(self, attrs):
        for name in ("start", "end"):
            if name in attrs and not 2000 <= attrs[name].year <= 2999:
                raise serializers.ValidationError({name: ["Choose a date between 2000 and 2999."]})
        now = self.context.get("now")
        default_start, default_end = default_period(now)
        start = attrs.get("start") or default_start
        end = attrs.get("end") or default_end
        if "start" in attrs and "end" not in attrs and start > end:
            end = start + timedelta(weeks=DEFAULT_WEEKS) - timedelta(days=1)
        if "end" in attrs and "start" not in attrs and start > end:
            start = end - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1)
        if start > end:
            raise serializers.ValidationError({"end": ["The end is before the start."]})
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError({"start": ["A period is at most three years."]})
        version, model = attrs.get("version"), attrs.get("model")
        if version is not None and model is not None and version.model_id != model.pk:
            raise serializers.ValidationError({"version": ["This version is not of that model."]})
        attrs["start"], attrs["end"] = start, end
        return attrs

    def filters(self) -> MetricFilters:
        data = self.validated_data
        return MetricFilters(
            start=day_start(data["start"]),
            end=day_start(data["end"]) + timedelta(days=1),
            grain=data.get("grain") or "week",
            model=data.get("model"),
            version=data.get("version"),
            team=data.get("team"),
            channel=(data.get("channel") or "").strip(),
            campaign=(data.get("campaign") or "").strip(),
        )


def parse_filters(params, *, now: datetime | None = None) -> MetricFilters:
    """The filters from query parameters; raises rest_framework's ValidationError (a 400)."""
    serializer = MetricFiltersSerializer(data=_single(params), context={"now": now})
    serializer.is_valid(raise_exception=True)
    return serializer.filters()


def _single(params) -> dict:
    """Query parameters as one value each (empty ones dropped: an empty form field is absent)."""
    out = {}
    for key in params:
        value = params.get(key)
        if value not in (None, ""):
            out[key] = value
    return out
