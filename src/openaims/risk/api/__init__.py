"""Risk API: the register (risks.py), the criteria (criteria.py); schemas and shared builders beside them."""

from ninja import Router

from openaims.risk.api import criteria, risks

router = Router()
for module in (risks, criteria):
    router.add_router("/", module.router)
