"""Helpers every app's pages use: permission checks, htmx-aware rendering, and the answer to a
request the server refused (JSON under /api/, a page elsewhere)."""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers


def page_require(request, perm: str) -> None:
    """403 for a page the user's role may not use."""
    if not request.user.has_perm(perm):
        raise PermissionDenied


def page_render(request, template: str, context: dict, status: int = 200):
    """Render a page or the partial htmx asked for; caches keep the two apart (Vary)."""
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def list_template(request, template: str, partial: str = "results") -> str:
    """htmx swaps only the named partial (the results); a history restore or a plain request
    gets the whole page."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def refusal(request, *, message: str, status: int, template: str):
    """A request the server refused (a statement timeout, a lock conflict): JSON under /api/,
    otherwise the page `template` with the message and the navigation."""
    if is_api(request):
        return JsonResponse({"detail": message}, status=status)
    return TemplateResponse(request, template, {"message": message}, status=status).render()
