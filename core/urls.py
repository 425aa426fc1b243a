from django.urls import path

from core import views

urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/tokens/", views.token_create, name="token-create"),
    path(
        "accounts/profile/tokens/<str:digest>/revoke/",
        views.token_revoke,
        name="token-revoke",
    ),
]
