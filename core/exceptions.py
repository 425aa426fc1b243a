"""The project's one domain exception, turned into a clear message by pages and the API alike."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule refused the request. `field` names the input it is about, if any."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict:
        return {self.field or "detail": [self.message]} if self.field else {"detail": self.message}


class ForbiddenError(DomainError):
    """The user may see the object but not do this to it (403 in the API)."""

    status_code = status.HTTP_403_FORBIDDEN


class ConflictError(DomainError):
    """Somebody else changed the object first (409 in the API)."""

    status_code = status.HTTP_409_CONFLICT


def api_exception_handler(exc, context):
    """A DomainError is its message and status; a lock conflict the database raised (deadlock,
    serialization failure, refused lock) that reached a view is a 409 like ConflictError."""
    from core.db import CONFLICT_MESSAGE, is_lock_conflict  # core.db imports this module

    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if is_lock_conflict(exc):
        return Response({"detail": CONFLICT_MESSAGE}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        # Django's own limits on a request body (DATA_UPLOAD_MAX_*): a 400 that says which.
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)
