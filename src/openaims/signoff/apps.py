from django.apps import AppConfig


class SignOffConfig(AppConfig):
    name = "openaims.signoff"
    label = "signoff"
    verbose_name = "Sign-off"

    def ready(self) -> None:
        # App loading: nav and the audit registry are filled once every app is importable.
        from django.urls import reverse

        from openaims.audittrail import registry
        from openaims.signoff.access import get_signoff_for_tenant
        from openaims.web import nav

        registry.register(
            "signoff.signoffrequest",
            "Sign-off request",
            get_signoff_for_tenant,
            lambda t, obj: reverse("signoff:detail", args=[t.organization.slug, obj.pk]),
        )
        registry.register_labels(
            "signoff.signoffrequest",
            fields={"subject": "Subject", "approver": "Approver", "status": "Status", "comment": "Comment"},
            actions={
                "request": "Sign-off requested",
                "sign": "Signed off",
                "return": "Returned",
                "withdraw": "Withdrawn",
            },
        )
        nav.register(
            "5",
            "Sign-offs waiting on me",
            lambda t: reverse("signoff:inbox", args=[t.organization.slug]),
            perm="approve",
            clause="5.3",
            order=60,
        )
