from django.urls import path

from openaims.audittrail import views

app_name = "audittrail"
urlpatterns = [
    path("o/<slug:org>/audit/", views.log_view, name="log"),
    path("o/<slug:org>/audit/export.jsonl", views.export_view, name="export"),
    path("o/<slug:org>/audit/verify/", views.verify_view, name="verify"),
    path("o/<slug:org>/history/<str:object_type>/<str:object_id>/", views.history_view, name="history"),
]
