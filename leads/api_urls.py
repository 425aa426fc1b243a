"""/api/v1/ (see leads/api.py; the OpenAPI schema is at /api/schema/, the docs at /api/docs/)."""

from django.urls import path

from leads import api

app_name = "api"
urlpatterns = [
    path("contacts/", api.ContactListCreateApi.as_view(), name="contacts"),
    path("contacts/<int:pk>/", api.ContactDetailApi.as_view(), name="contact"),
    path("contacts/<int:pk>/stage/", api.ContactStageApi.as_view(), name="contact-stage"),
    path("contacts/<int:pk>/events/", api.ContactEventsApi.as_view(), name="contact-events"),
    path("events/", api.EventIngestApi.as_view(), name="events"),
]
