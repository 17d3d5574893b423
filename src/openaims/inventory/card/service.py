"""Publishing a system card as an immutable, numbered version, and reading the published versions."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from openaims.audittrail.services import record_event
from openaims.inventory.card.content import PUBLISH_ACTION, card_content, content_hash
from openaims.inventory.card.render import card_markdown, card_meta
from openaims.inventory.models import AISystem, SystemCardVersion
from openaims.lib.errors import Conflict, Forbidden, ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm

# --- publishing ----------------------------------------------------------------------------------


def card_publish(*, actor: Tenant, system: AISystem, note: str = "") -> SystemCardVersion:
    """Freeze the current card as the next numbered, immutable version (a sign-off: owners and managers).

    Refused when the card has not changed since the latest version, so every version says something new.
    """
    if system.organization_id != actor.organization.pk or not actor.can(Perm.APPROVE) or actor.user is None:
        raise Forbidden("publishing a system card needs an owner or manager")
    note = (note or "").strip()
    if len(note) > 20_000:
        raise ServiceError("note is longer than 20000 characters", field="note")
    with transaction.atomic():
        # Lock the entry: its version and the card's content are read together, and numbers stay in sequence.
        system = (
            AISystem.objects.select_for_update(of=("self",))
            .select_related("organization", "business_owner", "technical_owner", "classification")
            .get(pk=system.pk)
        )
        content = card_content(system)
        digest = content_hash(content)
        last = SystemCardVersion.objects.filter(system=system).order_by("-number").first()
        if last is not None and last.content_hash == digest:
            raise Conflict(f"nothing changed since v{last.number}: the card is the same as the one published")
        number = (last.number + 1) if last else 1
        published_at = timezone.now()
        markdown = card_markdown(
            content,
            card_meta(number=number, published_by=actor.user.display_name, published_at=published_at, digest=digest),
        )
        version = SystemCardVersion.objects.create(
            organization=system.organization,
            system=system,
            number=number,
            system_version=system.version,
            content=content,
            markdown=markdown,
            content_hash=digest,
            note=note,
            published_by=actor.user,
            published_at=published_at,
        )
        record_event(
            actor=actor,
            organization=system.organization,
            obj=system,
            action=PUBLISH_ACTION,
            changes={
                "card_version": [None, number],
                "system_version": [None, system.version],
                "content_hash": [None, digest],
                "gaps": [None, len(content["gaps"])],
            },
        )
    return version


# --- reads ---------------------------------------------------------------------------------------


def card_versions(system: AISystem):
    """Published versions, newest first, without their (large) stored content."""
    return SystemCardVersion.objects.filter(system=system).defer("content", "markdown").select_related("published_by")


def latest_card_version(system: AISystem) -> SystemCardVersion | None:
    return card_versions(system).first()


def get_card_version_for_system(system: AISystem, number) -> SystemCardVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("No such card version") from None
    version = SystemCardVersion.objects.select_related("published_by").filter(system=system, number=number).first()
    if version is None:
        raise Http404("No such card version")
    return version
