from django.apps import AppConfig
from django.urls import reverse

from openaims.web import nav, tiles


class WebConfig(AppConfig):
    name = "openaims.web"
    label = "web"
    verbose_name = "Web shell"

    def ready(self) -> None:
        # Imported here: the tile builders load models, which exist only once the app registry is ready.
        from openaims.web.dashboard import audit_events_tile, members_tile

        nav.register("dashboard", "Dashboard", lambda t: reverse("web:dashboard", args=[t.organization.slug]))
        tiles.register("members", members_tile, order=10)
        tiles.register("audit-events", audit_events_tile, order=90)
