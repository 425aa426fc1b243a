from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from core.views import api_docs, api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/", include("leads.api_urls")),
    path("api/v1/", include("handoff.api_urls")),
    path("api/v1/", include("feedback.api_urls")),
    path("api/v1/", include("scoring.api_urls")),
    path("api/v1/", include("insights.api_urls")),
    path("import/", include("leads.imports.urls")),
    path("scoring/", include("scoring.urls")),
    path("", include("insights.urls")),  # /insights/…
    path("", include("handoff.urls")),
    path("", include("feedback.urls")),  # /feedback/ and /queue/<pk>/accept/, …/reject/
    path("", include("scoring.rescore.urls")),  # /api/v1/rescore/… and /scoring/rescore/…
    path("", include("leads.urls")),
    path("", include("core.urls")),
    re_path(r"^api/", api_not_found),  # last: the API's 404 is JSON, in DEBUG too
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
