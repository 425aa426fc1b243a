"""Routes of rescoring: the API under /api/v1/rescore/ and the pages under /scoring/rescore/."""

from django.urls import path

from scoring import rescore_api, rescore_views

urlpatterns = [
    path("api/v1/rescore/", rescore_api.RescoreRunListApi.as_view(), name="api-rescore-runs"),
    path(
        "api/v1/rescore/<int:pk>/",
        rescore_api.RescoreRunDetailApi.as_view(),
        name="api-rescore-run",
    ),
    path("scoring/rescore/", rescore_views.rescore_list, name="rescore-runs"),
    path("scoring/rescore/start/", rescore_views.rescore_start_page, name="rescore-start"),
    path("scoring/rescore/<int:pk>/", rescore_views.rescore_detail, name="rescore-run"),
]
