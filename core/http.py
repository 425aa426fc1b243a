"""Helpers every app's pages use: permission checks and htmx-aware rendering."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
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
