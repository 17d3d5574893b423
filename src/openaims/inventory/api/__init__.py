"""Inventory API: systems and their parts, classification, life cycle, system cards, imports."""

from ninja import Router

from openaims.inventory.api import card, classification, imports, lifecycle, parts, systems

router = Router()
for module in (systems, parts, classification, lifecycle, card, imports):
    router.add_router("/", module.router)
