"""Role-matrix rows for the parts of a system, the supplier register and the control ↔ AI system link.

Every row's `path`/`data` builds what it needs through the services (each runs in a fresh database).
"""

from __future__ import annotations

from django.urls import reverse

from openaims.controls.models import Control, ControlSystem
from openaims.controls.services import control_create_custom, control_link_system
from openaims.inventory.models import AIModel, AISystem, Component, Dataset, Resource, Supplier
from openaims.inventory.services import part_create, supplier_create
from tests.inventory.conftest import make_system
from tests.matrix import EVERYONE, Endpoint, both, exists, gone, page_of

WRITERS = frozenset({"owner", "manager", "contributor"})
KINDS = ("model", "dataset", "component", "resource")

NEW_PART = {
    "model": {"name": "scorer", "version": "2", "model_type": "gradient-boosted trees"},
    "dataset": {"name": "Loan book 2015-2023", "purpose": "training", "source": "Core banking system"},
    "component": {"name": "Embedding API", "category": "api", "supplier": ""},
    "resource": {"name": "GPU cluster", "category": "compute"},
}


PART_MODELS = {"model": AIModel, "dataset": Dataset, "component": Component, "resource": Resource}
SYSTEM_PAGE = r"/o/acme/systems/\d+/"  # the only system of each row


def system_pk(cast) -> int:
    return make_system(cast).pk


def a_part(cast, kind: str):
    """A system in acme with one part of `kind`."""
    system = make_system(cast)
    values = {"model": {"name": "scorer", "version": "1"}, "dataset": {"purpose": "test"}}.get(kind, {})
    return part_create(actor=cast.tenant("owner"), system=system, kind=kind, **{"name": f"A {kind}", **values})


def part_page(name: str, kind: str):
    def build(cast):
        part = a_part(cast, kind)
        return reverse(f"inventory:{name}", args=[cast.org.slug, part.system_id, kind, part.pk])

    return build


def a_supplier(cast) -> int:
    return supplier_create(actor=cast.tenant("owner"), name="Hosted LLM Inc.").pk


def supplier_page(name: str):
    return lambda cast: reverse(f"inventory:{name}", args=[cast.org.slug, a_supplier(cast)])


def a_control(cast) -> int:
    control = Control.objects.filter(organization=cast.org, ref_id="ORG-1").first()
    if control is None:
        control = control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Card")
    return control.pk


def linked_control_url(cast) -> str:
    control = Control.objects.get(pk=a_control(cast))
    system = make_system(cast)
    control_link_system(actor=cast.tenant("owner"), control=control, system=system)
    return reverse("controls:system_unlink", args=[cast.org.slug, control.pk, system.pk])


WEB_ENDPOINTS = [
    *[
        row
        for kind in KINDS
        for row in (
            Endpoint(
                "inventory:part_create",
                "GET",
                lambda c, kind=kind: reverse("inventory:part_create", args=[c.org.slug, system_pk(c), kind]),
                WRITERS,
            ),
            Endpoint(
                "inventory:part_create",
                "POST",
                lambda c, kind=kind: reverse("inventory:part_create", args=[c.org.slug, system_pk(c), kind]),
                WRITERS,
                data=lambda c, kind=kind: NEW_PART[kind],
                redirect=SYSTEM_PAGE + "parts/",
                effect=exists(PART_MODELS[kind], system__name="Credit scoring", name=NEW_PART[kind]["name"]),
            ),
            Endpoint("inventory:part_detail", "GET", part_page("part_detail", kind), EVERYONE),
            Endpoint("inventory:part_edit", "GET", part_page("part_edit", kind), WRITERS),
            Endpoint(
                "inventory:part_edit",
                "POST",
                part_page("part_edit", kind),
                WRITERS,
                data=lambda c, kind=kind: {**NEW_PART[kind], "name": f"Edited {kind}", "revision": 1},
                redirect=SYSTEM_PAGE + rf"{kind}/\d+/",
                effect=both(
                    exists(PART_MODELS[kind], name=f"Edited {kind}"), gone(PART_MODELS[kind], name=f"A {kind}")
                ),
            ),
            Endpoint(
                "inventory:part_delete",
                "POST",
                part_page("part_delete", kind),
                WRITERS,
                redirect=SYSTEM_PAGE + "parts/",
                effect=both(gone(PART_MODELS[kind], name=f"A {kind}"), exists(AISystem, name="Credit scoring")),
            ),
        )
    ],
    Endpoint(
        "inventory:system_control_link",
        "POST",
        lambda c: reverse("inventory:system_control_link", args=[c.org.slug, system_pk(c)]),
        WRITERS,
        data=lambda c: {"control": a_control(c)},
        redirect=SYSTEM_PAGE + "controls/",
        effect=exists(ControlSystem, control__ref_id="ORG-1", system__name="Credit scoring"),
    ),
    Endpoint(
        "inventory:suppliers",
        "GET",
        lambda c: a_supplier(c) and reverse("inventory:suppliers", args=["acme"]),
        EVERYONE,
    ),
    Endpoint(
        "inventory:supplier_create", "GET", lambda c: reverse("inventory:supplier_create", args=["acme"]), WRITERS
    ),
    Endpoint(
        "inventory:supplier_create",
        "POST",
        lambda c: reverse("inventory:supplier_create", args=["acme"]),
        WRITERS,
        data=lambda c: {"name": "Vector DB GmbH", "contract_ends": "2030-01-31"},
        redirect=page_of("inventory:supplier_detail", Supplier, name="Vector DB GmbH"),
        effect=exists(Supplier, organization__slug="acme", name="Vector DB GmbH", contract_ends="2030-01-31"),
    ),
    Endpoint("inventory:supplier_detail", "GET", supplier_page("supplier_detail"), EVERYONE),
    Endpoint("inventory:supplier_edit", "GET", supplier_page("supplier_edit"), WRITERS),
    Endpoint(
        "inventory:supplier_edit",
        "POST",
        supplier_page("supplier_edit"),
        WRITERS,
        data=lambda c: {"name": "Hosted LLM Ltd.", "contact": "legal@example.org", "revision": 1},
        redirect=page_of("inventory:supplier_detail", Supplier, name="Hosted LLM Ltd."),
        effect=both(
            exists(Supplier, name="Hosted LLM Ltd.", contact="legal@example.org"),
            gone(Supplier, name="Hosted LLM Inc."),
        ),
    ),
    Endpoint(
        "inventory:supplier_delete",
        "POST",
        supplier_page("supplier_delete"),
        WRITERS,
        redirect="/o/acme/suppliers/",
        effect=gone(Supplier, organization__slug="acme"),
    ),
    Endpoint(
        "controls:system_link",
        "POST",
        lambda c: reverse("controls:system_link", args=[c.org.slug, a_control(c)]),
        WRITERS,
        data=lambda c: {"system": system_pk(c)},
        redirect=page_of("controls:control", Control, "#systems", ref_id="ORG-1"),
        effect=exists(ControlSystem, control__ref_id="ORG-1", system__name="Credit scoring"),
    ),
    Endpoint(
        "controls:system_unlink",
        "POST",
        linked_control_url,
        WRITERS,
        redirect=page_of("controls:control", Control, "#systems", ref_id="ORG-1"),
        effect=both(gone(ControlSystem, control__ref_id="ORG-1"), exists(AISystem, name="Credit scoring")),
    ),
]
