from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs login; API views authenticate themselves (session or token) and answer 401."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "cls", None) is not None and hasattr(
            view_func.cls, "authentication_classes"
        ):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
