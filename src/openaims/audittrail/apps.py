from django.apps import AppConfig
from django.urls import reverse

from openaims.web import nav


class AuditTrailConfig(AppConfig):
    name = "openaims.audittrail"
    label = "audittrail"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        nav.register(
            "7",
            "Audit trail",
            lambda t: reverse("audittrail:log", args=[t.organization.slug]),
            perm="audit_log",
            clause="7.5.3",
            order=90,
        )
