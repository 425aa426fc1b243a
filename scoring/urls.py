from django.urls import path

from scoring import views

urlpatterns = [
    path("", views.model_list, name="scoring-models"),
    path("new/", views.model_new, name="scoring-model-new"),
    path("<int:pk>/", views.model_detail, name="scoring-model"),
    path("<int:pk>/settings/", views.model_settings, name="scoring-settings"),
    path("<int:pk>/segment/", views.segment_add, name="scoring-segment-add"),
    path("<int:pk>/segment/form/", views.segment_form, name="scoring-segment-form"),
    path(
        "<int:pk>/segment/<int:index>/remove/",
        views.segment_remove,
        name="scoring-segment-remove",
    ),
    path("<int:pk>/rules/<str:kind>/", views.rule_section, name="scoring-rules"),
    path("<int:pk>/rules/<str:kind>/new/", views.rule_new, name="scoring-rule-new"),
    path("<int:pk>/rules/<str:kind>/form/", views.rule_form, name="scoring-rule-form"),
    path(
        "<int:pk>/rules/<str:kind>/<int:rule_id>/edit/",
        views.rule_edit,
        name="scoring-rule-edit",
    ),
    path(
        "<int:pk>/rules/<str:kind>/<int:rule_id>/delete/",
        views.rule_remove,
        name="scoring-rule-delete",
    ),
    path(
        "<int:pk>/rules/<str:kind>/<int:rule_id>/move/",
        views.rule_move,
        name="scoring-rule-move",
    ),
    path("<int:pk>/preview/", views.model_preview, name="scoring-preview"),
    path("<int:pk>/publish/", views.model_publish_view, name="scoring-publish"),
    path("<int:pk>/versions/compare/", views.version_compare, name="scoring-diff"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="scoring-version"),
    path(
        "<int:pk>/versions/<int:number>/rollback/",
        views.version_rollback,
        name="scoring-rollback",
    ),
]
