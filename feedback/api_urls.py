"""/api/v1/ routes of the feedback (see feedback/api.py). Sales' decision on an MQL keeps its
place beside the other actions on an MQL (/api/v1/mqls/<pk>/accept/, …/reject/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from feedback import api

router = SimpleRouter()
router.register("reject-reasons", api.RejectReasonViewSet, basename="reject-reason")

app_name = "feedback-api"
urlpatterns = [
    path("mqls/<int:pk>/accept/", api.MqlAcceptApi.as_view(), name="mql-accept"),
    path("mqls/<int:pk>/reject/", api.MqlRejectApi.as_view(), name="mql-reject"),
    path("feedback/", api.FeedbackApi.as_view(), name="feedback"),
    path("feedback/summary/", api.FeedbackSummaryApi.as_view(), name="feedback-summary"),
    *router.urls,
]
