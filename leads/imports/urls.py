"""Pages of the contacts import, under /import/."""

from django.urls import path

from leads.imports import views

urlpatterns = [
    path("", views.import_list, name="import-jobs"),
    path("new/", views.import_upload, name="import-upload"),
    path("<int:pk>/", views.import_job, name="import-job"),
    path("<int:pk>/map/", views.import_map, name="import-map"),
    path("<int:pk>/rejected.csv", views.import_rejected_csv, name="import-rejected"),
]
