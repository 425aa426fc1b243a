"""Pages answer a lock conflict that reached the view (a deadlock, a serialization failure, a
refused lock) with a 409 page that says what happened, never a bare 500."""

from core.db import CONFLICT_MESSAGE, is_lock_conflict
from core.http import refusal


class RefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_lock_conflict(exception):
            return None
        return refusal(request, message=CONFLICT_MESSAGE, status=409, template="refused.html")
