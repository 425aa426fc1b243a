from django.urls import path

from handoff import views

app_name = "handoff"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/reassign/", views.queue_reassign, name="queue-reassign"),
    path("queue/<int:pk>/", views.mql_detail, name="mql"),
    path("queue/<int:pk>/touch/", views.mql_touch, name="mql-touch"),
    path("queue/<int:pk>/reassign/", views.mql_reassign, name="mql-reassign"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("sla/breaches/", views.breach_list, name="breaches"),
    path("sla/breaches/export.csv", views.breach_export, name="breaches-export"),
    path("sla/breaches/<int:pk>/acknowledge/", views.breach_acknowledge, name="breach-ack"),
    path("sla/breaches/<int:pk>/waive/", views.breach_waive, name="breach-waive"),
    path("sla/compliance/", views.compliance, name="compliance"),
]
