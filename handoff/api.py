"""REST API of the handoff (/api/v1/): the queue, actions on an MQL, breaches, SLA compliance,
notifications, and the configuration (teams, routing rules, SLA policies, calendars).

Access: an MQL or breach is read through the selectors (404 for what is not yours or your
team's); actions also need the role's permission (403 without it). Sales' accept / reject and
the reject reasons are feedback's (feedback/api.py), built on MqlActionApi and ConfigViewSet.
"""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import ERRORS, api_require
from core.exceptions import ConflictError
from core.filters import utc_datetime
from core.roles import is_admin
from handoff import selectors, services
from handoff.filters import BreachFilter, QueueFilter
from handoff.models import (
    Breach,
    Mql,
    Notification,
    OutOfOffice,
    RoutingRule,
    SlaPolicy,
    Team,
    TeamMember,
    WorkCalendar,
)
from handoff.serializers import (
    AcknowledgeInputSerializer,
    BreachSerializer,
    BulkReassignInputSerializer,
    ComplianceRowSerializer,
    MqlDetailSerializer,
    MqlSerializer,
    OutOfOfficeSerializer,
    ReassignInputSerializer,
    RoutingRuleSerializer,
    SlaPolicySerializer,
    TeamMemberSerializer,
    TeamSerializer,
    TouchInputSerializer,
    TouchOutSerializer,
    WaiveInputSerializer,
    WorkCalendarSerializer,
)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def mql_page_context(mqls: list[Mql]) -> dict:
    """What the queue shows besides the MQL rows, fetched for a whole page at once."""
    return {
        "now": timezone.now(),
        "clocks": selectors.running_clocks(mqls),
        "events": selectors.recent_events(mqls),
    }


@extend_schema(
    summary="My queue: open MQLs by SLA due time, then score",
    description="Reps get their own open MQLs; managers those of the teams they manage (narrow "
    "with `team` or `owner`); admins all.",
)
class QueueApi(generics.ListAPIView):
    serializer_class = MqlSerializer
    filterset_class = QueueFilter
    queryset = Mql.objects.none()

    def get_queryset(self):
        api_require(self.request.user, "handoff.view_mql")
        return selectors.queue_for_user(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), **mql_page_context(page)}
        return self.get_paginated_response(MqlSerializer(page, many=True, context=context).data)


class MqlDetailApi(generics.RetrieveAPIView):
    serializer_class = MqlDetailSerializer
    queryset = Mql.objects.none()

    def get_object(self):
        api_require(self.request.user, "handoff.view_mql")
        return selectors.mql_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


class MqlActionApi(generics.GenericAPIView):
    # An action on one MQL: mql() reads it for the user (404) and checks `permission` (403).
    # (A comment, not a docstring: drf-spectacular would show it on every action.)
    permission = "handoff.change_mql"
    queryset = Mql.objects.none()

    def mql(self, request, pk) -> Mql:
        mql = selectors.mql_get_for_user(user=request.user, pk=pk)
        api_require(request.user, self.permission)
        return mql


@extend_schema(
    summary="Log a call, email or meeting (the first stops the first-touch clock)",
    responses={201: TouchOutSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS},
)
class MqlTouchApi(MqlActionApi):
    serializer_class = TouchInputSerializer
    permission = "handoff.add_touch"

    def post(self, request, pk: int):
        mql = self.mql(request, pk)
        data = _valid(TouchInputSerializer, request.data)
        touch = services.mql_touch(mql=mql, by=request.user, **data)
        return Response(TouchOutSerializer(touch).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Give an MQL to another rep of a team you manage",
    responses={200: MqlSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS},
)
class MqlReassignApi(MqlActionApi):
    serializer_class = ReassignInputSerializer
    permission = "handoff.reassign_mql"

    def post(self, request, pk: int):
        mql = self.mql(request, pk)
        data = _valid(ReassignInputSerializer, request.data)
        services.mqls_reassign(mqls=[mql], by=request.user, **data)
        mql = selectors.mql_get_for_user(user=request.user, pk=pk)
        return Response(MqlSerializer(mql, context={"now": timezone.now()}).data)


class MqlBulkReassignApi(generics.GenericAPIView):
    serializer_class = BulkReassignInputSerializer
    queryset = Mql.objects.none()

    @extend_schema(
        operation_id="mqls_bulk_reassign",
        summary="Give many MQLs to one rep (all or nothing)",
        responses={200: MqlSerializer(many=True), 400: ERRORS, 403: ERRORS, 409: ERRORS},
    )
    def post(self, request):
        api_require(request.user, "handoff.reassign_mql")
        data = _valid(BulkReassignInputSerializer, request.data)
        mqls = list(selectors.mqls_for_user(user=request.user).filter(pk__in=data["mqls"]))
        missing = set(data["mqls"]) - {m.pk for m in mqls}
        if missing:
            raise ValidationError({"mqls": [f"No such MQL of yours: {sorted(missing)}."]})
        moved = services.mqls_reassign(
            mqls=mqls, owner=data["owner"], by=request.user, note=data["note"]
        )
        return Response(MqlSerializer(moved, many=True, context={"now": timezone.now()}).data)


# --- SLA ----------------------------------------------------------------------------------------


@extend_schema(summary="SLA breaches (yours, your teams', or all for admins)")
class BreachListApi(generics.ListAPIView):
    serializer_class = BreachSerializer
    filterset_class = BreachFilter
    queryset = Breach.objects.none()

    def get_queryset(self):
        api_require(self.request.user, "handoff.view_breach")
        return selectors.breaches_for_user(user=self.request.user)


@extend_schema(
    summary="Acknowledge a breach with a note",
    responses={200: BreachSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS},
)
class BreachAcknowledgeApi(generics.GenericAPIView):
    serializer_class = AcknowledgeInputSerializer
    queryset = Mql.objects.none()

    def post(self, request, pk: int):
        breach = selectors.breach_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "handoff.change_breach")
        data = _valid(AcknowledgeInputSerializer, request.data)
        breach = services.breach_acknowledge(breach=breach, by=request.user, note=data["note"])
        return Response(BreachSerializer(breach).data)


@extend_schema(
    summary="Waive a breach with a reason (the team's managers and admins)",
    responses={200: BreachSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS},
)
class BreachWaiveApi(generics.GenericAPIView):
    serializer_class = WaiveInputSerializer
    queryset = Mql.objects.none()

    def post(self, request, pk: int):
        breach = selectors.breach_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "handoff.change_breach")
        data = _valid(WaiveInputSerializer, request.data)
        breach = services.breach_waive(breach=breach, by=request.user, reason=data["reason"])
        return Response(BreachSerializer(breach).data)


@extend_schema(
    summary="SLA compliance: share of clocks met, per rep, team or week",
    parameters=[
        OpenApiParameter("group", str, enum=["rep", "team", "week"], default="week"),
        OpenApiParameter("since", OpenApiTypes.DATETIME, description="Default: 8 weeks ago"),
        OpenApiParameter("until", OpenApiTypes.DATETIME, description="Default: now"),
    ],
    responses={200: ComplianceRowSerializer(many=True), 400: ERRORS},
)
class ComplianceApi(generics.GenericAPIView):
    serializer_class = ComplianceRowSerializer
    pagination_class = None
    queryset = Mql.objects.none()

    def get(self, request):
        api_require(request.user, "handoff.view_breach")
        group = request.query_params.get("group", "week")
        if group not in ("rep", "team", "week"):
            raise ValidationError({"group": ["Choose rep, team or week."]})
        since, until = selectors.default_period()
        since = utc_datetime(request.query_params.get("since"), field="since") or since
        until = utc_datetime(request.query_params.get("until"), field="until") or until
        rows = selectors.sla_compliance(user=request.user, group_by=group, since=since, until=until)
        return Response(ComplianceRowSerializer(rows, many=True).data)


# --- notifications ------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "message", "url", "mql", "created_at", "read_at"]


class NotificationListApi(generics.ListAPIView):
    """Your notifications, newest first (`?unread=true` for the unread ones)."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        qs = Notification.objects.filter(user=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs


class NotificationReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False)


@extend_schema(summary="Mark your notifications read (all, or the given ids)")
class NotificationReadApi(generics.GenericAPIView):
    serializer_class = NotificationReadInputSerializer
    queryset = Notification.objects.none()

    def post(self, request):
        data = _valid(NotificationReadInputSerializer, request.data)
        marked = services.notifications_mark_read(user=request.user, ids=data.get("ids"))
        return Response({"marked": marked})


# --- configuration ------------------------------------------------------------------------------


class ModelPermissionsWithView(permissions.DjangoModelPermissions):
    """Reading needs the view permission too (reps may not list SLA policies, say)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class ConfigViewSet(viewsets.ModelViewSet):
    permission_classes = [permissions.IsAuthenticated, ModelPermissionsWithView]

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:
            raise ConflictError(
                f"This {instance._meta.verbose_name} is in use; deactivate or change it instead."
            ) from None


class TeamViewSet(ConfigViewSet):
    """Teams: admins create, change and delete them (handoff.services.teams)."""

    queryset = Team.objects.prefetch_related("members")
    serializer_class = TeamSerializer

    def perform_create(self, serializer):
        serializer.instance = services.team_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.team_update(
            team=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.team_delete(team=instance, by=self.request.user)


class TeamMemberViewSet(ConfigViewSet):
    """Members: admins name managers and reps; a manager edits the reps of teams they manage."""

    queryset = TeamMember.objects.select_related("team", "user").order_by("team__name", "id")
    serializer_class = TeamMemberSerializer
    filterset_fields = ["team", "user", "role"]

    def perform_create(self, serializer):
        serializer.instance = services.team_member_add(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.team_member_update(
            member=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.team_member_remove(member=instance, by=self.request.user)


class RoutingRuleViewSet(ConfigViewSet):
    queryset = RoutingRule.objects.select_related("team")
    serializer_class = RoutingRuleSerializer


class SlaPolicyViewSet(ConfigViewSet):
    queryset = SlaPolicy.objects.order_by("id")
    serializer_class = SlaPolicySerializer

    @transaction.atomic
    def perform_create(self, serializer):
        services.clocks_retime_for_policy(policy=serializer.save())

    @transaction.atomic
    def perform_update(self, serializer):
        services.clocks_retime_for_policy(policy=serializer.save())


class WorkCalendarViewSet(ConfigViewSet):
    queryset = WorkCalendar.objects.order_by("name", "id")
    serializer_class = WorkCalendarSerializer

    @transaction.atomic
    def perform_update(self, serializer):
        services.clocks_retime_for_calendar(calendar=serializer.save())


class OutOfOfficeViewSet(ConfigViewSet):
    """Your own absences (admins: everyone's)."""

    serializer_class = OutOfOfficeSerializer
    queryset = OutOfOffice.objects.none()

    def get_queryset(self):
        qs = OutOfOffice.objects.all()
        return qs if is_admin(self.request.user) else qs.filter(user=self.request.user)

    def perform_create(self, serializer):
        serializer.save(user=self.request.user)
