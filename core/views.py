"""Pages every role uses (the profile with its API tokens, the API docs) and the 404 and 500
answers: JSON under /api/, pages elsewhere."""

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.http import is_api
from core.tokens import api_token_create, api_token_revoke, api_tokens_for_user


def _profile_page(request, new_key: str | None = None):
    context = {"tokens": api_tokens_for_user(user=request.user), "new_key": new_key}
    response = render(request, "account/profile.html", context)
    add_never_cache_headers(response)
    return response


@require_GET
@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico whatever the pages' <link rel="icon"> says."""
    return redirect(static("img/favicon.svg"))


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


def not_found(request, exception):
    """The API answers JSON everywhere, a path that matches no route (`/api/v1/contacts/x/`)
    included; pages keep Django's 404 page."""
    if is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # as every API view: a JSON 404 for any method, not a CSRF page
@login_not_required
def api_not_found(request, *args, **kwargs):
    """The last route under /api/: no route matched, so the answer is a JSON 404 even where
    Django would show its HTML debug page. A path that lacks only its closing slash says so."""
    detail = "Not found."
    if not request.path.endswith("/"):
        try:
            resolved = resolve(request.path + "/")
        except Resolver404:
            resolved = None
        if resolved is not None and resolved.func is not api_not_found:
            detail = f"Not found. API paths end with a slash: {request.path}/"
    return JsonResponse({"detail": detail}, status=404)


def server_error(request):
    if is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
