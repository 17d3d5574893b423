from django.apps import AppConfig
from django.urls import reverse

from openaims.web import nav


class CatalogConfig(AppConfig):
    name = "openaims.catalog"
    label = "catalog"
    verbose_name = "Framework catalog"

    def ready(self) -> None:
        nav.register("catalog", "Frameworks", lambda t: reverse("catalog:frameworks", args=[t.organization.slug]))
