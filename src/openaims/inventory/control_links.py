"""The controls that apply to an AI system (6.1.3 scope), as the system page, its card and the API show them.

Inventory sits below controls and never imports it: the controls app registers one `ControlLinks` in its
AppConfig.ready(), the same way risk and impact add panels (`inventory.panels`) and gate items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ControlLinks:
    for_system: Callable  # (system) -> the controls that apply to it, in register order (one query)
    linkable: Callable  # (system) -> the organization's controls not linked yet (one query)
    for_organization: Callable  # (organization) -> queryset of the organization's controls, for a picker
    get_for_tenant: Callable  # (tenant, pk) -> control, 404 outside the tenant
    is_linked: Callable  # (control, system) -> bool
    link: Callable  # (*, actor, control, system) -> None; linking twice changes nothing
    unlink: Callable  # (*, actor, control, system) -> None
    status_label: Callable  # (status key) -> the implementation status for people


_links: list[ControlLinks] = []


def register(links: ControlLinks) -> None:
    _links[:] = [links]


def control_links() -> ControlLinks:
    if not _links:
        raise LookupError("no installed app provides the controls that apply to an AI system")
    return _links[0]
