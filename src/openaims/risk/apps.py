from django.apps import AppConfig
from django.urls import reverse

from openaims.audittrail import registry
from openaims.controls import reasons
from openaims.inventory import panels
from openaims.web import nav


class RiskConfig(AppConfig):
    name = "openaims.risk"
    label = "risk"
    verbose_name = "AI risk"

    def ready(self) -> None:
        # Imported here, not at the top: these import models, which exist only once the app registry is ready.
        from openaims.risk.access import get_criteria_by_pk_for_tenant, get_risk_for_tenant
        from openaims.risk.panels import system_risks_panel
        from openaims.risk.selectors import control_treatments

        registry.register(
            "risk.risk",
            "Risk",
            get_risk_for_tenant,
            lambda t, obj: reverse("risk:risk", args=[t.organization.slug, obj.pk]),
        )
        registry.register(
            "risk.riskcriteria",
            "Risk criteria version",
            get_criteria_by_pk_for_tenant,
            lambda t, obj: reverse("risk:criteria_version", args=[t.organization.slug, obj.number]),
        )
        slug = lambda t: [t.organization.slug]  # noqa: E731
        nav.register("6", "Risk criteria", lambda t: reverse("risk:criteria", args=slug(t)), clause="6.1.1", order=5)
        nav.register("6", "Risk register", lambda t: reverse("risk:register", args=slug(t)), clause="6.1.2", order=10)
        self._register_gate_item()
        panels.register("risks", "risk/_system_risks_panel.html", system_risks_panel, order=10, tab="risks")
        reasons.register_treatment("risk", control_treatments)

    @staticmethod
    def _register_gate_item() -> None:
        # Imported here, not at the top: they import models (see ready()).
        from openaims.inventory.lifecycle.items import GateResult, SystemFact, register_item
        from openaims.risk.selectors import system_risk_gates

        fact = SystemFact("risks_assessed_accepted", system_risk_gates, default=(False, ""))

        def check(system) -> GateResult:
            ok, detail = fact(system)
            return GateResult(ok=ok, detail=detail)

        register_item(
            "risks_assessed_accepted",
            "Risks assessed and accepted",
            check,
            description="Every open risk in the register that names the system has its residual risk assessed, "
            "and each is accepted by its owner or within the risk appetite. A system no risk names does not pass.",
            preload=fact.preload,
        )
