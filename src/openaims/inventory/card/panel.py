"""What the system page shows about its card."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from openaims.inventory.card.service import latest_card_version
from openaims.tenancy.roles import Perm


def card_panel(tenant, system) -> dict:
    """What the system page shows about its card: the latest published version and whether it is current.

    One query. Keys: card_url, md_url, pdf_url (the live draft), publish_url, can_publish, latest
    (None or a dict: number, system_version, published_at, published_by, content_hash, url, md_url,
    pdf_url), current (None when nothing is published; else whether the latest version was made from
    the register entry's present version), outdated (the opposite, False when nothing is published).
    """
    slug = tenant.organization.slug
    args = [slug, system.pk]
    latest = latest_card_version(system)
    panel: dict[str, Any] = {
        "card_url": reverse("inventory:card", args=args),
        "md_url": reverse("inventory:card_download", args=[*args, "md"]),
        "pdf_url": reverse("inventory:card_download", args=[*args, "pdf"]),
        "publish_url": reverse("inventory:card_publish", args=args),
        "can_publish": tenant.can(Perm.APPROVE),
        "latest": None,
        "current": None,
        "outdated": False,
    }
    if latest is not None:
        current = latest.system_version == system.version
        panel.update(
            latest={
                "number": latest.number,
                "system_version": latest.system_version,
                "published_at": latest.published_at,
                "published_by": latest.published_by.display_name,
                "content_hash": latest.content_hash,
                "url": reverse("inventory:card_version", args=[*args, latest.number]),
                "md_url": reverse("inventory:card_version_download", args=[*args, latest.number, "md"]),
                "pdf_url": reverse("inventory:card_version_download", args=[*args, latest.number, "pdf"]),
            },
            current=current,
            outdated=not current,
        )
    return panel
