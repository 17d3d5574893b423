from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "openaims.comments"
    label = "comments"
    verbose_name = "Comments"
