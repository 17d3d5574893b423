"""OSCAL exports: each document parses back into trestle's models and serialises to the same bytes, and
says what the SoA says (the included controls, their status and reasons)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from trestle.oscal.catalog import Catalog
from trestle.oscal.component import ComponentDefinition
from trestle.oscal.ssp import SystemSecurityPlan

from openaims.catalog.loader import DATA_DIR, load_catalog
from openaims.catalog.models import CatalogNode, Framework
from openaims.controls.exports import FORMATS, SoAMeta
from openaims.controls.oscal import (
    catalog_json,
    framework_to_oscal_catalog,
    oscal_token,
    soa_oscal_component,
    soa_oscal_ssp,
)
from openaims.controls.selectors import soa_rows
from openaims.controls.services import (
    control_create_custom,
    control_update,
    controls_adopt_catalog,
    evidence_create,
)
from openaims.lib.errors import ServiceError
from openaims.risk.services import risk_create, risk_select_control
from openaims.tenancy.selectors import tenant_of
from tests.catalog.conftest import load_tiny
from tests.controls.helpers import publish_signed

TINY = "urn:openaims:framework:tiny-1"
META = SoAMeta(organization="Acme AI", slug="acme", generated_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


def round_trips(text: bytes, key: str, model) -> dict:
    """Parse the wrapped document into the trestle model and serialise it again: the same bytes."""
    data = json.loads(text)
    assert list(data) == [key]
    parsed = model.model_validate(data[key])
    assert parsed.oscal_serialize_json_bytes(pretty=True) + b"\n" == text
    assert json.loads(parsed.oscal_serialize_json()) == data
    return data[key]


def walk_ids(node, out=None) -> list[str]:
    out = [] if out is None else out
    if isinstance(node, dict):
        if "id" in node:
            out.append(node["id"])
        for value in node.values():
            walk_ids(value, out)
    elif isinstance(node, list):
        for value in node:
            walk_ids(value, out)
    return out


@pytest.mark.parametrize(
    ("text", "token"),
    [("a.6.2.4", "a-6-2-4"), ("4.1.r1", "_4-1-r1"), ("art-5:1(a)", "art-5-1-a"), ("ORG 1", "ORG-1"), ("", "_")],
)
def test_oscal_tokens(text, token):
    assert oscal_token(text) == token


class TestCatalog:
    def test_the_tiny_catalog_round_trips(self, db):
        load_tiny()
        framework = Framework.objects.get(urn=TINY)

        catalog = round_trips(catalog_json(framework), "catalog", Catalog)

        assert catalog["metadata"]["title"] == "A tiny framework for tests"
        assert catalog["metadata"]["oscal-version"].startswith("1.2")
        (group,) = catalog["groups"]
        assert (group["id"], group["title"]) == ("a", "Alpha")
        first, second = group["controls"]
        assert (first["id"], first["title"], second["id"]) == ("a-1", "Alpha one", "a-2")
        props = {(p["name"], p["value"]) for p in first["props"]}
        assert {("label", "A.1"), ("ref-id", "A.1"), ("kind", "control"), ("urn", "urn:openaims:tiny-1:a.1")} <= props
        statement = next(part for part in first["parts"] if part["name"] == "statement")
        assert statement == {"id": "a-1_smt", "name": "statement", "prose": "Do the first thing."}

    def test_the_same_catalog_gives_the_same_document(self, db):
        load_tiny()
        framework = Framework.objects.get(urn=TINY)
        assert catalog_json(framework) == catalog_json(framework)

    def test_iso42001_round_trips_with_annex_a_as_controls(self, db):
        load_catalog([DATA_DIR / "frameworks" / "iso42001-2023.yaml"])
        framework = Framework.objects.get(urn="urn:openaims:framework:iso42001-2023")

        catalog = round_trips(catalog_json(framework), "catalog", Catalog)

        ids = walk_ids(catalog)
        assert len(ids) == len(set(ids)), "ids are unique in the document"
        annex_a = next(g for g in catalog["groups"] if g["id"] == "annex-a")
        controls = [c["id"] for group in annex_a["groups"] for c in _controls(group)]
        assert len(controls) == CatalogNode.objects.filter(framework=framework, kind="control").count() == 38
        assert "a-2-2" in controls
        assert "_4-1-r1" in ids, "clause requirements: a token cannot start with a digit"

    def test_a_heading_with_both_controls_and_headings(self, db, tmp_path):
        """OSCAL groups hold groups or controls, not both: informational nodes become parts, and the
        heading's own controls are gathered in a sub-group when headings with controls remain."""
        path = tmp_path / "mixed.yaml"
        path.write_text(
            """format: openaims-catalog/1
type: framework
urn: urn:openaims:framework:mixed-1
urn_prefix: "urn:openaims:mixed-1:"
ref_id: MIXED
name: Mixed
version: 1
copyright: Test data.
nodes:
  - {urn: "urn:openaims:mixed-1:art-6", ref_id: "Art. 6", kind: article, title: Classification}
  - {urn: "urn:openaims:mixed-1:art-6.1", parent: "urn:openaims:mixed-1:art-6", ref_id: "Art. 6(1)",
     kind: provision, title: First paragraph, description: Says something.}
  - {urn: "urn:openaims:mixed-1:art-6.4", parent: "urn:openaims:mixed-1:art-6", ref_id: "Art. 6(4)",
     kind: obligation, title: Document the assessment, assessable: true}
  - {urn: "urn:openaims:mixed-1:art-7", ref_id: "Art. 7", kind: article, title: Amendments}
  - {urn: "urn:openaims:mixed-1:art-7.1", parent: "urn:openaims:mixed-1:art-7", ref_id: "Art. 7(1)",
     kind: obligation, title: Do it, assessable: true}
  - {urn: "urn:openaims:mixed-1:art-7.2", parent: "urn:openaims:mixed-1:art-7", ref_id: "Art. 7(2)",
     kind: paragraph, title: Sub-heading}
  - {urn: "urn:openaims:mixed-1:art-7.2.a", parent: "urn:openaims:mixed-1:art-7.2", ref_id: "Art. 7(2)(a)",
     kind: obligation, title: Do that, assessable: true}
""",
            encoding="utf-8",
        )
        load_catalog([path])
        framework = Framework.objects.get(urn="urn:openaims:framework:mixed-1")

        catalog = round_trips(catalog_json(framework), "catalog", Catalog)

        art6, art7 = catalog["groups"]
        assert [c["id"] for c in art6["controls"]] == ["art-6-4"]
        assert [(p["id"], p["name"], p["prose"]) for p in art6["parts"]] == [
            ("art-6-1", "provision", "Says something.")
        ]
        assert [g["id"] for g in art7["groups"]] == ["art-7-controls", "art-7-2"]
        assert [c["id"] for c in art7["groups"][0]["controls"]] == ["art-7-1"]
        assert [c["id"] for c in art7["groups"][1]["controls"]] == ["art-7-2-a"]
        assert "controls" not in art7

    def test_the_model_is_a_trestle_catalog(self, db):
        load_tiny()
        assert isinstance(framework_to_oscal_catalog(Framework.objects.get(urn=TINY)), Catalog)


def _controls(group: dict) -> list[dict]:
    return group.get("controls", []) + [c for sub in group.get("groups", []) for c in _controls(sub)]


@pytest.fixture
def worked_rows(cast):
    """A.1 included and implemented for a risk, A.2 excluded, ORG-1 included, one undecided own control."""
    load_tiny()
    owner = cast.users["owner"]
    controls_adopt_catalog(actor=tenant_of(owner, cast.org), framework_urn=TINY)
    a1, a2 = _control(cast, "A.1"), _control(cast, "A.2")
    risk = risk_create(actor=tenant_of(owner, cast.org), title="Biased credit decisions")
    risk_select_control(actor=tenant_of(owner), risk=risk, control=a1)
    control_update(
        actor=tenant_of(owner),
        control=a1,
        applicability="included",
        status="implemented",
        owner=cast.users["contributor"],
    )
    evidence_create(actor=tenant_of(owner, cast.org), title="Fairness test report", controls=[a1])
    control_update(actor=tenant_of(owner), control=a2, applicability="excluded", justification="No such systems")
    custom = control_create_custom(actor=tenant_of(owner, cast.org), ref_id="ORG-1", title="Model cards")
    control_update(
        actor=tenant_of(owner), control=custom, applicability="included", status="partial", justification="Clients"
    )
    control_create_custom(actor=tenant_of(owner, cast.org), ref_id="ORG-2", title="Undecided")
    return [row.as_dict() for row in soa_rows(cast.org)]


def _control(cast, ref_id):
    from openaims.controls.models import Control

    return Control.objects.get(organization=cast.org, ref_id=ref_id)


def included_ids(rows) -> set[str]:
    ids = {"A.1": "a-1", "A.2": "a-2"}
    return {ids.get(r["ref_id"], r["ref_id"]) for r in rows if r["applicability"] == "included"}


class TestComponentDefinition:
    def test_it_round_trips_and_holds_exactly_the_included_controls(self, worked_rows):
        document = round_trips(soa_oscal_component(worked_rows, META), "component-definition", ComponentDefinition)

        (component,) = document["components"]
        assert (component["title"], component["type"]) == ("AI Management System", "process-procedure")
        implementations = component["control-implementations"]
        assert [i["source"] for i in implementations] == [
            "trestle://catalogs/tiny-1/catalog.json",
            "trestle://catalogs/acme-own-controls/catalog.json",
        ]
        requirements = {r["control-id"]: r for i in implementations for r in i["implemented-requirements"]}
        assert set(requirements) == included_ids(worked_rows) == {"a-1", "ORG-1"}

        a1 = requirements["a-1"]
        props = {p["name"]: p["value"] for p in a1["props"]}
        assert (props["applicability"], props["implementation-status"], props["label"]) == (
            "included",
            "implemented",
            "A.1",
        )
        assert a1["description"].splitlines() == [
            "Implementation status: Implemented.",
            "Owner: carl.",
            "Evidence: 1 current of 1.",
            "Reasons for inclusion:",
            "- Risk treatment: Biased credit decisions",
        ]
        assert "Reason: Clients" in requirements["ORG-1"]["description"]

    def test_its_catalog_control_ids_exist_in_the_exported_catalog(self, worked_rows):
        document = json.loads(soa_oscal_component(worked_rows, META))["component-definition"]
        catalog = json.loads(catalog_json(Framework.objects.get(urn=TINY)))["catalog"]
        (tiny, _own) = document["components"][0]["control-implementations"]
        assert {r["control-id"] for r in tiny["implemented-requirements"]} <= set(walk_ids(catalog))

    def test_the_same_rows_give_the_same_document(self, worked_rows):
        assert soa_oscal_component(worked_rows, META) == soa_oscal_component(worked_rows, META)

    def test_nothing_included_gives_a_component_without_implementations(self, cast):
        document = round_trips(soa_oscal_component([], META), "component-definition", ComponentDefinition)
        assert "control-implementations" not in document["components"][0]


class TestSystemSecurityPlan:
    def test_it_round_trips_and_holds_exactly_the_included_controls(self, worked_rows):
        document = round_trips(soa_oscal_ssp(worked_rows, META), "system-security-plan", SystemSecurityPlan)

        assert document["import-profile"]["href"] == "trestle://profiles/acme-soa/profile.json"
        (component,) = document["system-implementation"]["components"]
        assert component["type"] == "this-system"
        requirements = {r["control-id"]: r for r in document["control-implementation"]["implemented-requirements"]}
        assert set(requirements) == included_ids(worked_rows)
        for requirement in requirements.values():
            (by_component,) = requirement["by-components"]
            assert by_component["component-uuid"] == component["uuid"]
        states = {k: r["by-components"][0]["implementation-status"]["state"] for k, r in requirements.items()}
        assert states == {"a-1": "implemented", "ORG-1": "partial"}
        assert document["metadata"]["version"] == "current (unpublished)"
        assert document["metadata"]["parties"][0]["name"] == "Acme AI"

    def test_a_published_version_exports_its_frozen_rows(self, worked_rows, cast):
        version = publish_signed(actor=cast.tenant("owner"), approver=cast.users["manager"])
        control_update(actor=cast.tenant("owner"), control=_control(cast, "ORG-2"), applicability="included")
        meta = SoAMeta(
            organization="Acme AI",
            slug="acme",
            version=version.number,
            approved_by="mona",
            approved_on=version.approved_on,
            content_hash=version.content_hash,
            generated_at=META.generated_at,
        )

        document = round_trips(soa_oscal_ssp(version.rows, meta), "system-security-plan", SystemSecurityPlan)

        ids = {r["control-id"] for r in document["control-implementation"]["implemented-requirements"]}
        assert ids == {"a-1", "ORG-1"}, "ORG-2 was included after publication"
        assert document["metadata"]["version"] == "SoA v1"
        props = {p["name"]: p["value"] for p in document["metadata"]["props"]}
        assert props["content-hash"] == version.content_hash

    def test_it_needs_an_included_control(self, cast):
        with pytest.raises(ServiceError, match="includes no controls"):
            soa_oscal_ssp([], META)


def test_trestles_own_validators_accept_the_documents(worked_rows):
    """Beyond the models: unique UUIDs, catalog parameters, roles of responsible parties. (Validators
    that resolve the import href need a trestle workspace and are left out.)"""
    import trestle.core.validator_factory as factory

    validators = [
        v
        for v in factory.validator_factory.get_all()
        if type(v).__name__ in {"CatalogValidator", "DuplicatesValidator", "RefsValidator"}
    ]
    assert len(validators) == 3
    documents = [
        framework_to_oscal_catalog(Framework.objects.get(urn=TINY)),
        ComponentDefinition.model_validate(json.loads(soa_oscal_component(worked_rows, META))["component-definition"]),
        SystemSecurityPlan.model_validate(json.loads(soa_oscal_ssp(worked_rows, META))["system-security-plan"]),
    ]
    for document in documents:
        for validator in validators:
            assert validator.model_is_valid(document, True, None), (type(document).__name__, validator.error_msg())


def test_the_formats_are_registered_for_the_soa_pages():
    import openaims.urls  # noqa: F401  (what a running server has loaded)

    assert {"pdf", "oscal-ssp", "oscal-component"} <= set(FORMATS)
    assert FORMATS["oscal-ssp"].extension == "oscal-ssp.json"
