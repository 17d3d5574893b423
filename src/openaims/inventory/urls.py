"""Inventory pages; each concern keeps its routes next to its views."""

from openaims.inventory.views import card, classification, imports, lifecycle, parts, systems

app_name = "inventory"
urlpatterns = [
    *systems.urlpatterns,
    *parts.urlpatterns,
    *classification.urlpatterns,
    *lifecycle.urlpatterns,
    *card.urlpatterns,
    *imports.urlpatterns,
]
