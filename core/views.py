"""Pages every role uses: the profile (who you are, your roles, your API tokens) and the API docs."""

from csp.decorators import csp_update
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.tokens import api_token_create, api_token_revoke, api_tokens_for_user


def _profile_page(request, new_key: str | None = None):
    context = {"tokens": api_tokens_for_user(user=request.user), "new_key": new_key}
    response = render(request, "account/profile.html", context)
    add_never_cache_headers(response)
    return response


@require_GET
def profile(request):
    return _profile_page(request)


@require_POST
def token_create(request):
    # The key exists only in this response (knox stores a hash): render it, don't redirect.
    _, key = api_token_create(user=request.user)
    return _profile_page(request, new_key=key)


@require_POST
def token_revoke(request, digest: str):
    api_token_revoke(user=request.user, digest=digest)
    messages.success(request, "Token revoked: requests using it are now refused.")
    return redirect("profile")


# Swagger UI's page carries a small inline <style> and its components set style attributes:
# only this page allows inline styles; scripts stay 'self' (the split view serves its init
# script as a separate file).
_swagger = SpectacularSwaggerSplitView.as_view(url_name="schema", title="LeadBridge API")


@csp_update({"style-src": ["'unsafe-inline'"]})
def api_docs(request):
    """/api/docs/: a page for people, so login redirects like every other page."""
    return _swagger(request)
