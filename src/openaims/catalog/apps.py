from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "openaims.catalog"
    label = "catalog"
    verbose_name = "Framework catalog"

    def ready(self) -> None:
        from django.urls import reverse

        from openaims.web import nav

        nav.register("catalog", "Frameworks", lambda t: reverse("catalog:frameworks", args=[t.organization.slug]))
