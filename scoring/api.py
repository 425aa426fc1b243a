"""REST API of scoring (/api/v1/): parse, check access, call a service or selector, respond.

Access: every role with scoring.view_scoringmodel reads models and versions (others get 404);
creating, changing, publishing, rolling back and previewing need add/change_scoringmodel,
deleting delete_scoringmodel (marketing and admin), else 403. A contact's score is read through
the contact's selector: 404 for a contact the user may not see (reps see their own).
"""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.response import Response

from core.api import ERRORS, api_require
from core.exceptions import DomainError
from core.parsers import JSONObjectParser
from core.text import shown
from scoring.describe import score_explained
from scoring.models import ModelVersion, ScoringModel
from scoring.preview import draft_preview
from scoring.selectors import (
    contact_score_for_user,
    model_get_for_user,
    models_for_user,
    version_get,
)
from scoring.serializers import (
    ContactScoreSerializer,
    DraftPreviewSerializer,
    PreviewInputSerializer,
    PublishSerializer,
    RollbackSerializer,
    ScoringModelSerializer,
    ScoringModelWriteSerializer,
    VersionDetailSerializer,
    VersionDiffQuerySerializer,
    VersionDiffSerializer,
    VersionSummarySerializer,
)
from scoring.services import (
    MODEL_FIELDS,
    RULE_MODELS,
    model_create_with_rules,
    model_delete,
    model_publish,
    model_rollback,
    model_update_with_rules,
    version_diff,
)

MODEL_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Model id")
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="Version number"
)
CONTACT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Contact id"
)
REQUIRED_ON_PUT = ("name", "lookback_days", "fit_min", "engagement_min")
REQUIRED_ON_PUT += ("grade_a_min", "grade_b_min", "grade_c_min")
PUT_DEFAULTS = {
    "description": "",
    "is_active": True,
    "priority": 0,
    "segment": [],
    "total_min": None,
}


def _models():
    versions = ModelVersion.objects.order_by("-number").select_related("published_by")
    return ScoringModel.objects.prefetch_related(
        "fitrules",
        "engagementrules",
        "disqualifiers",
        Prefetch("versions", queryset=versions.defer("definition"), to_attr="newest_versions"),
    )


def _model_response(model: ScoringModel, *, status_code=status.HTTP_200_OK) -> Response:
    model = _models().get(pk=model.pk)
    return Response(ScoringModelSerializer(model).data, status=status_code)


def _split(body, *, full: bool) -> tuple[dict, dict]:
    """(model settings, rule lists) from a request body; unknown names are a 400 naming them."""
    unknown = sorted(set(body) - set(MODEL_FIELDS) - set(RULE_MODELS) - {"id"})
    if unknown:
        raise DomainError("Unknown field.", field=shown(unknown[0]))
    data = {k: v for k, v in body.items() if k in MODEL_FIELDS}
    rules = {k: v for k, v in body.items() if k in RULE_MODELS}
    if full:
        missing = [name for name in REQUIRED_ON_PUT if name not in data]
        if missing:
            raise DomainError("This field is required.", field=missing[0])
        data = {**PUT_DEFAULTS, **data}
        rules = {kind: rules.get(kind, []) for kind in RULE_MODELS}
    return data, rules


@extend_schema_view(
    get=extend_schema(summary="List scoring models (drafts with their latest published version)"),
    post=extend_schema(
        summary="Create a scoring model with its draft rules",
        description="Settings, segment and the three rule lists in one request; validated as a "
        "whole, so nothing is saved when a rule is invalid. Errors name the field, nested ones "
        "included, e.g. `engagement_rules[2].window_days`.",
        request=ScoringModelWriteSerializer,
        responses={201: ScoringModelSerializer, 400: ERRORS, 403: ERRORS},
    ),
)
class ScoringModelListCreateApi(generics.ListCreateAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = ScoringModelSerializer
    filter_backends: list = []
    queryset = ScoringModel.objects.none()

    def get_queryset(self):
        return _models().filter(pk__in=models_for_user(user=self.request.user))

    def create(self, request, *args, **kwargs):
        api_require(request.user, "scoring.add_scoringmodel")
        data, rules = _split(request.data, full=False)
        model = model_create_with_rules(data=data, rules=rules, by=request.user)
        return _model_response(model, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="One scoring model", parameters=[MODEL_ID]),
    put=extend_schema(
        summary="Replace a model's draft",
        description="Settings as sent (optional ones back to their defaults) and all three rule "
        "lists (a missing list means no rules of that kind). Rules that carry their `key` keep "
        "it, so version diffs match them.",
        parameters=[MODEL_ID],
        request=ScoringModelWriteSerializer,
        responses={200: ScoringModelSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
    ),
    patch=extend_schema(
        summary="Change a model's draft",
        description="Only the settings sent change; a rule list sent replaces that list.",
        parameters=[MODEL_ID],
        request=ScoringModelWriteSerializer,
        responses={200: ScoringModelSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
    ),
    delete=extend_schema(
        summary="Delete a model with its versions, scores and score history",
        description="To stop a model scoring but keep its history, PATCH is_active=false.",
        parameters=[MODEL_ID],
        responses={204: None, 403: ERRORS, 404: ERRORS},
    ),
)
class ScoringModelDetailApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = ScoringModelSerializer
    queryset = ScoringModel.objects.none()

    def get(self, request, pk: int):
        return _model_response(model_get_for_user(user=request.user, pk=pk))

    def _update(self, request, pk: int, *, full: bool) -> Response:
        model = model_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "scoring.change_scoringmodel")
        data, rules = _split(request.data, full=full)
        model = model_update_with_rules(model=model, data=data, rules=rules)
        return _model_response(model)

    def put(self, request, pk: int):
        return self._update(request, pk, full=True)

    def patch(self, request, pk: int):
        return self._update(request, pk, full=False)

    def delete(self, request, pk: int):
        model = model_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "scoring.delete_scoringmodel")
        model_delete(model=model)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="Publish the draft as the next version",
    description="Freezes the draft (validated) as version N+1 with your note; starts a full "
    "rescore. 400 when the draft is invalid or unchanged since the latest version.",
    parameters=[MODEL_ID],
    request=PublishSerializer,
    responses={201: VersionDetailSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class ScoringModelPublishApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = PublishSerializer
    queryset = ScoringModel.objects.none()

    def post(self, request, pk: int):
        model = model_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "scoring.change_scoringmodel")
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = serializer.validated_data.get("note", "")
        version = model_publish(model=model, by=request.user, note=note)
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Roll back: publish an old version's rules as a new version",
    description="The draft becomes that version's definition, published as version N+1.",
    parameters=[MODEL_ID],
    request=RollbackSerializer,
    responses={201: VersionDetailSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class ScoringModelRollbackApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = RollbackSerializer
    queryset = ScoringModel.objects.none()

    def post(self, request, pk: int):
        model = model_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "scoring.change_scoringmodel")
        serializer = RollbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        number = serializer.validated_data["version"]
        old = model.versions.filter(number=number).first()
        if old is None:
            raise DomainError(f"Version {number} does not exist.", field="version")
        version = model_rollback(model=model, version=old, by=request.user)
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Preview the draft against the current data (writes nothing)",
    description="How many contacts would be MQL-eligible under the draft vs the latest "
    "published version, gained and lost, broken down by segment membership (in both segments, "
    "only the draft's, only the published one's) and by lifecycle stage, with example contacts.",
    parameters=[MODEL_ID],
    request=PreviewInputSerializer,
    responses={200: DraftPreviewSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class ScoringModelPreviewApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = PreviewInputSerializer
    queryset = ScoringModel.objects.none()

    def post(self, request, pk: int):
        model = model_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "scoring.change_scoringmodel")
        serializer = PreviewInputSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        preview = draft_preview(model=model, examples=serializer.validated_data["examples"])
        return Response(DraftPreviewSerializer(preview).data)


@extend_schema(
    summary="A model's published versions, newest first",
    parameters=[MODEL_ID],
    responses=VersionSummarySerializer(many=True),
)
class VersionListApi(generics.GenericAPIView):
    serializer_class = VersionSummarySerializer
    queryset = ModelVersion.objects.none()
    pagination_class = None
    filter_backends: list = []

    def get(self, request, pk: int):
        model = model_get_for_user(user=request.user, pk=pk)
        versions = model.versions.order_by("-number").select_related("published_by")
        return Response(VersionSummarySerializer(versions.defer("definition"), many=True).data)


@extend_schema(
    summary="One published version with its rules described",
    parameters=[MODEL_ID, NUMBER],
    responses={200: VersionDetailSerializer, 404: ERRORS},
)
class VersionDetailApi(generics.GenericAPIView):
    serializer_class = VersionDetailSerializer
    queryset = ModelVersion.objects.none()

    def get(self, request, pk: int, number: int):
        model = model_get_for_user(user=request.user, pk=pk)
        return Response(VersionDetailSerializer(version_get(model=model, number=number)).data)


@extend_schema(
    summary="What changed between two versions",
    description="Settings and segment that differ, and per rule kind the rules added, removed "
    "and changed (matched by rule key). `from` may be later than `to`.",
    parameters=[MODEL_ID, VersionDiffQuerySerializer],
    responses={200: VersionDiffSerializer, 400: ERRORS, 404: ERRORS},
)
class VersionDiffApi(generics.GenericAPIView):
    serializer_class = VersionDiffSerializer
    queryset = ModelVersion.objects.none()
    filter_backends: list = []

    def get(self, request, pk: int):
        model = model_get_for_user(user=request.user, pk=pk)
        query = VersionDiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        versions = {}
        for end in ("from", "to"):
            number = query.validated_data[end]
            versions[end] = model.versions.filter(number=number).first()
            if versions[end] is None:
                raise DomainError(f"Version {number} does not exist.", field=end)
        diff = version_diff(versions["from"], versions["to"])
        body = {"from": versions["from"].number, "to": versions["to"].number, **diff}
        return Response(body)


def _score_body(contact_id: int, score) -> dict:
    if score is None:
        empty = dict.fromkeys(("model", "version", "fit", "engagement", "total", "grade"))
        empty.update(dict.fromkeys(("mql_eligible", "blocked_by", "scored_at")))
        return {"contact_id": contact_id, "scored": False, **empty, "rules": []}
    return {
        "contact_id": contact_id,
        "scored": True,
        "model": {"id": score.model_id, "name": score.model.name},
        "version": score.model_version.number,
        "fit": score.fit,
        "engagement": score.engagement,
        "total": score.total,
        "grade": score.grade,
        "mql_eligible": score.mql_eligible,
        "blocked_by": score.blocked_by,
        "scored_at": score.scored_at,
        "rules": score_explained(score),
    }


@extend_schema(
    summary="A contact's current score, explained",
    description="Fit, engagement, total, grade, MQL eligibility (or the disqualifier blocking "
    "it), the model version that scored it and each rule that fired with its points. A contact "
    "not scored yet answers 200 with scored=false and null score fields.",
    parameters=[CONTACT_ID],
    responses={200: ContactScoreSerializer, 404: ERRORS},
)
class ContactScoreApi(generics.GenericAPIView):
    serializer_class = ContactScoreSerializer
    queryset = ScoringModel.objects.none()

    def get(self, request, pk: int):
        contact, score = contact_score_for_user(user=request.user, contact_id=pk)
        return Response(ContactScoreSerializer(_score_body(contact.pk, score)).data)
