"""A page and an API view whose one statement outlasts a one-second limit (test URLconf)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response


def _sleep() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(3)")


@api_view(["GET"])
@permission_classes([AllowAny])
def slow_api(request):
    _sleep()
    return Response({"slept": True})


@login_not_required
def slow_page(request):
    _sleep()
    return HttpResponse("slept")


urlpatterns = [
    path("api/v1/slow/", slow_api),
    path("slow/", slow_page),
    path("", include("config.urls")),
]
