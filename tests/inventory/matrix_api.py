"""Role-matrix rows for the inventory API: the register, parts, suppliers and control links.

Every row's `path`/`data` builds what it needs through the services (each runs in a fresh database).
"""

from __future__ import annotations

from openaims.controls.models import Control
from openaims.controls.services import control_create_custom, control_link_system
from openaims.inventory.services import part_create, supplier_create
from tests.inventory.conftest import make_system
from tests.matrix import EVERYONE, Endpoint

BASE = "/api/v1/orgs/{org}"
WRITERS = frozenset({"owner", "manager", "contributor"})


def path(template: str, **builders):
    def build(cast):
        values = {"org": cast.org.slug, **{key: make(cast) for key, make in builders.items()}}
        return (BASE + template).format(**values)

    return build


def system_pk(cast) -> int:
    return make_system(cast).pk


def supplier_pk(cast) -> int:
    return supplier_create(actor=cast.tenant("owner"), name="Acme Cloud").pk


PARTS = {
    "models": ("model", {"name": "scorer", "version": "1"}, {"version": "2"}),
    "datasets": ("dataset", {"name": "Loans 2020-2024", "purpose": "training"}, {"licence": "internal"}),
    "components": ("component", {"name": "Embeddings API", "category": "api"}, {"version": "3"}),
    "resources": ("resource", {"name": "GPU pool", "category": "compute"}, {"description": "4 x A100"}),
}


def part_path(plural: str):
    kind, values, _ = PARTS[plural]

    def build(cast):
        system = make_system(cast)
        part = part_create(actor=cast.tenant("owner"), system=system, kind=kind, **values)
        return f"/api/v1/orgs/{cast.org.slug}/systems/{system.pk}/{plural}/{part.pk}"

    return build


def control_pk(cast) -> int:
    control = Control.objects.filter(organization=cast.org, ref_id="ORG-1").first()
    return (control or control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Model cards")).pk


def linked(cast) -> str:
    system = make_system(cast)
    control = Control.objects.get(pk=control_pk(cast))
    control_link_system(actor=cast.tenant("owner"), control=control, system=system)
    return f"{system.pk}/controls/{control.pk}"


API_ENDPOINTS = [
    Endpoint("GET /orgs/{org}/systems", "GET", path("/systems?{s}", s=lambda c: system_pk(c) and ""), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/systems",
        "POST",
        path("/systems"),
        WRITERS,
        data=lambda c: {
            "name": "Chat assistant",
            "purpose": "Answers customer questions",
            "role": "deployer",
            "technique": "llm",
        },
        ok=(201,),
    ),
    Endpoint("GET /orgs/{org}/systems/{system_id}", "GET", path("/systems/{s}", s=system_pk), EVERYONE),
    Endpoint(
        "PATCH /orgs/{org}/systems/{system_id}",
        "PATCH",
        path("/systems/{s}", s=system_pk),
        WRITERS,
        data=lambda c: {"criticality": "critical", "business_owner": "mona"},
    ),
    Endpoint("DELETE /orgs/{org}/systems/{system_id}", "DELETE", path("/systems/{s}", s=system_pk), WRITERS, ok=(204,)),
    Endpoint(
        "GET /orgs/{org}/systems/{system_id}/controls",
        "GET",
        path("/systems/{link}", link=lambda c: linked(c).split("/")[0] + "/controls"),
        EVERYONE,
    ),
    Endpoint(
        "PUT /orgs/{org}/systems/{system_id}/controls/{control_id}",
        "PUT",
        path("/systems/{s}/controls/{c}", s=system_pk, c=control_pk),
        WRITERS,
        ok=(201,),
    ),
    Endpoint(
        "DELETE /orgs/{org}/systems/{system_id}/controls/{control_id}",
        "DELETE",
        path("/systems/{link}", link=linked),
        WRITERS,
        ok=(204,),
    ),
    Endpoint(
        "PUT /orgs/{org}/systems/{system_id}/models/by-version",
        "PUT",
        path("/systems/{s}/models/by-version", s=system_pk),
        WRITERS,
        data=lambda c: {"name": "scorer", "version": "7", "uri": "s3://models/scorer/7"},
        ok=(201,),
    ),
    Endpoint("GET /orgs/{org}/suppliers", "GET", path("/suppliers?{s}", s=lambda c: supplier_pk(c) and ""), EVERYONE),
    Endpoint(
        "POST /orgs/{org}/suppliers",
        "POST",
        path("/suppliers"),
        WRITERS,
        data=lambda c: {"name": "Vector Labs", "contract_ends": "2027-01-31"},
        ok=(201,),
    ),
    Endpoint("GET /orgs/{org}/suppliers/{supplier_id}", "GET", path("/suppliers/{s}", s=supplier_pk), EVERYONE),
    Endpoint(
        "PATCH /orgs/{org}/suppliers/{supplier_id}",
        "PATCH",
        path("/suppliers/{s}", s=supplier_pk),
        WRITERS,
        data=lambda c: {"contact": "legal@acme-cloud.example"},
    ),
    Endpoint(
        "DELETE /orgs/{org}/suppliers/{supplier_id}",
        "DELETE",
        path("/suppliers/{s}", s=supplier_pk),
        WRITERS,
        ok=(204,),
    ),
]

for plural, (_kind, created, changed) in PARTS.items():
    collection = f"/orgs/{{org}}/systems/{{system_id}}/{plural}"
    item = collection + "/{part_id}"
    API_ENDPOINTS += [
        Endpoint(f"GET {collection}", "GET", path(f"/systems/{{s}}/{plural}", s=system_pk), EVERYONE),
        Endpoint(
            f"POST {collection}",
            "POST",
            path(f"/systems/{{s}}/{plural}", s=system_pk),
            WRITERS,
            data=lambda c, created=created: created,
            ok=(201,),
        ),
        Endpoint(f"GET {item}", "GET", part_path(plural), EVERYONE),
        Endpoint(f"PATCH {item}", "PATCH", part_path(plural), WRITERS, data=lambda c, changed=changed: changed),
        Endpoint(f"DELETE {item}", "DELETE", part_path(plural), WRITERS, ok=(204,)),
    ]
