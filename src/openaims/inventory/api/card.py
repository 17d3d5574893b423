"""System cards over the API: the live draft (content and Markdown), published versions, publishing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status
from pydantic import Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Page, paginate_queryset
from openaims.inventory import card as cards
from openaims.inventory.access import get_system_for_tenant
from openaims.tenancy.roles import Perm

router = Router(tags=["system cards"])


class CardGapOut(Schema):
    section: str
    item: str | None
    field: str | None
    text: str


class CardOut(Schema):
    system_id: int
    ref: str
    system_version: int = Field(..., description="The register entry's version the draft is made from.")
    content_hash: str = Field(..., description="SHA-256 of the content; publishing is refused when it is unchanged.")
    gaps: list[CardGapOut]
    content: dict[str, Any] = Field(..., description="The card's sections (format openaims-system-card/1).")
    markdown: str


class CardVersionOut(Schema):
    number: int
    system_version: int
    current: bool = Field(..., description="Made from the register entry's present version.")
    content_hash: str
    note: str
    published_by: str
    published_at: datetime


class CardVersionDetailOut(CardVersionOut):
    gaps: list[CardGapOut]
    content: dict[str, Any]
    markdown: str


class CardPublishIn(Schema):
    note: str = Field("", max_length=20_000)


def _version(system):
    def convert(version) -> dict:
        return {
            "number": version.number,
            "system_version": version.system_version,
            "current": version.system_version == system.version,
            "content_hash": version.content_hash,
            "note": version.note,
            "published_by": version.published_by.get_username(),
            "published_at": version.published_at,
        }

    return convert


def _version_detail(system, version) -> dict:
    return {
        **_version(system)(version),
        "gaps": version.content.get("gaps", []),
        "content": version.content,
        "markdown": version.markdown,
    }


@router.get("/orgs/{org}/systems/{system_id}/card", response={200: CardOut, **ERRORS}, summary="The live draft card")
def card_get(request, org: str, system_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    system = get_system_for_tenant(tenant, system_id)
    content = cards.card_content(system)
    return {
        "system_id": system.pk,
        "ref": system.ref,
        "system_version": system.version,
        "content_hash": cards.content_hash(content),
        "gaps": content["gaps"],
        "content": content,
        "markdown": cards.card_markdown(content),
    }


@router.get("/orgs/{org}/systems/{system_id}/card/versions", response={200: Page[CardVersionOut], **ERRORS})
def card_versions(request, org: str, system_id: int, page: int = 1, page_size: int = 50):
    tenant = tenant_for(request, org, Perm.READ)
    system = get_system_for_tenant(tenant, system_id)
    return paginate_queryset(cards.card_versions(system), page, page_size, _version(system))


@router.post(
    "/orgs/{org}/systems/{system_id}/card/versions",
    response={201: CardVersionDetailOut, **ERRORS},
    summary="Publish the draft as the next numbered, immutable version (409 when nothing changed)",
)
def card_publish(request, org: str, system_id: int, payload: CardPublishIn):
    tenant = tenant_for(request, org, Perm.APPROVE)
    system = get_system_for_tenant(tenant, system_id)
    version = cards.card_publish(actor=tenant, system=system, note=payload.note)
    return Status(201, _version_detail(system, cards.get_card_version_for_system(system, version.number)))


@router.get("/orgs/{org}/systems/{system_id}/card/versions/{number}", response={200: CardVersionDetailOut, **ERRORS})
def card_version(request, org: str, system_id: int, number: int):
    tenant = tenant_for(request, org, Perm.READ)
    system = get_system_for_tenant(tenant, system_id)
    return _version_detail(system, cards.get_card_version_for_system(system, number))
