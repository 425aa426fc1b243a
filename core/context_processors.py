from core.roles import role_names


def navigation(request):
    """The user's roles, for the navigation in the base layout."""
    return {"user_roles": role_names(request.user) if hasattr(request, "user") else set()}
