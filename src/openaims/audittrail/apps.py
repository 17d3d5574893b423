from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.urls import reverse

from openaims.audittrail import append_only
from openaims.web import nav


class AuditTrailConfig(AppConfig):
    name = "openaims.audittrail"
    label = "audittrail"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # SQLite's append-only triggers ask a function of the connection (append_only.py).
        connection_created.connect(append_only.register_sqlite_function, dispatch_uid="audittrail.append_only")
        nav.register(
            "7",
            "Audit trail",
            lambda t: reverse("audittrail:log", args=[t.organization.slug]),
            perm="audit_log",
            clause="7.5.3",
            order=90,
        )
