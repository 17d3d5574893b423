from django.urls import path

from openaims.comments import views

app_name = "comments"
urlpatterns = [
    path("o/<slug:org>/comments/<str:object_type>/<str:object_id>/", views.comment_add_view, name="add"),
]
