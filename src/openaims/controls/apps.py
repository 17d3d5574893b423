from django.apps import AppConfig
from django.urls import reverse

from openaims.audittrail import registry
from openaims.web import nav


class ControlsConfig(AppConfig):
    name = "openaims.controls"
    label = "controls"
    verbose_name = "Controls and Statement of Applicability"

    def ready(self) -> None:
        # Imported here, not at the top: these import models, which exist only once the app registry is ready.
        # oscal and pdf register their export formats in exports.FORMATS when imported.
        import openaims.controls.oscal
        import openaims.controls.pdf  # noqa: F401
        from openaims.controls.access import (
            get_control_for_tenant,
            get_evidence_for_tenant,
            get_soa_version_by_pk_for_tenant,
        )
        from openaims.controls.services import SOA_SIGNOFF_KIND, soa_signoff_decided
        from openaims.controls.system_links import register_control_links
        from openaims.signoff import registry as signoff_registry

        signoff_registry.register(SOA_SIGNOFF_KIND, on_decided=soa_signoff_decided, label="SoA version")

        registry.register(
            "controls.control",
            "Control",
            get_control_for_tenant,
            lambda t, obj: reverse("controls:control", args=[t.organization.slug, obj.pk]),
        )
        registry.register_labels(
            "controls.control",
            fields={
                "ref_id": "Id",
                "status": "Implementation status",
                "requirement": "Requirement",
                "system": "AI system",
            },
            actions={
                "link_system": "Applied to an AI system",
                "unlink_system": "No longer applied to an AI system",
                "link_requirement": "Linked a requirement",
                "unlink_requirement": "Unlinked a requirement",
                "link_evidence": "Linked evidence",
                "unlink_evidence": "Unlinked evidence",
            },
        )
        registry.register_labels(
            "controls.soaversion",
            actions={"publish": "Published for sign-off", "signed": "Signed off", "returned": "Returned"},
        )
        registry.register("controls.evidence", "Evidence", get_evidence_for_tenant)
        registry.register(
            "controls.soaversion",
            "SoA version",
            get_soa_version_by_pk_for_tenant,
            lambda t, obj: reverse("controls:version", args=[t.organization.slug, obj.number]),
        )
        register_control_links()

        nav.register(
            "6", "Controls", lambda t: reverse("controls:list", args=[t.organization.slug]), clause="6.1.3", order=20
        )
        nav.register(
            "6",
            "Statement of Applicability",
            lambda t: reverse("controls:soa", args=[t.organization.slug]),
            clause="6.1.3",
            order=30,
        )
        nav.register(
            "9", "Coverage", lambda t: reverse("controls:coverage", args=[t.organization.slug]), clause="9.1", order=20
        )
