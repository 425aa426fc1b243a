"""/api/v1/ scoring endpoints (see scoring/api.py); included from config/urls.py."""

from django.urls import path

from scoring import api

app_name = "scoring-api"
urlpatterns = [
    path("scoring-models/", api.ScoringModelListCreateApi.as_view(), name="models"),
    path("scoring-models/<int:pk>/", api.ScoringModelDetailApi.as_view(), name="model"),
    path("scoring-models/<int:pk>/publish/", api.ScoringModelPublishApi.as_view(), name="publish"),
    path(
        "scoring-models/<int:pk>/rollback/",
        api.ScoringModelRollbackApi.as_view(),
        name="rollback",
    ),
    path("scoring-models/<int:pk>/preview/", api.ScoringModelPreviewApi.as_view(), name="preview"),
    path("scoring-models/<int:pk>/versions/", api.VersionListApi.as_view(), name="versions"),
    path(
        "scoring-models/<int:pk>/versions/diff/", api.VersionDiffApi.as_view(), name="version-diff"
    ),
    path(
        "scoring-models/<int:pk>/versions/<int:number>/",
        api.VersionDetailApi.as_view(),
        name="version",
    ),
    path("contacts/<int:pk>/score/", api.ContactScoreApi.as_view(), name="contact-score"),
]
