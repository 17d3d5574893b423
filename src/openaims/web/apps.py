from django.apps import AppConfig
from django.urls import reverse

from openaims.web import nav


class WebConfig(AppConfig):
    name = "openaims.web"
    label = "web"
    verbose_name = "Web shell"

    def ready(self) -> None:
        nav.register("dashboard", "Dashboard", lambda t: reverse("web:dashboard", args=[t.organization.slug]))
