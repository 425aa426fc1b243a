"""/api/v1/ routes of the handoff (see handoff/api.py); feedback/api_urls.py adds sales'
accept / reject beside the other actions on an MQL."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from handoff import api

router = SimpleRouter()
router.register("teams", api.TeamViewSet, basename="team")
router.register("team-members", api.TeamMemberViewSet, basename="team-member")
router.register("routing-rules", api.RoutingRuleViewSet, basename="routing-rule")
router.register("sla/policies", api.SlaPolicyViewSet, basename="sla-policy")
router.register("sla/calendars", api.WorkCalendarViewSet, basename="sla-calendar")
router.register("out-of-office", api.OutOfOfficeViewSet, basename="out-of-office")

app_name = "handoff-api"
urlpatterns = [
    path("queue/", api.QueueApi.as_view(), name="queue"),
    path("mqls/reassign/", api.MqlBulkReassignApi.as_view(), name="mqls-reassign"),
    path("mqls/<int:pk>/", api.MqlDetailApi.as_view(), name="mql"),
    path("mqls/<int:pk>/touch/", api.MqlTouchApi.as_view(), name="mql-touch"),
    path("mqls/<int:pk>/reassign/", api.MqlReassignApi.as_view(), name="mql-reassign"),
    path("sla/breaches/", api.BreachListApi.as_view(), name="breaches"),
    path(
        "sla/breaches/<int:pk>/acknowledge/",
        api.BreachAcknowledgeApi.as_view(),
        name="breach-acknowledge",
    ),
    path("sla/breaches/<int:pk>/waive/", api.BreachWaiveApi.as_view(), name="breach-waive"),
    path("sla/compliance/", api.ComplianceApi.as_view(), name="compliance"),
    path("notifications/", api.NotificationListApi.as_view(), name="notifications"),
    path("notifications/read/", api.NotificationReadApi.as_view(), name="notifications-read"),
    *router.urls,
]
