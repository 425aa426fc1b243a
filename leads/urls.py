from django.urls import path

from leads import account_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/stage/", views.contact_stage_change, name="contact-stage"),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/profile/tokens/", account_views.token_create, name="token-create"),
    path(
        "accounts/profile/tokens/<str:digest>/revoke/",
        account_views.token_revoke,
        name="token-revoke",
    ),
]
