"""The parts of an AI system through its pages: models, datasets, third-party components, resources."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from openaims.inventory.models import AIModel, AISystem, Component, Dataset, Resource, Supplier
from openaims.inventory.services import part_create, supplier_create
from openaims.inventory.views.part_selectors import parts_panel
from openaims.tenancy.selectors import tenant_of
from tests.inventory.conftest import add_model, make_system
from tests.revisions import revision_of

PART_MODELS = (AIModel, Dataset, Component, Resource, Supplier)


@contextmanager
def nothing_written():
    """No part, supplier, system or audit row appears, disappears or changes inside the block."""

    def snapshot():
        return {
            model._meta.label: sorted(map(repr, model.objects.values()))
            for model in (*PART_MODELS, AISystem, AuditEvent)
        }

    before = snapshot()
    yield
    assert snapshot() == before


def create_url(system, kind):
    return reverse("inventory:part_create", args=[system.organization.slug, system.pk, kind])


def part_url(part, kind, name="part_detail"):
    return reverse(f"inventory:{name}", args=[part.organization.slug, part.system_id, kind, part.pk])


def system_url(system):
    return reverse("inventory:system_parts", args=[system.organization.slug, system.pk])


VALUES = {
    "model": {
        "name": "scorer",
        "version": "3.1",
        "model_type": "gradient-boosted trees",
        "registry_stage": "Production",
        "uri": "models:/scorer/3",
        "description": "Scores applications",
    },
    "dataset": {
        "name": "Loan book 2015-2023",
        "purpose": "training",
        "description": "",
        "source": "Core banking system",
        "acquisition": "Own records under the loan contracts",
        "provenance": "Exported monthly by the data team; hashes kept",
        "quality_checks": "Completeness over 99 %, label audit on 1 000 rows",
        "preparation": "Deduplicated, income bucketed",
        "personal_data": "on",
        "licence": "internal",
    },
    "component": {
        "name": "Embedding API",
        "category": "api",
        "version": "v2",
        "responsibilities": "Vendor: uptime and model updates. Us: monitoring and human review.",
        "description": "",
    },
    "resource": {"name": "GPU cluster", "category": "compute", "description": "Two nodes for retraining"},
}
CLASSES = {"model": AIModel, "dataset": Dataset, "component": Component, "resource": Resource}


@pytest.mark.parametrize("kind", CLASSES)
def test_it_adds_each_kind_of_part_through_its_page(cast, client_for, system, kind):
    client = client_for(cast.users["contributor"])
    form = client.get(create_url(system, kind))
    assert form.status_code == 200 and b'data-testid="part-guidance"' in form.content
    heading = {"model": "Add an AI model", "dataset": "Add a dataset", "component": "Add a third-party component"}
    assert heading.get(kind, "Add a resource").encode() in form.content and b"Add a AI" not in form.content

    response = client.post(create_url(system, kind), VALUES[kind])

    part = CLASSES[kind].objects.get(system=system)
    assert response.status_code == 302 and response["Location"] == system_url(system)
    assert part.name == VALUES[kind]["name"] and part.organization == cast.org
    event = AuditEvent.objects.filter(object_type=part._meta.label_lower, object_id=str(part.pk)).get()
    assert event.action == "create" and event.actor_id == cast.users["contributor"].pk
    system.refresh_from_db()
    assert system.version == 2, "adding a part is a change of the system"


def test_it_records_every_dataset_field(cast, client_for, system):
    client_for(cast.users["owner"]).post(
        create_url(system, "dataset"), {**VALUES["dataset"], "special_categories": "on"}
    )
    dataset = Dataset.objects.get(system=system)
    assert (dataset.source, dataset.acquisition, dataset.provenance, dataset.preparation, dataset.licence) == (
        "Core banking system",
        "Own records under the loan contracts",
        "Exported monthly by the data team; hashes kept",
        "Deduplicated, income bucketed",
        "internal",
    )
    assert dataset.personal_data and dataset.special_categories


def test_it_shows_every_field_of_a_part_and_its_history_link(cast, client_for, system):
    dataset = part_create(
        actor=cast.tenant("owner"),
        system=system,
        kind="dataset",
        **{k: v for k, v in VALUES["dataset"].items() if k != "personal_data"},
    )
    response = client_for(cast.users["viewer"]).get(part_url(dataset, "dataset"))
    assert response.status_code == 200
    for text in (
        b"Core banking system",
        b"Own records under the loan contracts",
        b"hashes kept",
        b"label audit",
        b"income bucketed",
        b"Training",
        b"internal",
    ):
        assert text in response.content
    assert b'data-testid="dataset-complete"' in response.content
    assert b'data-testid="history-link"' in response.content
    assert b'data-testid="edit-part"' not in response.content, "viewers get no edit button"


@pytest.mark.parametrize("kind", CLASSES)
def test_it_edits_each_kind_of_part_through_its_page(cast, client_for, system, kind):
    part = part_create(
        actor=cast.tenant("owner"),
        system=system,
        kind=kind,
        name="Old name",
        **({"purpose": "test"} if kind == "dataset" else {}),
    )
    client = client_for(cast.users["manager"])
    form = client.get(part_url(part, kind, "part_edit"))
    assert form.status_code == 200 and b'value="Old name"' in form.content

    response = client.post(part_url(part, kind, "part_edit"), {**VALUES[kind], "revision": revision_of(part)})

    part.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == part_url(part, kind)
    assert part.name == VALUES[kind]["name"]
    event = AuditEvent.objects.filter(object_type=part._meta.label_lower, object_id=str(part.pk), action="update").get()
    assert event.changes_dict["name"] == ["Old name", VALUES[kind]["name"]]


@pytest.mark.parametrize("kind", CLASSES)
def test_it_removes_each_kind_of_part_through_its_page(cast, client_for, system, kind):
    part = part_create(actor=cast.tenant("owner"), system=system, kind=kind, name="Gone")
    response = client_for(cast.users["contributor"]).post(part_url(part, kind, "part_delete"))
    assert response.status_code == 302 and response["Location"] == system_url(system)
    assert not CLASSES[kind].objects.filter(pk=part.pk).exists()
    assert AuditEvent.objects.filter(
        object_type=part._meta.label_lower, object_id=str(part.pk), action="delete"
    ).exists()


def test_it_refuses_a_second_model_with_the_same_name_and_version_and_keeps_the_input(cast, client_for, system):
    add_model(cast, system, name="scorer", version="3.1")
    with nothing_written():
        response = client_for(cast.users["owner"]).post(create_url(system, "model"), VALUES["model"])
    assert response.status_code == 400
    assert b"already has model scorer 3.1" in response.content
    assert b'value="gradient-boosted trees"' in response.content, "what was typed is kept"


def test_it_refuses_renaming_a_model_onto_another_version(cast, client_for, system):
    add_model(cast, system, name="scorer", version="1")
    other = add_model(cast, system, name="scorer", version="2")
    with nothing_written():
        response = client_for(cast.users["owner"]).post(
            part_url(other, "model", "part_edit"), {"name": "scorer", "version": "1", "revision": revision_of(other)}
        )
    assert response.status_code == 400 and b"already has model scorer 1" in response.content


def test_it_refuses_a_part_without_a_name_or_with_an_unknown_term(cast, client_for, system):
    client = client_for(cast.users["owner"])
    with nothing_written():
        missing = client.post(create_url(system, "resource"), {"name": " ", "category": "compute"})
        unknown = client.post(create_url(system, "dataset"), {"name": "X", "purpose": "astrology"})
        too_long = client.post(create_url(system, "model"), {"name": "x" * 201})
    assert missing.status_code == unknown.status_code == too_long.status_code == 400
    assert b"This field is required." in missing.content
    assert b"Select a valid choice" in unknown.content


def test_it_refuses_a_supplier_of_another_organization_on_a_component(cast, client_for, system):
    theirs = supplier_create(actor=cast.tenant("outsider"), name="Their vendor")
    with nothing_written():
        response = client_for(cast.users["owner"]).post(
            create_url(system, "component"), {"name": "API", "category": "api", "supplier": theirs.pk}
        )
    assert response.status_code == 400 and b"Select a valid choice" in response.content


def test_it_links_a_component_to_one_of_the_organizations_suppliers(cast, client_for, system):
    vendor = supplier_create(actor=cast.tenant("owner"), name="Hosted LLM Inc.")
    client = client_for(cast.users["owner"])
    assert b"Hosted LLM Inc." in client.get(create_url(system, "component")).content
    client.post(create_url(system, "component"), {**VALUES["component"], "supplier": vendor.pk})
    component = Component.objects.get(system=system)
    assert component.supplier == vendor
    detail = client.get(part_url(component, "component"))
    assert reverse("inventory:supplier_detail", args=["acme", vendor.pk]).encode() in detail.content


def test_it_answers_404_for_a_part_of_another_system_or_organization(cast, client_for, system):
    other_system = make_system(cast, name="Chatbot", purpose="Answers questions")
    part = add_model(cast, system)
    theirs = add_model(cast, make_system(cast, org=cast.other_org))
    client = client_for(cast.users["owner"])
    wrong_system = reverse("inventory:part_detail", args=["acme", other_system.pk, "model", part.pk])
    wrong_kind = reverse("inventory:part_detail", args=["acme", system.pk, "dataset", part.pk])
    other_org = reverse("inventory:part_detail", args=["acme", theirs.system_id, "model", theirs.pk])
    assert client.get(wrong_system).status_code == 404
    assert client.get(wrong_kind).status_code == 404
    assert client.get(other_org).status_code == 404
    assert client.get(f"/o/acme/systems/{system.pk}/gadget/new/").status_code == 404, "only the four kinds"
    with nothing_written():
        assert (
            client.post(
                reverse("inventory:part_delete", args=["acme", theirs.system_id, "model", theirs.pk])
            ).status_code
            == 404
        )


# --- The parts panel on the system page ------------------------------------------------------------


def fill(cast, system, n: int) -> None:
    owner = cast.users["owner"]
    vendor = supplier_create(actor=tenant_of(owner, cast.org), name=f"Vendor {system.pk}-{n}")
    for i in range(n):
        part_create(actor=tenant_of(owner), system=system, kind="model", name=f"m{i}", version="1", model_type="llm")
        part_create(actor=tenant_of(owner), system=system, kind="dataset", name=f"d{i}", purpose="training", source="x")
        part_create(
            actor=tenant_of(owner), system=system, kind="component", name=f"c{i}", category="api", supplier=vendor
        )
        part_create(
            actor=tenant_of(owner), system=system, kind="resource", name=f"r{i}", category=("compute", "human")[i % 2]
        )


@pytest.mark.parametrize("n", [1, 10])
def test_the_parts_panel_costs_four_queries_whatever_the_number_of_parts(cast, django_assert_num_queries, n):
    system = make_system(cast)
    fill(cast, system, n)
    tenant = cast.tenant("owner")
    system = AISystem.objects.select_related("organization").get(pk=system.pk)
    # models, datasets, components (suppliers joined), resources; rendering adds none
    with django_assert_num_queries(4):
        panel = parts_panel(tenant, system)
        html = render_to_string("inventory/_parts_panel.html", {"panel": panel})
    assert html.count('data-doc="incomplete"') == n
    assert len(panel["models"]) == len(panel["datasets"]) == len(panel["components"]) == n


def test_the_parts_panel_shows_what_each_part_still_lacks(cast, client_for, system):
    owner = cast.users["owner"]
    synced = add_model(cast, system, name="ranker", version="7")
    AIModel.objects.filter(pk=synced.pk).update(source="mlflow", registry_stage="champion")
    part_create(
        actor=tenant_of(owner),
        system=system,
        kind="dataset",
        name="Complete",
        purpose="validation",
        source="s",
        provenance="p",
        quality_checks="q",
    )
    part_create(actor=tenant_of(owner), system=system, kind="dataset", name="Thin", purpose="test", source="s")
    part_create(actor=tenant_of(owner), system=system, kind="component", name="Bare API", category="api")
    part_create(actor=tenant_of(owner), system=system, kind="resource", name="Labelling team", category="human")
    html = render_to_string("inventory/_parts_panel.html", {"panel": parts_panel(cast.tenant("owner"), system)})
    assert "MLflow" in html and "champion" in html
    assert html.count('data-doc="complete"') == 1 and "missing: provenance, quality checks" in html
    assert 'data-resp="no"' in html
    assert "Human resources and competence" in html and "Labelling team" in html
    assert 'data-testid="add-model"' in html


def test_the_parts_panel_offers_no_add_links_to_readers(cast, system):
    html = render_to_string("inventory/_parts_panel.html", {"panel": parts_panel(cast.tenant("auditor"), system)})
    assert "add-model" not in html and "No model recorded." in html


def test_the_history_of_a_part_lists_its_changes(cast, client_for, system):
    part = add_model(cast, system)
    url = reverse("audittrail:history", args=["acme", "inventory.aimodel", part.pk])
    response = client_for(cast.users["viewer"]).get(url)
    assert response.status_code == 200 and b"create" in response.content


def test_the_system_page_shows_the_parts_and_controls_panels(cast, client_for, system):
    add_model(cast, system)
    client = client_for(cast.users["contributor"])
    response = client.get(reverse("inventory:system_parts", args=["acme", system.pk]))
    assert response.status_code == 200
    assert b'data-testid="parts-panel"' in response.content
    assert create_url(system, "dataset").encode() in response.content
    response = client.get(reverse("inventory:system_controls", args=["acme", system.pk]))
    assert response.status_code == 200 and b'data-testid="controls-panel"' in response.content
