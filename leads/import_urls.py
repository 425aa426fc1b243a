from django.urls import path

from leads import import_views

urlpatterns = [
    path("", import_views.import_list, name="import-jobs"),
    path("new/", import_views.import_upload, name="import-upload"),
    path("<int:pk>/", import_views.import_job, name="import-job"),
    path("<int:pk>/map/", import_views.import_map, name="import-map"),
    path("<int:pk>/rejected.csv", import_views.import_rejected_csv, name="import-rejected"),
]
