"""Serializers of the calibration and backtest API: the inputs (bounded as the pages' forms)
and the documented shape of each answer."""

import math

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insights.backtest import MAX_DAYS
from insights.calibration_forms import DEFAULT_DAYS, DEFAULT_MONTHS, MAX_MONTHS, MAX_POINTS
from insights.metrics.definitions import OUTCOMES
from insights.models import Backtest


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: NaN and infinities are refused (400 naming the field)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


RATE = {"allow_null": True, "help_text": "0–1, null when there is nothing to divide by"}


class PeriodQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DAYS,
        default=DEFAULT_DAYS,
        help_text="MQLs decided in the last N days",
    )


class FrontierQuerySerializer(serializers.Serializer):
    months = serializers.IntegerField(
        min_value=1, max_value=MAX_MONTHS, default=DEFAULT_MONTHS, help_text="Of 30 days"
    )
    min_sql_rate = FiniteFloatField(
        min_value=0, max_value=1, required=False, help_text="Target: MQL→SQL at least (0–1)"
    )
    max_per_month = FiniteFloatField(
        min_value=0, max_value=10_000_000, required=False, help_text="Target: MQLs a month at most"
    )
    min_per_month = FiniteFloatField(
        min_value=0, max_value=10_000_000, required=False, help_text="Target: MQLs a month at least"
    )


class ThresholdsSerializer(serializers.Serializer):
    fit_min = serializers.IntegerField(min_value=-MAX_POINTS, max_value=MAX_POINTS)
    engagement_min = serializers.IntegerField(min_value=0, max_value=MAX_POINTS)
    total_min = serializers.IntegerField(
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        required=False,
        allow_null=True,
        help_text="MQL also when the total reaches it; null: no total threshold; left out: "
        "kept as it is",
    )


class DraftThresholdsSerializer(serializers.Serializer):
    fit_min = serializers.IntegerField()
    engagement_min = serializers.IntegerField()
    total_min = serializers.IntegerField(allow_null=True)


class ReasonCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class RuleFiguresSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField(help_text="fit_rules, engagement_rules, disqualifiers or ''")
    description = serializers.CharField()
    in_draft = serializers.BooleanField()
    fired = serializers.IntegerField()
    fired_accepted = serializers.IntegerField()
    fired_won = serializers.IntegerField()
    not_fired = serializers.IntegerField()
    not_fired_accepted = serializers.IntegerField()
    not_fired_won = serializers.IntegerField()
    acceptance_fired = serializers.FloatField(**RATE)
    acceptance_not_fired = serializers.FloatField(**RATE)
    won_fired = serializers.FloatField(**RATE)
    won_not_fired = serializers.FloatField(**RATE)
    lift = serializers.FloatField(
        allow_null=True, help_text="Acceptance rate where it fired ÷ where it did not"
    )
    won_lift = serializers.FloatField(
        allow_null=True, help_text="Won rate where it fired ÷ where it did not"
    )
    top_reject_reasons = ReasonCountSerializer(many=True)


class RuleReportSerializer(serializers.Serializer):
    model_id = serializers.IntegerField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    decided = serializers.IntegerField()
    accepted = serializers.IntegerField()
    won = serializers.IntegerField()
    acceptance = serializers.FloatField(**RATE)
    won_rate = serializers.FloatField(**RATE)
    rules = RuleFiguresSerializer(many=True)


class GridCellSerializer(serializers.Serializer):
    fit_band = serializers.IntegerField()
    engagement_band = serializers.IntegerField()
    count = serializers.IntegerField()
    accepted = serializers.IntegerField()
    sql = serializers.IntegerField(help_text=f"Reached SQL: {OUTCOMES['reached_sql']}")
    won = serializers.IntegerField()
    acceptance = serializers.FloatField(**RATE)
    sql_rate = serializers.FloatField(**RATE)
    won_rate = serializers.FloatField(**RATE)


class ScoreGridSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    decided = serializers.IntegerField()
    fit_edges = serializers.ListField(
        child=serializers.FloatField(), help_text="Lower edge of each fit band"
    )
    engagement_edges = serializers.ListField(
        child=serializers.FloatField(), help_text="Lower edge of each engagement band"
    )
    fit_labels = serializers.ListField(child=serializers.CharField())
    engagement_labels = serializers.ListField(child=serializers.CharField())
    thresholds = DraftThresholdsSerializer()
    cells = serializers.ListField(
        child=GridCellSerializer(many=True), help_text="[engagement band][fit band]"
    )


class FrontierPointSerializer(serializers.Serializer):
    fit_min = serializers.FloatField()
    engagement_min = serializers.FloatField()
    total_min = serializers.FloatField(allow_null=True)
    mqls = serializers.IntegerField()
    per_month = serializers.FloatField()
    sql = serializers.IntegerField()
    won = serializers.IntegerField()
    accepted = serializers.IntegerField()
    sql_rate = serializers.FloatField(**RATE)
    won_rate = serializers.FloatField(**RATE)
    acceptance = serializers.FloatField(**RATE)
    below_current = serializers.BooleanField(
        help_text="Looser than the draft: only MQLs that opened are counted (a lower bound)"
    )


class FrontierTargetSerializer(serializers.Serializer):
    min_sql_rate = serializers.FloatField(allow_null=True)
    max_per_month = serializers.FloatField(allow_null=True)
    min_per_month = serializers.FloatField(allow_null=True)


class FrontierSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    months = serializers.IntegerField()
    uses_total = serializers.BooleanField()
    current = DraftThresholdsSerializer()
    target = FrontierTargetSerializer()
    matches = FrontierPointSerializer(many=True, help_text="Meeting the target, best first")
    points = FrontierPointSerializer(many=True)


class BacktestCreateSerializer(serializers.Serializer):
    model = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Scoring model id")
    days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS, default=90)
    include_new = serializers.BooleanField(
        default=True, help_text="Also score contacts that were never an MQL (the 'new' ones)"
    )


class BacktestExampleSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField()
    mql_id = serializers.IntegerField(allow_null=True)
    as_of = serializers.CharField()
    draft_total = serializers.FloatField(allow_null=True)
    outcome = serializers.CharField()
    won = serializers.BooleanField()
    name = serializers.CharField()
    email = serializers.CharField()
    company = serializers.CharField()


class BacktestCountsSerializer(serializers.Serializer):
    decided = serializers.IntegerField()
    accepted = serializers.IntegerField()
    won = serializers.IntegerField()
    draft_mqls = serializers.IntegerField()
    draft_accepted = serializers.IntegerField()
    draft_won = serializers.IntegerField()
    kept = serializers.IntegerField()
    avoided = serializers.IntegerField()
    missed = serializers.IntegerField()
    still_rejected = serializers.IntegerField()
    new = serializers.IntegerField()
    candidates = serializers.IntegerField()


class BacktestRatesSerializer(serializers.Serializer):
    acceptance_actual = serializers.FloatField(**RATE)
    acceptance_draft = serializers.FloatField(**RATE)
    won_actual = serializers.FloatField(**RATE)
    won_draft = serializers.FloatField(**RATE)


class BacktestExamplesSerializer(serializers.Serializer):
    kept = BacktestExampleSerializer(many=True)
    avoided = BacktestExampleSerializer(many=True)
    missed = BacktestExampleSerializer(many=True)
    still_rejected = BacktestExampleSerializer(many=True)
    new = BacktestExampleSerializer(many=True)


class BacktestResultSerializer(serializers.Serializer):
    counts = BacktestCountsSerializer()
    rates = BacktestRatesSerializer()
    examples = BacktestExamplesSerializer()


class BacktestSerializer(serializers.ModelSerializer):
    model = serializers.IntegerField(source="scoring_model_id")
    # Plain text, not an enum: "status" enums of other apps would collide in the schema's names.
    status = serializers.CharField(help_text="queued, running, done or failed")
    percent = serializers.IntegerField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = Backtest
        fields = [
            "id",
            "model",
            "days",
            "as_of",
            "include_new",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "anchors_total",
            "anchors_done",
            "percent",
            "error",
            "result",
        ]

    @extend_schema_field(BacktestResultSerializer(allow_null=True))
    def get_result(self, obj):
        """The report, once the backtest is done (null before)."""
        return obj.result or None
