"""REST API of rescoring: start a full rescore (admins), list runs and follow one's progress."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api import ERRORS
from core.parsers import JSONObjectParser
from scoring.models import RescoreRun
from scoring.rescore.runs import rescore_start
from scoring.selectors import START_RESCORE, rescore_run_get_for_user, rescore_runs_for_user


class RescoreRunSerializer(serializers.ModelSerializer):
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text="Chunks done, in percent")

    class Meta:
        model = RescoreRun
        fields = [
            "id",
            "kind",
            "status",
            "reason",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "as_of",
            "chunks_total",
            "chunks_done",
            "percent",
            "contacts_scored",
            "scores_changed",
            "mqls_created",
            "error",
        ]
        read_only_fields = fields


class RescoreStartSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=RescoreRun._meta.get_field("reason").max_length,
        required=False,
        allow_blank=True,
        help_text="Shown on the run; default: who started it",
    )


def _visible(call):
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None


@extend_schema_view(
    get=extend_schema(
        summary="List rescore runs, newest first",
        description="Full and scheduled rescores with their progress. Needs "
        "scoring.view_scoringmodel.",
    ),
    post=extend_schema(
        summary="Start a full rescore of every contact",
        description="Admins (scoring.start_rescore). 202 with the run that will do it: a new "
        "queued run, or the one already queued. While a full rescore runs, a new one is queued "
        "and starts when it ends.",
        request=RescoreStartSerializer,
        responses={202: RescoreRunSerializer, 400: ERRORS, 403: ERRORS},
    ),
)
class RescoreRunListApi(generics.ListAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = RescoreRunSerializer
    queryset = RescoreRun.objects.none()  # the real one is per user, see get_queryset

    def get_queryset(self):
        return _visible(lambda: rescore_runs_for_user(user=self.request.user))

    def post(self, request):
        if not request.user.has_perm(START_RESCORE):
            raise PermissionDenied(f"You need the {START_RESCORE} permission for this.")
        data = RescoreStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason") or f"Started by {request.user.get_username()}"
        run = rescore_start(by=request.user, reason=reason)
        return Response(RescoreRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    get=extend_schema(
        summary="One rescore run and its progress",
        description="Needs scoring.view_scoringmodel.",
        responses={200: RescoreRunSerializer, 403: ERRORS, 404: ERRORS},
    )
)
class RescoreRunDetailApi(generics.RetrieveAPIView):
    serializer_class = RescoreRunSerializer
    queryset = RescoreRun.objects.none()

    def get_object(self):
        return _visible(
            lambda: rescore_run_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        )
