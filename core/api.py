"""Helpers every app's API uses: the permission check and the documented error body."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import PermissionDenied

ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Field name → list of messages, or detail"
)


def api_require(user, perm: str) -> None:
    """403 naming the permission the user's role lacks."""
    if not user.has_perm(perm):
        raise PermissionDenied(f"You need the {perm} permission for this.")
