"""Routes of rescoring: the API under /api/v1/rescore/ and the pages under /scoring/rescore/."""

from django.urls import path

from scoring.rescore import api, views

urlpatterns = [
    path("api/v1/rescore/", api.RescoreRunListApi.as_view(), name="api-rescore-runs"),
    path(
        "api/v1/rescore/<int:pk>/",
        api.RescoreRunDetailApi.as_view(),
        name="api-rescore-run",
    ),
    path("scoring/rescore/", views.rescore_list, name="rescore-runs"),
    path("scoring/rescore/start/", views.rescore_start_page, name="rescore-start"),
    path("scoring/rescore/<int:pk>/", views.rescore_detail, name="rescore-run"),
]
