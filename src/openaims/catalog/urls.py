from django.urls import path

from openaims.catalog import views

app_name = "catalog"
urlpatterns = [
    path("o/<slug:org>/frameworks/", views.frameworks_view, name="frameworks"),
    path("o/<slug:org>/frameworks/<str:framework>/", views.framework_view, name="framework"),
    path("o/<slug:org>/catalog/<str:urn>/", views.node_view, name="node"),
]
