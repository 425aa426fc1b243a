"""Pages of the feedback: the inbox, and the accept / reject forms of the MQL page, which keep
their place under the queue's URLs (/queue/<pk>/accept/, /queue/<pk>/reject/)."""

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("feedback/", views.inbox, name="inbox"),
    path("queue/<int:pk>/accept/", views.mql_accept, name="mql-accept"),
    path("queue/<int:pk>/reject/", views.mql_reject, name="mql-reject"),
]
