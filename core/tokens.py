"""API tokens (django-rest-knox): only a hash of each token is stored, the key is shown once."""

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404
from knox.models import AuthToken

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def api_token_create(*, user: "User") -> tuple[AuthToken, str]:
    """A new token for the user: the stored row and the key, which cannot be recovered later."""
    return AuthToken.objects.create(user=user)


def api_tokens_for_user(*, user: "User") -> QuerySet[AuthToken]:
    return AuthToken.objects.filter(user=user).order_by("-created")


def api_token_revoke(*, user: "User", digest: str) -> None:
    """Delete one of the user's own tokens; 404 for a token that is not theirs."""
    deleted, _ = AuthToken.objects.filter(user=user, digest=digest).delete()
    if not deleted:
        raise Http404("No such token")
