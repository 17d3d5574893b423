"""Inventory API: systems and their parts, classification, life cycle, system cards, imports."""

from ninja import Router

from openaims.inventory.api import card, classification, imports, lifecycle, parts, systems

router = Router()
# imports first: Ninja turns {system_id} into a plain <system_id> URL segment, so the systems router's
# /orgs/{org}/systems/{system_id} would otherwise also catch /systems/import and /systems/mlflow-sync.
for module in (imports, systems, parts, classification, lifecycle, card):
    router.add_router("/", module.router)
