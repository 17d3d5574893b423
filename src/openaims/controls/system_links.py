"""What controls offer the inventory: the controls that apply to an AI system (see `inventory.control_links`)."""

from __future__ import annotations

from openaims.controls.access import get_control_for_tenant
from openaims.controls.models import ControlSystem, ImplementationStatus
from openaims.controls.selectors import controls_for_register, linkable_controls, system_controls
from openaims.controls.services import control_link_system, control_unlink_system
from openaims.inventory import control_links

_STATUS = dict(ImplementationStatus.choices)


def register_control_links() -> None:
    control_links.register(
        control_links.ControlLinks(
            for_system=system_controls,
            linkable=linkable_controls,
            for_organization=controls_for_register,
            get_for_tenant=get_control_for_tenant,
            is_linked=lambda control, system: ControlSystem.objects.filter(control=control, system=system).exists(),
            link=control_link_system,
            unlink=control_unlink_system,
            status_label=lambda status: _STATUS.get(status, status),
        )
    )
