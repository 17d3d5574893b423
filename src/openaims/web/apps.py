from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "openaims.web"
    label = "web"
    verbose_name = "Web shell"

    def ready(self) -> None:
        from django.urls import reverse

        from openaims.web import nav

        nav.register("dashboard", "Dashboard", lambda t: reverse("web:dashboard", args=[t.organization.slug]))
