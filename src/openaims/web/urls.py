from django.urls import path

from openaims.web import styleguide, views

app_name = "web"
urlpatterns = [
    path("", views.home_view, name="home"),
    path("styleguide/", styleguide.styleguide_view, name="styleguide"),
    path("o/<slug:org>/", views.dashboard_view, name="dashboard"),
]
