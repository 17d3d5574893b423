from django.urls import path

from openaims.web import views

app_name = "web"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("o/<slug:org>/", views.dashboard_view, name="dashboard"),
]
