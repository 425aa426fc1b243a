from django.urls import path

from leads import views

urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact"),
    path("contacts/<int:pk>/stage/", views.contact_stage_change, name="contact-stage"),
    path("companies/", views.company_list, name="companies"),
    path("companies/<int:pk>/", views.company_detail, name="company"),
]
