from django.apps import AppConfig
from django.urls import reverse

from openaims.audittrail import registry
from openaims.web import nav


class InventoryConfig(AppConfig):
    name = "openaims.inventory"
    label = "inventory"
    verbose_name = "AI system inventory"

    def ready(self) -> None:
        # Imported here, not at the top: these import models, which exist only once the app registry is ready.
        from openaims.inventory.access import (
            get_component_for_tenant,
            get_dataset_for_tenant,
            get_model_for_tenant,
            get_resource_for_tenant,
            get_supplier_for_tenant,
            get_system_for_tenant,
        )
        from openaims.inventory.lifecycle.builtin import register_builtin_items
        from openaims.inventory.views.lifecycle import register_nav as register_lifecycle_nav

        def system_url(tenant, system):
            return reverse("inventory:system", args=[tenant.organization.slug, system.pk])

        def part_url(kind):
            return lambda tenant, part: reverse(
                "inventory:part_detail", args=[tenant.organization.slug, part.system_id, kind, part.pk]
            )

        def supplier_url(tenant, supplier):
            return reverse("inventory:supplier_detail", args=[tenant.organization.slug, supplier.pk])

        registry.register("inventory.aisystem", "AI system", get_system_for_tenant, system_url)
        registry.register("inventory.aimodel", "AI model", get_model_for_tenant, part_url("model"))
        registry.register("inventory.dataset", "Dataset", get_dataset_for_tenant, part_url("dataset"))
        registry.register(
            "inventory.component", "Third-party component", get_component_for_tenant, part_url("component")
        )
        registry.register("inventory.resource", "Resource", get_resource_for_tenant, part_url("resource"))
        registry.register("inventory.supplier", "Supplier", get_supplier_for_tenant, supplier_url)

        nav.register(
            "inventory", "AI systems", lambda t: reverse("inventory:systems", args=[t.organization.slug]), order=10
        )
        nav.register(
            "inventory",
            "Suppliers",
            lambda t: reverse("inventory:suppliers", args=[t.organization.slug]),
            clause="A.10",
            order=30,
        )
        # Other inventory concerns register their pages and history types below.
        register_builtin_items()
        register_lifecycle_nav()
