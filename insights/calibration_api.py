"""REST API of calibration and backtests (/api/v1/): parse, check access, call a selector or
service, respond. For marketing and admins (scoring.change_scoringmodel), 403 for other roles
that read models; a model the user may not read is a 404."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from core.api import ERRORS, api_require
from core.parsers import JSONObjectParser
from insights import calibration
from insights.backtest import CALIBRATE, backtest_get_for_user, backtest_start
from insights.calibration_serializers import (
    BacktestCreateSerializer,
    BacktestSerializer,
    DraftThresholdsSerializer,
    FrontierQuerySerializer,
    FrontierSerializer,
    PeriodQuerySerializer,
    RuleReportSerializer,
    ScoreGridSerializer,
    ThresholdsSerializer,
)
from insights.metrics.definitions import OUTCOMES
from insights.models import Backtest
from scoring.models import ScoringModel
from scoring.selectors import model_get_for_user
from scoring.services import model_update

MODEL_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Scoring model id"
)
BACKTEST_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Backtest id"
)


def _model(request, pk) -> ScoringModel:
    model = model_get_for_user(user=request.user, pk=pk)
    api_require(request.user, CALIBRATE)
    return model


def _period(request):
    query = PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return calibration.period(query.validated_data["days"], None)


class _Get(generics.GenericAPIView):
    queryset = ScoringModel.objects.none()
    filter_backends: list = []


@extend_schema(
    summary="Rule report of a scoring model",
    description="For each rule, among the model's MQLs decided in the last `days` days: where it "
    "fired vs where it did not, the count, acceptance rate, won rate (won: "
    f"{OUTCOMES['won']}), lift (acceptance rate where it fired ÷ where it did not) and the top "
    "reject reasons where it fired.",
    parameters=[MODEL_ID, PeriodQuerySerializer],
    responses={200: RuleReportSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class RuleReportApi(_Get):
    serializer_class = RuleReportSerializer

    def get(self, request, pk: int):
        model = _model(request, pk)
        since, until = _period(request)
        report = calibration.rule_report(model=model, since=since, until=until)
        return Response(RuleReportSerializer(report).data)


@extend_schema(
    summary="Score grid of a scoring model",
    description="The model's MQLs decided in the last `days` days in fit bands × engagement "
    "bands (scores frozen on the MQL), each cell with its count, acceptance, MQL→SQL and won "
    "rates; the draft's thresholds are band edges.",
    parameters=[MODEL_ID, PeriodQuerySerializer],
    responses={200: ScoreGridSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class ScoreGridApi(_Get):
    serializer_class = ScoreGridSerializer

    def get(self, request, pk: int):
        model = _model(request, pk)
        since, until = _period(request)
        grid = calibration.score_grid(model=model, since=since, until=until)
        return Response(ScoreGridSerializer(grid).data)


@extend_schema(
    summary="Threshold frontier of a scoring model",
    description="For a grid of (fit, engagement) thresholds — and total, when the draft uses "
    "one — the MQLs a month and MQL→SQL rate over the last `months` months (of 30 days), from "
    "the decided MQLs' scores at the time. With a target, `matches` lists the points meeting "
    "it, best first.",
    parameters=[MODEL_ID, FrontierQuerySerializer],
    responses={200: FrontierSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class FrontierApi(_Get):
    serializer_class = FrontierSerializer

    def get(self, request, pk: int):
        model = _model(request, pk)
        query = FrontierQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        frontier = calibration.threshold_frontier(
            model=model,
            months=data["months"],
            min_sql_rate=data.get("min_sql_rate"),
            max_per_month=data.get("max_per_month"),
            min_per_month=data.get("min_per_month"),
        )
        return Response(FrontierSerializer(frontier).data)


@extend_schema(
    summary="Copy thresholds into a model's draft",
    description="Sets the draft's fit and engagement thresholds (and total, for a model that "
    "uses one) through the draft editor's service; publish to use them.",
    parameters=[MODEL_ID],
    request=ThresholdsSerializer,
    responses={200: DraftThresholdsSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class ThresholdsApi(generics.GenericAPIView):
    serializer_class = ThresholdsSerializer
    queryset = ScoringModel.objects.none()
    parser_classes = [JSONObjectParser]

    def post(self, request, pk: int):
        model = _model(request, pk)
        body = ThresholdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        model_update(
            model=model,
            data={
                "fit_min": data["fit_min"],
                "engagement_min": data["engagement_min"],
                "total_min": data.get("total_min", model.total_min),
            },
        )
        body = {k: getattr(model, k) for k in ("fit_min", "engagement_min", "total_min")}
        return Response(DraftThresholdsSerializer(body).data)


@extend_schema(
    summary="Backtest a model's draft",
    description="Queues a backtest of the draft as it is now: each of the model's MQLs decided "
    "in the last `days` days scored under the draft as of its decision time (events up to then; "
    "contact and company fields as they are now), and, with `include_new`, each contact that "
    "was never an MQL as of its latest activity in the period. Poll the answer's URL.",
    request=BacktestCreateSerializer,
    responses={202: BacktestSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class BacktestCreateApi(generics.GenericAPIView):
    serializer_class = BacktestCreateSerializer
    queryset = Backtest.objects.none()
    parser_classes = [JSONObjectParser]

    def post(self, request):
        body = BacktestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        model = _model(request, data["model"])
        backtest = backtest_start(
            model=model, by=request.user, days=data["days"], include_new=data["include_new"]
        )
        backtest.refresh_from_db()
        return Response(BacktestSerializer(backtest).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    summary="A backtest: its progress, then its report",
    parameters=[BACKTEST_ID],
    responses={200: BacktestSerializer, 404: ERRORS},
)
class BacktestDetailApi(generics.GenericAPIView):
    serializer_class = BacktestSerializer
    queryset = Backtest.objects.none()

    def get(self, request, pk: int):
        backtest = backtest_get_for_user(user=request.user, pk=pk)
        return Response(BacktestSerializer(backtest).data)
