from django.urls import path

from openaims.controls import views

app_name = "controls"
urlpatterns = [
    path("o/<slug:org>/controls/", views.control_list_view, name="list"),
    path("o/<slug:org>/controls/adopt/", views.adopt_view, name="adopt"),
    path("o/<slug:org>/controls/new/", views.control_create_view, name="create"),
    path("o/<slug:org>/controls/<int:pk>/", views.control_view, name="control"),
    path("o/<slug:org>/controls/<int:pk>/requirements/", views.requirement_add_view, name="requirement_add"),
    path(
        "o/<slug:org>/controls/<int:pk>/requirements/<int:node>/remove/",
        views.requirement_remove_view,
        name="requirement_remove",
    ),
    path("o/<slug:org>/controls/<int:pk>/evidence/", views.evidence_add_view, name="evidence_add"),
    path(
        "o/<slug:org>/controls/<int:pk>/evidence/<int:evidence>/unlink/",
        views.evidence_unlink_view,
        name="evidence_unlink",
    ),
    path("o/<slug:org>/controls/<int:pk>/systems/", views.system_link_view, name="system_link"),
    path(
        "o/<slug:org>/controls/<int:pk>/systems/<int:system>/remove/",
        views.system_unlink_view,
        name="system_unlink",
    ),
    path("o/<slug:org>/soa/", views.soa_view, name="soa"),
    path("o/<slug:org>/soa/publish/", views.soa_publish_view, name="soa_publish"),
    path("o/<slug:org>/soa/export.<slug:fmt>", views.soa_export_view, name="soa_export"),
    path("o/<slug:org>/soa/diff/", views.soa_diff_view, name="soa_diff"),
    path("o/<slug:org>/soa/versions/<int:number>/", views.version_view, name="version"),
    path("o/<slug:org>/soa/versions/<int:number>/export.<slug:fmt>", views.version_export_view, name="version_export"),
    path("o/<slug:org>/coverage/", views.coverage_view, name="coverage"),
    path("o/<slug:org>/coverage/<str:framework>/", views.coverage_framework_view, name="coverage_framework"),
]
