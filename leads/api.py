"""REST API of the leads domain (/api/v1/): parse, check access, call a service, respond.

Access: reads go through contacts_for_user / contact_get_for_user (404 for what the user may not
see); writes also need the model permission of the user's role (403 without it).
"""

from contextlib import contextmanager

from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from core.api import ERRORS, api_require
from core.exceptions import ConflictError
from core.parsers import JSONObjectParser
from leads.filters import contact_filterset
from leads.imports.events_ingest import MAX_BATCH, REJECTED, events_ingest
from leads.models import ActivityEvent, Contact, StageChange
from leads.selectors import contact_get_for_user, contacts_for_user, stage_stays
from leads.serializers import (
    EVENT_BATCH_HELP,
    ContactDetailSerializer,
    ContactPatchSerializer,
    ContactSerializer,
    ContactWriteSerializer,
    EventInputSerializer,
    EventOutcomeSerializer,
    EventSerializer,
    StageChangeInputSerializer,
)
from leads.services import contact_upsert, stage_change

CONTACT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Contact id"
)


def _may_assign_owner(user) -> bool:
    """Reps see only their own contacts, so they may not hand them to (or take them from) others."""
    return user.has_perm("leads.view_all_contacts")


def _check_owner_change(user, data: dict, current_owner_id) -> None:
    if "owner" not in data:
        return
    new_owner = data["owner"]
    if getattr(new_owner, "pk", None) != current_owner_id and not _may_assign_owner(user):
        raise PermissionDenied({"owner": ["You may not change a contact's owner."]})


def _contact_detail(contact: Contact, *, status_code=status.HTTP_200_OK) -> Response:
    history = StageChange.objects.filter(contact=contact).select_related("actor_user")
    context = {"stage_history": history, "stage_stays": stage_stays(contact=contact)}
    return Response(ContactDetailSerializer(contact, context=context).data, status=status_code)


@contextmanager
def _conflict_as_409():
    """Two requests creating the same contact or company at once: the loser is told to retry."""
    try:
        yield
    except IntegrityError:
        raise ConflictError(
            "Another request created this contact or its company at the same moment; send it again."
        ) from None


def _split_company(data: dict) -> tuple[dict, dict | None]:
    """The contact's own fields, and the nested company for contact_upsert; null clears it."""
    data = dict(data)
    if "company" in data and data["company"] is None:
        return data, None  # contact_update sets company to None
    return data, data.pop("company", None)


@extend_schema_view(
    get=extend_schema(summary="List contacts you may see (paginated, filtered)"),
    post=extend_schema(
        summary="Create or update a contact by email",
        description="201 when created, 200 when a contact with this email (case-insensitive) "
        "existed and was updated. A nested company is matched by its domain.",
        request=ContactWriteSerializer,
        responses={
            201: ContactDetailSerializer,
            200: ContactDetailSerializer,
            400: ERRORS,
            403: ERRORS,
            409: ERRORS,
        },
    ),
)
class ContactListCreateApi(generics.ListCreateAPIView):
    parser_classes = [JSONObjectParser]
    queryset = Contact.objects.none()  # the real one is per user, see get_queryset

    @property
    def filterset_class(self):
        return contact_filterset()

    def get_queryset(self):
        return contacts_for_user(user=self.request.user)

    def get_serializer_class(self):
        return ContactWriteSerializer if self.request.method == "POST" else ContactSerializer

    def create(self, request, *args, **kwargs):
        user = request.user
        api_require(user, "leads.add_contact")
        serializer = ContactWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, company = _split_company(serializer.validated_data)
        email = data.pop("email")

        existing = Contact.objects.filter(email__iexact=email).only("id", "owner_id").first()
        if existing is not None:
            api_require(user, "leads.change_contact")
            if not contacts_for_user(user=user).filter(pk=existing.pk).exists():
                raise PermissionDenied(
                    {"email": ["A contact with this email exists and is not yours to change."]}
                )
        _check_owner_change(user, data, existing.owner_id if existing else None)

        with _conflict_as_409():
            contact, created = contact_upsert(email=email, data=data, company=company, by=user)
        contact = Contact.objects.select_related("company", "owner").get(pk=contact.pk)
        return _contact_detail(
            contact, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


@extend_schema_view(
    get=extend_schema(
        summary="One contact with its stage history",
        parameters=[CONTACT_ID],
        responses=ContactDetailSerializer,
    ),
    patch=extend_schema(
        summary="Change a contact's fields (not its email or stage)",
        parameters=[CONTACT_ID],
        request=ContactPatchSerializer,
        responses={
            200: ContactDetailSerializer,
            400: ERRORS,
            403: ERRORS,
            404: ERRORS,
            409: ERRORS,
        },
    ),
)
class ContactDetailApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = ContactDetailSerializer
    queryset = Contact.objects.none()
    http_method_names = ["get", "patch", "head", "options"]

    def get(self, request, pk: int):
        return _contact_detail(contact_get_for_user(user=request.user, pk=pk))

    def patch(self, request, pk: int):
        api_require(request.user, "leads.change_contact")
        contact = contact_get_for_user(user=request.user, pk=pk)
        read_only = {
            "lifecycle_stage": "Change the stage with POST /api/v1/contacts/{id}/stage/.",
            "email": "The email identifies the contact and cannot be changed here.",
        }
        errors = {field: [msg] for field, msg in read_only.items() if field in request.data}
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        serializer = ContactPatchSerializer(contact, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, company = _split_company(serializer.validated_data)
        _check_owner_change(request.user, data, contact.owner_id)
        with _conflict_as_409():
            contact_upsert(email=contact.email, data=data, company=company, by=request.user)
        return _contact_detail(contact_get_for_user(user=request.user, pk=pk))


@extend_schema(
    summary="Move a contact to another lifecycle stage",
    description="Skipping forward needs override with a reason; moving back is only to nurture "
    "or disqualified, or by an admin. Refused moves answer 400 naming the field.",
    parameters=[CONTACT_ID],
    request=StageChangeInputSerializer,
    responses={200: ContactDetailSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
)
class ContactStageApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = StageChangeInputSerializer
    queryset = Contact.objects.none()

    def post(self, request, pk: int):
        api_require(request.user, "leads.change_stage")
        contact = contact_get_for_user(user=request.user, pk=pk)
        serializer = StageChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stage_change(contact=contact, by=request.user, **serializer.validated_data)
        return _contact_detail(contact_get_for_user(user=request.user, pk=pk))


class NewestFirst(CursorPagination):
    ordering = ("-occurred_at", "-id")
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"


@extend_schema(
    summary="A contact's events, newest first (cursor-paginated)", parameters=[CONTACT_ID]
)
class ContactEventsApi(generics.ListAPIView):
    serializer_class = EventSerializer
    pagination_class = NewestFirst
    filter_backends: list = []
    queryset = ActivityEvent.objects.none()

    def get_queryset(self):
        api_require(self.request.user, "leads.view_activityevent")
        contact = contact_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        return ActivityEvent.objects.filter(contact=contact)


EVENT_BATCH = PolymorphicProxySerializer(
    component_name="EventBatch",
    serializers=[EventInputSerializer, EventInputSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


@extend_schema(
    summary="Ingest one event or a batch of events",
    description=EVENT_BATCH_HELP
    + " Each event names its contact by `contact` (id) or `email` (an unknown email creates a "
    "contact in stage lead). The response lists each item's outcome in request order: created, "
    "duplicate (same source and external_id as a stored event, which is returned; nothing is "
    "written) or rejected with field errors. Valid items are stored even when others are "
    "rejected: 201 when none was rejected, 207 when some were, 400 when all were.",
    request=EVENT_BATCH,
    responses={
        201: EventOutcomeSerializer(many=True),
        207: EventOutcomeSerializer(many=True),
        400: OpenApiResponse(
            # drf-spectacular drops many=True for error codes: the list is spelled out.
            {
                "oneOf": [
                    {"type": "array", "items": {"$ref": "#/components/schemas/EventOutcome"}},
                    {"$ref": "#/components/schemas/Error"},
                ]
            },
            description="All items rejected (a list of outcomes), or the whole request is "
            "malformed (an object naming the field, e.g. events)",
        ),
        403: ERRORS,
    },
    examples=[
        OpenApiExample(
            "One page view",
            request_only=True,
            value={
                "email": "ada@example.com",
                "event_type": "page_view",
                "occurred_at": "2025-03-01T12:00:00Z",
                "properties": {"url": "/pricing"},
                "source": "website",
                "external_id": "pv-0001",
            },
        )
    ],
)
class EventIngestApi(generics.GenericAPIView):
    parser_classes = [JSONParser]  # an event or a list of them
    pagination_class = None
    serializer_class = EventInputSerializer
    queryset = ActivityEvent.objects.none()

    def post(self, request):
        api_require(request.user, "leads.add_activityevent")
        body = request.data
        if isinstance(body, dict):
            items = [body]
        elif isinstance(body, list):
            items = body
        else:
            return Response(
                {"events": ["Expected an event object or a list of events."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if not items:
            return Response(
                {"events": ["Send at least one event."]}, status=status.HTTP_400_BAD_REQUEST
            )
        if len(items) > MAX_BATCH:
            return Response(
                {"events": [f"A batch holds at most {MAX_BATCH:,} events; got {len(items):,}."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        outcomes = events_ingest(items=items, by=request.user)
        rejected = sum(1 for o in outcomes if o.status == REJECTED)
        payload = [
            {"status": o.status, "errors": o.errors}
            if o.status == REJECTED
            else {"status": o.status, "event": o.event}
            for o in outcomes
        ]
        if rejected == 0:
            code = status.HTTP_201_CREATED
        elif rejected == len(outcomes):
            code = status.HTTP_400_BAD_REQUEST
        else:
            code = status.HTTP_207_MULTI_STATUS
        return Response(payload, status=code)
