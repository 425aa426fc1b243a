from django.urls import path

from core import views

urlpatterns = [
    # Browsers and bookmarks ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", views.favicon),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/tokens/", views.token_create, name="token-create"),
    path(
        "accounts/profile/tokens/<str:digest>/revoke/",
        views.token_revoke,
        name="token-revoke",
    ),
]
