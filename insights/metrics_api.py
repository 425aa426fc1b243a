"""/api/v1/metrics/: every metric with the dashboards' filters and role scoping (reps their own
MQLs, managers their teams', marketing and admins all), and the written definitions.

A bad filter value is a 400 naming the parameter; a metric that is for marketing and admins only
(lead → MQL, cost) is a 403 for the other roles."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERRORS
from insights.metrics import DEFINITIONS, METRICS, MetricFiltersSerializer, parse_filters
from insights.metrics.compute import BREAKDOWNS
from insights.metrics.definitions import WINDOWS

METRIC_RESPONSE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="`metric`, `label`, `kind` (cohort or period), `definition`, the `filters` "
    "applied and the figures in `data`.",
)


class BreakdownParams(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=list(BREAKDOWNS), default="channel", help_text="Group the MQLs by"
    )


class CapacityParams(serializers.Serializer):
    aes = serializers.IntegerField(
        min_value=1, max_value=10000, default=5, help_text="Account executives"
    )
    sqls_per_ae = serializers.FloatField(
        min_value=0.1, max_value=10000, default=10, help_text="SQLs each AE needs per month"
    )
    rate = serializers.FloatField(
        min_value=0.001,
        max_value=1,
        required=False,
        help_text="MQL → SQL rate to use (default: the cohort's 30-day rate)",
    )


class TrendParams(serializers.Serializer):
    days = serializers.ChoiceField(
        choices=list(WINDOWS), default=30, help_text="Window of the MQL → SQL rate, in days"
    )


EXTRA_PARAMS = {"breakdown": BreakdownParams, "capacity": CapacityParams}
EXTRA_PARAMS["conversion-trend"] = TrendParams


def metric_payload(name: str, *, user, params, now=None) -> dict:
    """The API answer for one metric (also what the pages' CSV and JSON read)."""
    now = now or timezone.now()
    function, key = METRICS[name]
    filters = parse_filters(params, now=now)
    extra = {}
    if name in EXTRA_PARAMS:
        serializer = EXTRA_PARAMS[name](data={k: params.get(k) for k in params if params.get(k)})
        serializer.is_valid(raise_exception=True)
        extra = dict(serializer.validated_data)
        if "days" in extra:
            extra["days"] = int(extra["days"])
    data = function(user=user, filters=filters, now=now, **extra)
    definition = DEFINITIONS[key]
    return {
        "metric": name,
        "label": definition.label,
        "kind": definition.kind,
        "definition": definition.definition,
        "filters": {**filters.query(), **{k: str(v) for k, v in extra.items()}},
        "data": data,
    }


class MetricApi(APIView):
    metric = ""

    def get(self, request):
        return Response(metric_payload(self.metric, user=request.user, params=request.query_params))


def metric_view(name: str):
    """A view class for one metric, documented with its definition and its parameters."""
    _, key = METRICS[name]
    definition = DEFINITIONS[key]
    parameters = [MetricFiltersSerializer]
    if name in EXTRA_PARAMS:
        parameters.append(EXTRA_PARAMS[name])
    schema = extend_schema(
        summary=f"Metric: {definition.label}",
        description=definition.definition,
        parameters=parameters,
        responses={200: METRIC_RESPONSE, 400: ERRORS, 403: ERRORS},
        operation_id=f"metrics_{name.replace('-', '_')}",
        tags=["metrics"],
    )

    def get(self, request):
        return MetricApi.get(self, request)

    return type(
        f"Metric{name.title().replace('-', '')}Api",
        (MetricApi,),
        {"metric": name, "get": schema(get)},
    )


class MetricDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["cohort", "period"])
    unit = serializers.CharField()
    definition = serializers.CharField()
    bands = serializers.ListField(child=serializers.DictField())


@extend_schema(
    summary="The written definition of every metric",
    responses={200: MetricDefinitionSerializer(many=True)},
    tags=["metrics"],
)
class MetricDefinitionsApi(APIView):
    def get(self, request):
        return Response(
            [
                {
                    "key": d.key,
                    "label": d.label,
                    "kind": d.kind,
                    "unit": d.unit,
                    "definition": d.definition,
                    "bands": [b.__dict__ for b in d.bands],
                }
                for d in DEFINITIONS.values()
            ]
        )
