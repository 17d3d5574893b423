"""The parts of an AI system over the API — models, datasets, third-party components, resources — and suppliers.

Each kind gets its own routes and schemas (a clearer OpenAPI than one route with a `kind` parameter);
`_part_routes` writes the five of each kind. A pipeline registers a model version idempotently with
`PUT .../models/by-version`.
"""

# No `from __future__ import annotations`: the route functions below are built in a loop, and Ninja
# reads their payload annotations as objects, which string annotations of loop variables cannot give.

from django.db import IntegrityError
from django.db.models import Count, Q
from ninja import Query, Router, Status

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS, Page, paginate_queryset
from openaims.inventory import services
from openaims.inventory.access import get_part_for_tenant, get_supplier_for_tenant, get_system_for_tenant
from openaims.inventory.api.schemas import (
    ComponentIn,
    ComponentOut,
    ComponentPatch,
    DatasetIn,
    DatasetOut,
    DatasetPatch,
    ModelIn,
    ModelOut,
    ModelPatch,
    ModelUpsertIn,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
    SupplierIn,
    SupplierOut,
    SupplierPatch,
)
from openaims.inventory.models import AIModel, Component, Dataset, Resource, Supplier
from openaims.lib.concurrency import if_match
from openaims.lib.errors import Conflict, ServiceError
from openaims.tenancy.models import Tenant
from openaims.tenancy.roles import Perm

router = Router(tags=["inventory"])

FIELDS = {
    AIModel: ("version", "model_type", "uri", "registry_stage", "source", "external_id"),
    Dataset: (
        "purpose",
        "source",
        "acquisition",
        "provenance",
        "quality_checks",
        "preparation",
        "personal_data",
        "special_categories",
        "licence",
    ),
    Component: ("category", "version", "responsibilities"),
    Resource: ("category",),
}


# ------------------------------------------------------------------------------------------------ helpers


def _part(part) -> dict:
    system = part.system
    data = {
        "id": part.pk,
        "system": {"id": system.pk, "ref": system.ref, "name": system.name},
        "name": part.name,
        "description": part.description,
        "revision": part.revision,
        "created_at": part.created_at,
        "updated_at": part.updated_at,
        **{field: getattr(part, field) for field in FIELDS[type(part)]},
    }
    if isinstance(part, Component):
        data["supplier"] = {"id": part.supplier.pk, "name": part.supplier.name} if part.supplier_id else None
    return data


def _values(tenant: Tenant, payload, fields) -> dict:
    """The payload's given fields as service keywords: supplier id to supplier, null text to empty."""
    values = {}
    for name in fields:
        value = getattr(payload, name)
        if name == "supplier":
            value = _supplier_by_id(tenant, value)
        elif value is None:
            value = ""
        values[name] = value
    return values


def _supplier_by_id(tenant: Tenant, pk: int | None) -> Supplier | None:
    if pk is None:
        return None
    supplier = Supplier.objects.filter(organization=tenant.organization, pk=pk).first()
    if supplier is None:
        raise ServiceError(f"no supplier with id {pk} in this organization", field="supplier")
    return supplier


def _parts(model, system):
    parts = model.objects.filter(system=system).select_related("system")
    if model is Component:
        parts = parts.select_related("supplier")
    return parts


def _part_routes(kind: str, plural: str, model, schema_in, schema_patch, schema_out, label: str) -> None:
    """List, add, read, change and remove one kind of part of a system."""
    base = "/orgs/{org}/systems/{system_id}/" + plural
    tags = ["inventory"]

    def part_list(request, org: str, system_id: int, q: str = "", page: int = 1, page_size: int = 100):
        tenant = tenant_for(request, org, Perm.READ)
        parts = _parts(model, get_system_for_tenant(tenant, system_id))
        if q:
            parts = parts.filter(Q(name__icontains=q) | Q(description__icontains=q))
        return paginate_queryset(parts.order_by(*model._meta.ordering, "pk"), page, page_size, _part)

    def part_create(request, org: str, system_id: int, payload: schema_in):
        tenant = tenant_for(request, org, Perm.WRITE)
        system = get_system_for_tenant(tenant, system_id)
        values = _values(tenant, payload, payload.model_fields_set | {"name"})
        part = services.part_create(actor=tenant, system=system, kind=kind, **values)
        return Status(201, _part(part))

    def part_get(request, org: str, system_id: int, part_id: int):
        tenant = tenant_for(request, org, Perm.READ)
        system = get_system_for_tenant(tenant, system_id)
        return _part(get_part_for_tenant(tenant, kind, part_id, system=system))

    def part_update(request, org: str, system_id: int, part_id: int, payload: schema_patch):
        tenant = tenant_for(request, org, Perm.WRITE)
        system = get_system_for_tenant(tenant, system_id)
        part = get_part_for_tenant(tenant, kind, part_id, system=system)
        values = _values(tenant, payload, payload.model_fields_set)
        return _part(services.part_update(actor=tenant, part=part, expected_revision=if_match(request), **values))

    def part_delete(request, org: str, system_id: int, part_id: int):
        tenant = tenant_for(request, org, Perm.WRITE)
        system = get_system_for_tenant(tenant, system_id)
        services.part_delete(actor=tenant, part=get_part_for_tenant(tenant, kind, part_id, system=system))
        return Status(204, None)

    for function in (part_list, part_create, part_get, part_update, part_delete):
        function.__name__ = function.__qualname__ = function.__name__.replace("part_", f"{plural}_")
    item = base + "/{part_id}"
    router.get(base, response={200: Page[schema_out], **ERRORS}, tags=tags, summary=f"The system's {label}s")(part_list)
    router.post(base, response={201: schema_out, **ERRORS}, tags=tags, summary=f"Add a {label}")(part_create)
    router.get(item, response={200: schema_out, **ERRORS}, tags=tags)(part_get)
    router.patch(item, response={200: schema_out, **ERRORS}, tags=tags, summary=f"Change a {label}")(part_update)
    router.delete(item, response={204: None, **ERRORS}, tags=tags, summary=f"Remove a {label}")(part_delete)


# ------------------------------------------------------------------------------------------------- models


@router.put(
    "/orgs/{org}/systems/{system_id}/models/by-version",
    response={200: ModelOut, 201: ModelOut, **ERRORS},
    summary="Register a model version, or update it when the system has it (for pipelines)",
    description="Finds the system's model by `name` and `version`: 201 when it was added, 200 when it existed "
    "and the given fields were updated (fields left out keep their value). Calling it twice registers one model.",
)
def models_upsert(request, org: str, system_id: int, payload: ModelUpsertIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    system = get_system_for_tenant(tenant, system_id)
    values = _values(tenant, payload, payload.model_fields_set | {"name", "version"})
    name, version = values["name"].strip(), values["version"].strip()
    existing = _parts(AIModel, system).filter(name=name, version=version).first()
    if existing is None:
        try:
            return Status(201, _part(services.part_create(actor=tenant, system=system, kind="model", **values)))
        except (Conflict, IntegrityError):
            # Another request registered the same version in between: update that one instead.
            existing = _parts(AIModel, system).filter(name=name, version=version).first()
            if existing is None:
                raise
    changes = {field: value for field, value in values.items() if field not in ("name", "version")}
    updated = services.part_update(actor=tenant, part=existing, expected_revision=if_match(request), **changes)
    return Status(200, _part(updated))


_part_routes("model", "models", AIModel, ModelIn, ModelPatch, ModelOut, "model")
_part_routes("dataset", "datasets", Dataset, DatasetIn, DatasetPatch, DatasetOut, "dataset")
_part_routes("component", "components", Component, ComponentIn, ComponentPatch, ComponentOut, "third-party component")
_part_routes("resource", "resources", Resource, ResourceIn, ResourcePatch, ResourceOut, "resource")


# ---------------------------------------------------------------------------------------------- suppliers


def _suppliers(tenant: Tenant):
    return Supplier.objects.filter(organization=tenant.organization).annotate(component_count=Count("components"))


def _supplier(supplier: Supplier) -> dict:
    return {
        "id": supplier.pk,
        "name": supplier.name,
        "description": supplier.description,
        "contact": supplier.contact,
        "contract_ref": supplier.contract_ref,
        "contract_ends": supplier.contract_ends,
        "components": supplier.component_count,
        "revision": supplier.revision,
        "created_at": supplier.created_at,
        "updated_at": supplier.updated_at,
    }


def _supplier_detail(tenant: Tenant, pk: int) -> dict:
    return _supplier(_suppliers(tenant).get(pk=get_supplier_for_tenant(tenant, pk).pk))


def _supplier_values(payload) -> dict:
    return {
        name: ("" if value is None and name != "contract_ends" else value)
        for name, value in ((name, getattr(payload, name)) for name in payload.model_fields_set)
    }


@router.get("/orgs/{org}/suppliers", response={200: Page[SupplierOut], **ERRORS}, tags=["inventory", "suppliers"])
def suppliers_list(
    request,
    org: str,
    q: str = Query("", description="Words in the name, description or contact"),
    page: int = 1,
    page_size: int = 100,
):
    tenant = tenant_for(request, org, Perm.READ)
    suppliers = _suppliers(tenant)
    if q:
        suppliers = suppliers.filter(Q(name__icontains=q) | Q(description__icontains=q) | Q(contact__icontains=q))
    return paginate_queryset(suppliers.order_by("name", "pk"), page, page_size, _supplier)


@router.post(
    "/orgs/{org}/suppliers",
    response={201: SupplierOut, **ERRORS},
    tags=["inventory", "suppliers"],
    summary="Record a supplier of AI components or services (A.10.3)",
)
def suppliers_create(request, org: str, payload: SupplierIn):
    tenant = tenant_for(request, org, Perm.WRITE)
    values = _supplier_values(payload)
    supplier = services.supplier_create(actor=tenant, **values)
    return Status(201, _supplier_detail(tenant, supplier.pk))


@router.get(
    "/orgs/{org}/suppliers/{supplier_id}", response={200: SupplierOut, **ERRORS}, tags=["inventory", "suppliers"]
)
def suppliers_get(request, org: str, supplier_id: int):
    tenant = tenant_for(request, org, Perm.READ)
    return _supplier_detail(tenant, supplier_id)


@router.patch(
    "/orgs/{org}/suppliers/{supplier_id}", response={200: SupplierOut, **ERRORS}, tags=["inventory", "suppliers"]
)
def suppliers_update(request, org: str, supplier_id: int, payload: SupplierPatch):
    tenant = tenant_for(request, org, Perm.WRITE)
    supplier = get_supplier_for_tenant(tenant, supplier_id)
    services.supplier_update(
        actor=tenant, supplier=supplier, expected_revision=if_match(request), **_supplier_values(payload)
    )
    return _supplier_detail(tenant, supplier.pk)


@router.delete(
    "/orgs/{org}/suppliers/{supplier_id}",
    response={204: None, **ERRORS},
    tags=["inventory", "suppliers"],
    summary="Remove a supplier (refused while it supplies a component)",
)
def suppliers_delete(request, org: str, supplier_id: int):
    tenant = tenant_for(request, org, Perm.WRITE)
    services.supplier_delete(actor=tenant, supplier=get_supplier_for_tenant(tenant, supplier_id))
    return Status(204, None)
