"""A page and an API view whose statement PostgreSQL refuses as a deadlock (test URLconf)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response


def _deadlock() -> None:
    """The server raises SQLSTATE 40P01, as it does when it breaks a real deadlock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"
        )


@api_view(["POST"])
@permission_classes([AllowAny])
def deadlocked_api(request):
    _deadlock()
    return Response({"saved": True})


@login_not_required
def deadlocked_page(request):
    _deadlock()
    return HttpResponse("saved")


urlpatterns = [
    path("api/v1/deadlocked/", deadlocked_api),
    path("deadlocked/", deadlocked_page),
    path("", include("config.urls")),
]
