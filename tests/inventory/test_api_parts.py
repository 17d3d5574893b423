"""The parts API (models, datasets, components, resources), the pipeline's model upsert, and suppliers."""

from __future__ import annotations

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.inventory.models import AIModel, AISystem, Component, Dataset, Resource
from openaims.inventory.services import part_create, supplier_create
from tests.api.test_bad_input import assert_error, fields
from tests.inventory.conftest import add_model, make_system
from tests.inventory.test_api_systems import nothing_written, ok

BASE = "/api/v1/orgs/acme"

# plural → (service kind, model, body to create, body to change, what the change shows)
KINDS = {
    "models": ("model", AIModel, {"name": "scorer", "version": "1", "uri": "s3://m/1"}, {"registry_stage": "Staging"}),
    "datasets": (
        "dataset",
        Dataset,
        {"name": "Loans 2020-2024", "purpose": "training", "personal_data": True, "provenance": "Core banking"},
        {"quality_checks": "Completeness > 99%", "special_categories": True},
    ),
    "components": (
        "component",
        Component,
        {"name": "Embeddings API", "category": "api", "version": "3", "responsibilities": "They host; we monitor"},
        {"category": "model"},
    ),
    "resources": ("resource", Resource, {"name": "GPU pool", "category": "compute"}, {"description": "4 x A100"}),
}


@pytest.fixture
def owner_api(cast, api_for):
    return api_for(cast.users["owner"], cast.org)


def supplier(cast, name="Acme Cloud", org=None):
    org = org or cast.org
    actor = cast.tenant("owner") if org == cast.org else cast.tenant("outsider")
    return supplier_create(actor=actor, name=name)


@pytest.mark.parametrize("plural", list(KINDS))
class TestEachKind:
    def test_it_adds_reads_changes_lists_and_removes_a_part(self, cast, owner_api, system, plural):
        _kind, model, created, changed = KINDS[plural]
        url = f"{BASE}/systems/{system.pk}/{plural}"

        body = ok(owner_api.post(url, json=created), 201)
        assert {key: body[key] for key in created} == created
        assert body["system"] == {"id": system.pk, "ref": system.ref, "name": system.name}
        part_url = f"{url}/{body['id']}"
        assert ok(owner_api.get(part_url)) == body

        changed_body = ok(owner_api.patch(part_url, json=changed))
        assert {key: changed_body[key] for key in changed} == changed
        assert changed_body["name"] == created["name"]  # what was not given stays

        page = ok(owner_api.get(url))
        assert [item["id"] for item in page["items"]] == [body["id"]] and page["count"] == 1

        assert owner_api.delete(part_url).status_code == 204
        assert not model.objects.filter(pk=body["id"]).exists()
        # Added, changed, removed: each bumps the register entry's version, each is in the audit trail.
        assert AISystem.objects.get(pk=system.pk).version == system.version + 3
        events = AuditEvent.objects.filter(object_type=model._meta.label_lower, object_id=str(body["id"]))
        assert sorted(events.values_list("action", flat=True)) == ["create", "delete", "update"]

    def test_it_refuses_an_unknown_field(self, cast, owner_api, system, plural):
        _kind, _model, created, _changed = KINDS[plural]
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems/{system.pk}/{plural}", json={**created, "owner": "carl"})
        assert fields(assert_error(response, 422, "validation_error")) == ["owner"]

    def test_it_refuses_a_part_without_a_name(self, cast, owner_api, system, plural):
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems/{system.pk}/{plural}", json={"description": "no name"})
        assert fields(assert_error(response, 422, "validation_error")) == ["name"]

    def test_it_answers_404_for_a_system_of_another_organization(self, cast, owner_api, plural):
        kind, _model, created, changed = KINDS[plural]
        theirs = make_system(cast, org=cast.other_org)
        part = part_create(actor=cast.tenant("outsider"), system=theirs, kind=kind, name="theirs")
        url = f"{BASE}/systems/{theirs.pk}/{plural}"
        with nothing_written():
            assert_error(owner_api.get(url), 404, "not_found")
            assert_error(owner_api.post(url, json=created), 404, "not_found")
            assert_error(owner_api.get(f"{url}/{part.pk}"), 404, "not_found")
            assert_error(owner_api.patch(f"{url}/{part.pk}", json=changed), 404, "not_found")
            assert_error(owner_api.delete(f"{url}/{part.pk}"), 404, "not_found")

    def test_it_answers_404_for_a_part_of_another_system(self, cast, owner_api, system, plural):
        kind, _model, _created, changed = KINDS[plural]
        other = make_system(cast, name="Fraud rules", purpose="Flags odd payments")
        part = part_create(actor=cast.tenant("owner"), system=other, kind=kind, name="elsewhere")
        url = f"{BASE}/systems/{system.pk}/{plural}/{part.pk}"
        with nothing_written():
            assert_error(owner_api.get(url), 404, "not_found")
            assert_error(owner_api.patch(url, json=changed), 404, "not_found")
            assert_error(owner_api.delete(url), 404, "not_found")


class TestVocabulary:
    @pytest.mark.parametrize(
        ("plural", "field", "allowed"),
        [
            ("datasets", "purpose", "production, reference, test, training, validation"),
            ("components", "category", "api, dataset, library, model, platform"),
            ("resources", "category", "compute, data, human, system, tooling"),
        ],
    )
    def test_it_refuses_a_value_outside_the_vocabulary_naming_the_allowed_ones(
        self, cast, owner_api, system, plural, field, allowed
    ):
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems/{system.pk}/{plural}", json={"name": "x", field: "other"})
        error = assert_error(response, 400, "invalid")
        assert fields(error) == [field] and allowed in error["message"]

    def test_it_applies_the_default_category(self, cast, owner_api, system):
        body = ok(owner_api.post(f"{BASE}/systems/{system.pk}/resources", json={"name": "Annotators"}), 201)
        assert body["category"] == "compute"


class TestModels:
    def test_it_answers_409_for_a_version_the_system_has(self, cast, owner_api, system):
        add_model(cast, system, name="scorer", version="1")
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems/{system.pk}/models", json={"name": "scorer", "version": "1"})
        assert fields(assert_error(response, 409, "conflict")) == ["version"]

    def test_it_answers_409_when_a_change_would_duplicate_a_version(self, cast, owner_api, system):
        add_model(cast, system, name="scorer", version="1")
        second = add_model(cast, system, name="scorer", version="2")
        with nothing_written():
            response = owner_api.patch(f"{BASE}/systems/{system.pk}/models/{second.pk}", json={"version": "1"})
        assert_error(response, 409, "conflict")

    def test_it_shows_where_a_model_came_from(self, cast, owner_api, system):
        body = ok(owner_api.post(f"{BASE}/systems/{system.pk}/models", json={"name": "scorer"}), 201)
        assert (body["version"], body["source"], body["external_id"]) == ("", "manual", "")


class TestPipelineUpsert:
    def url(self, system):
        return f"{BASE}/systems/{system.pk}/models/by-version"

    def test_it_registers_a_version_once_however_often_the_pipeline_runs(self, cast, owner_api, system):
        body = {"name": "scorer", "version": "7", "uri": "s3://models/scorer/7", "model_type": "XGBoost"}

        first = ok(owner_api.request("PUT", self.url(system), json=body), 201)
        with nothing_written():
            again = ok(owner_api.request("PUT", self.url(system), json=body), 200)

        assert again == first
        assert AIModel.objects.filter(system=system).count() == 1
        assert AISystem.objects.get(pk=system.pk).version == system.version + 1

    def test_it_updates_the_given_fields_and_keeps_the_others(self, cast, owner_api, system):
        owner_api.request(
            "PUT", self.url(system), json={"name": "scorer", "version": "7", "uri": "s3://a", "model_type": "XGB"}
        )

        body = ok(
            owner_api.request(
                "PUT", self.url(system), json={"name": "scorer", "version": "7", "registry_stage": "Production"}
            )
        )

        assert (body["uri"], body["model_type"], body["registry_stage"]) == ("s3://a", "XGB", "Production")
        assert AuditEvent.objects.filter(object_type="inventory.aimodel", action="update").count() == 1

    def test_it_adds_a_new_version_next_to_the_old_one(self, cast, owner_api, system):
        owner_api.request("PUT", self.url(system), json={"name": "scorer", "version": "7"})
        ok(owner_api.request("PUT", self.url(system), json={"name": "scorer", "version": "8"}), 201)
        assert list(AIModel.objects.filter(system=system).values_list("version", flat=True)) == ["7", "8"]

    def test_it_finds_a_version_registered_by_hand(self, cast, owner_api, system):
        model = add_model(cast, system, name="scorer", version="1")
        body = ok(owner_api.request("PUT", self.url(system), json={"name": " scorer ", "version": "1", "uri": "u"}))
        assert body["id"] == model.pk and body["uri"] == "u"

    @pytest.mark.parametrize(
        ("payload", "field"),
        [({"name": "scorer"}, "version"), ({"name": "scorer", "version": ""}, "version"), ({"version": "1"}, "name")],
    )
    def test_it_needs_a_name_and_a_version(self, cast, owner_api, system, payload, field):
        with nothing_written():
            response = owner_api.request("PUT", self.url(system), json=payload)
        assert fields(assert_error(response, 422, "validation_error")) == [field]

    def test_it_refuses_an_unknown_field(self, cast, owner_api, system):
        with nothing_written():
            response = owner_api.request(
                "PUT", self.url(system), json={"name": "scorer", "version": "1", "run_id": "abc"}
            )
        assert fields(assert_error(response, 422, "validation_error")) == ["run_id"]

    def test_it_answers_404_for_a_system_of_another_organization(self, cast, owner_api):
        theirs = make_system(cast, org=cast.other_org)
        with nothing_written():
            response = owner_api.request("PUT", self.url(theirs), json={"name": "scorer", "version": "1"})
        assert_error(response, 404, "not_found")


class TestComponentSupplier:
    def test_it_names_the_supplier_by_id_and_clears_it_with_null(self, cast, owner_api, system):
        cloud = supplier(cast)
        url = f"{BASE}/systems/{system.pk}/components"
        body = ok(owner_api.post(url, json={"name": "Embeddings API", "supplier": cloud.pk}), 201)
        assert body["supplier"] == {"id": cloud.pk, "name": "Acme Cloud"}

        body = ok(owner_api.patch(f"{url}/{body['id']}", json={"supplier": None}))
        assert body["supplier"] is None

    def test_it_refuses_a_supplier_of_another_organization(self, cast, owner_api, system):
        theirs = supplier(cast, "Globex Cloud", org=cast.other_org)
        with nothing_written():
            response = owner_api.post(
                f"{BASE}/systems/{system.pk}/components", json={"name": "Embeddings API", "supplier": theirs.pk}
            )
        error = assert_error(response, 400, "invalid")
        assert fields(error) == ["supplier"]
        assert "Globex" not in error["message"]  # nothing about the other organization is revealed

    def test_it_lists_components_in_a_fixed_number_of_queries(self, cast, owner_api, django_assert_num_queries):
        for size in (2, 20):
            system = make_system(cast, name=f"System with {size}")
            for n in range(size):
                part_create(
                    actor=cast.tenant("owner"),
                    system=system,
                    kind="component",
                    name=f"Component {n}",
                    supplier=supplier(cast, f"Supplier {size}-{n}"),
                )
            url = f"{BASE}/systems/{system.pk}/components"
            ok(owner_api.get(url))  # warm-up
            # token and membership; the system; a count and one page (system and supplier joined)
            with django_assert_num_queries(5):
                assert ok(owner_api.get(url))["count"] == size


class TestSuppliers:
    def test_it_records_reads_changes_and_removes_a_supplier(self, cast, owner_api):
        body = ok(
            owner_api.post(
                f"{BASE}/suppliers",
                json={"name": "Vector Labs", "contact": "legal@vector.example", "contract_ends": "2027-01-31"},
            ),
            201,
        )
        assert (body["name"], body["contract_ends"], body["components"]) == ("Vector Labs", "2027-01-31", 0)
        url = f"{BASE}/suppliers/{body['id']}"
        assert ok(owner_api.get(url)) == body

        changed = ok(owner_api.patch(url, json={"contract_ref": "C-42", "contract_ends": None}))
        assert (changed["contract_ref"], changed["contract_ends"], changed["contact"]) == (
            "C-42",
            None,
            "legal@vector.example",
        )

        assert owner_api.delete(url).status_code == 204
        assert ok(owner_api.get(f"{BASE}/suppliers"))["count"] == 0

    def test_it_lists_suppliers_with_their_component_counts(self, cast, owner_api, system):
        cloud, labs = supplier(cast, "Acme Cloud"), supplier(cast, "Vector Labs")
        part_create(actor=cast.tenant("owner"), system=system, kind="component", name="API", supplier=cloud)
        supplier(cast, "Globex Cloud", org=cast.other_org)

        page = ok(owner_api.get(f"{BASE}/suppliers"))
        assert [(s["name"], s["components"]) for s in page["items"]] == [("Acme Cloud", 1), ("Vector Labs", 0)]
        assert [s["id"] for s in ok(owner_api.get(f"{BASE}/suppliers?q=vector"))["items"]] == [labs.pk]

    def test_it_answers_409_for_a_name_in_use(self, cast, owner_api):
        supplier(cast, "Acme Cloud")
        with nothing_written():
            response = owner_api.post(f"{BASE}/suppliers", json={"name": "acme cloud"})
        assert fields(assert_error(response, 409, "conflict")) == ["name"]

    def test_it_refuses_to_remove_a_supplier_of_a_component(self, cast, owner_api, system):
        cloud = supplier(cast)
        part_create(actor=cast.tenant("owner"), system=system, kind="component", name="API", supplier=cloud)
        with nothing_written():
            response = owner_api.delete(f"{BASE}/suppliers/{cloud.pk}")
        assert_error(response, 409, "conflict")

    def test_it_refuses_an_unknown_field(self, cast, owner_api):
        with nothing_written():
            response = owner_api.post(f"{BASE}/suppliers", json={"name": "Vector Labs", "country": "NL"})
        assert fields(assert_error(response, 422, "validation_error")) == ["country"]

    def test_it_answers_404_for_a_supplier_of_another_organization(self, cast, owner_api):
        theirs = supplier(cast, "Globex Cloud", org=cast.other_org)
        url = f"{BASE}/suppliers/{theirs.pk}"
        with nothing_written():
            assert_error(owner_api.get(url), 404, "not_found")
            assert_error(owner_api.patch(url, json={"contact": "me"}), 404, "not_found")
            assert_error(owner_api.delete(url), 404, "not_found")
