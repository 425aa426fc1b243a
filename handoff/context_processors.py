from handoff.models import Notification


def notifications(request):
    """The unread count in the navigation: one COUNT over the partial index of unread rows,
    run only when a page's navigation renders it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": lambda: Notification.objects.filter(
            user=user, read_at__isnull=True
        ).count()
    }
