from django.apps import AppConfig
from django.urls import reverse

from openaims.audittrail import registry
from openaims.inventory import panels
from openaims.web import nav


class ImpactConfig(AppConfig):
    name = "openaims.impact"
    label = "impact"
    verbose_name = "AI system impact assessment"

    def ready(self) -> None:
        # Imported here, not at the top: these import models, which exist only once the app registry is ready.
        from openaims.impact.access import get_assessment_for_tenant, get_impact_by_pk_for_tenant
        from openaims.impact.catalog import impact_catalog
        from openaims.impact.panels import system_impact_panel

        def assessment_url(tenant, assessment):
            return reverse("impact:assessment", args=[tenant.organization.slug, assessment.pk])

        def impact_url(tenant, impact):
            return reverse("impact:assessment", args=[tenant.organization.slug, impact.assessment_id]) + "#impacts"

        registry.register("impact.impactassessment", "Impact assessment", get_assessment_for_tenant, assessment_url)
        registry.register("impact.impact", "Impact (benefit or harm)", get_impact_by_pk_for_tenant, impact_url)
        registry.register_labels(
            "impact.impactassessment",
            fields={"trigger": "Trigger", "system": "AI system", "version": "Version", "template": "Template"},
            actions={"submit": "Submitted for approval", "approve": "Approved", "return": "Returned"},
            resolve=lambda field: impact_catalog().field_label(field),
        )
        panels.register("impact", "impact/_system_impact_panel.html", system_impact_panel, order=20, tab="assessments")
        nav.register(
            "8",
            "Impact assessments",
            lambda t: reverse("impact:list", args=[t.organization.slug]),
            clause="8.4",
            order=20,
        )
        self._register_gate_item()

    @staticmethod
    def _register_gate_item() -> None:
        # Imported here, not at the top: they import models (see ready()).
        from openaims.impact.selectors import gate_facts
        from openaims.inventory.lifecycle.items import GateResult, SystemFact, register_item

        fact = SystemFact("impact_assessment_approved", gate_facts, default=(False, "No impact assessment yet."))

        def check(system) -> GateResult:
            ok, detail = fact(system)
            return GateResult(ok=ok, detail=detail)

        register_item(
            "impact_assessment_approved",
            "Impact assessment approved",
            check,
            description="The system's latest impact assessment is approved, and the system's stage, purpose, "
            "intended use, models and datasets have not changed since (otherwise it needs review).",
            preload=fact.preload,
        )
