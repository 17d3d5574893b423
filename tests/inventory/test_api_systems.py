"""The register API: list (filters, sort, pages, fixed queries), register, read, change, delete, control links."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.controls.models import ControlSystem
from openaims.controls.services import control_create_custom, control_link_system
from openaims.inventory.models import AIModel, AISystem, Component, Dataset, Resource, Supplier
from openaims.inventory.services import part_create, system_update
from openaims.tenancy.selectors import tenant_of
from tests.api.test_bad_input import assert_error, fields
from tests.inventory.conftest import add_model, make_system

BASE = "/api/v1/orgs/acme"


@contextmanager
def nothing_written():
    """No row of the register, its parts, suppliers, control links or the audit trail appears, goes or changes."""

    def snapshot():
        return {
            model._meta.label: sorted(map(repr, model.objects.values()))
            for model in (AuditEvent, AISystem, AIModel, Dataset, Component, Resource, Supplier, ControlSystem)
        }

    before = snapshot()
    yield
    assert snapshot() == before


@pytest.fixture
def owner_api(cast, api_for):
    return api_for(cast.users["owner"], cast.org)


def ok(response, status: int = 200):
    assert response.status_code == status, response.content
    return response.json()


def left_inception(system) -> None:
    # The life-cycle transition service (with its gates) is not under test here: set the stage directly.
    AISystem.objects.filter(pk=system.pk).update(stage="deployment")


FULL = {
    "name": "Claims triage",
    "purpose": "Routes insurance claims to the right team",
    "intended_use": "Suggest a team for each new claim; a handler confirms",
    "foreseeable_misuse": "Deciding claims without a handler",
    "intended_users": "Claims handlers",
    "affected_persons": "Policy holders",
    "role": "deployer",
    "technique": "llm",
    "automation_level": "assistive",
    "oversight_mode": "in_the_loop",
    "oversight_description": "Each suggestion is confirmed by a handler",
    "deployment_environment": "Internal claims portal",
    "geography": "EU",
    "personal_data": True,
    "personal_data_notes": "Names and claim details",
    "criticality": "high",
    "business_owner": "mona",
    "technical_owner": "carl",
}


class TestRegister:
    def test_it_registers_a_system_with_every_register_field(self, cast, owner_api):
        body = ok(owner_api.post(f"{BASE}/systems", json=FULL), 201)

        assert {key: body[key] for key in FULL} == FULL
        assert body["ref"] == "AIS-1" and body["number"] == 1
        assert (body["stage"], body["risk_class"], body["classification_stale"], body["version"]) == (
            "inception",
            "unclassified",
            False,
            1,
        )
        assert body["parts"] == {"models": 0, "datasets": 0, "components": 0, "resources": 0}
        assert body["controls"] == [] and body["duplicates"] == []
        assert body["created_by"] == "alice"
        system = AISystem.objects.get(pk=body["id"])
        assert system.business_owner == cast.users["manager"] and system.organization == cast.org

    def test_it_defaults_criticality_and_optional_fields(self, cast, owner_api):
        body = ok(
            owner_api.post(
                f"{BASE}/systems", json={"name": "Chatbot", "purpose": "Answers", "role": "user", "technique": "llm"}
            ),
            201,
        )
        assert (body["criticality"], body["business_owner"], body["intended_use"], body["personal_data"]) == (
            "medium",
            None,
            "",
            False,
        )

    def test_it_registers_a_likely_duplicate_and_reports_it_as_a_warning(self, cast, owner_api):
        first = make_system(cast, name="Credit scoring", purpose="Scores consumer credit applications")

        body = ok(
            owner_api.post(
                f"{BASE}/systems",
                json={
                    "name": "Credit-scoring",
                    "purpose": "Scores consumer credit applications",
                    "role": "provider",
                    "technique": "ml",
                },
            ),
            201,
        )

        assert AISystem.objects.filter(organization=cast.org).count() == 2
        assert body["ref"] == "AIS-2"
        (duplicate,) = body["duplicates"]
        assert duplicate["system"] == {"id": first.pk, "ref": "AIS-1", "name": "Credit scoring"}
        assert duplicate["score"] > 0.7 and "name" in duplicate["reason"]

    def test_it_refuses_an_unknown_field_with_422(self, cast, owner_api):
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems", json={**FULL, "colour": "blue"})
        error = assert_error(response, 422, "validation_error")
        assert fields(error) == ["colour"]

    @pytest.mark.parametrize(
        ("field", "value", "allowed"),
        [
            ("role", "seller", "deployer, developer, distributor, importer, provider, user"),
            ("technique", "magic", "hybrid, llm, ml, rules"),
            ("criticality", "extreme", "critical, high, low, medium"),
            ("automation_level", "total", "assistive, conditional, full, partial"),
            ("oversight_mode", "sometimes", "in_the_loop, none, on_the_loop"),
        ],
    )
    def test_it_refuses_a_value_outside_the_vocabulary_naming_the_allowed_ones(
        self, cast, owner_api, field, value, allowed
    ):
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems", json={**FULL, field: value})
        error = assert_error(response, 400, "invalid")
        assert fields(error) == [field]
        assert allowed in error["message"]

    def test_it_refuses_an_owner_who_is_not_a_member(self, cast, owner_api):
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems", json={**FULL, "technical_owner": "oscar"})
        assert fields(assert_error(response, 400, "invalid")) == ["technical_owner"]

    @pytest.mark.parametrize("missing", ["name", "purpose", "role", "technique"])
    def test_it_refuses_a_system_without_a_required_field(self, cast, owner_api, missing):
        body = {key: value for key, value in FULL.items() if key != missing}
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems", json=body)
        assert fields(assert_error(response, 422, "validation_error")) == [missing]

    def test_it_refuses_a_blank_name(self, cast, owner_api):
        with nothing_written():
            response = owner_api.post(f"{BASE}/systems", json={**FULL, "name": "   "})
        assert fields(assert_error(response, 400, "invalid")) == ["name"]

    def test_it_records_the_registration_in_the_audit_trail(self, cast, owner_api):
        body = ok(owner_api.post(f"{BASE}/systems", json=FULL), 201)
        event = AuditEvent.objects.get(object_type="inventory.aisystem", object_id=str(body["id"]))
        assert event.action == "create" and event.changes_dict["name"] == [None, "Claims triage"]


class TestRead:
    def test_it_shows_counts_of_parts_and_the_linked_controls(self, cast, owner_api, system):
        add_model(cast, system, version="1")
        add_model(cast, system, version="2")
        part_create(actor=cast.tenant("owner"), system=system, kind="dataset", name="Loans")
        control = control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Cards")
        control_link_system(actor=cast.tenant("owner"), control=control, system=system)

        body = ok(owner_api.get(f"{BASE}/systems/{system.pk}"))

        assert body["parts"] == {"models": 2, "datasets": 1, "components": 0, "resources": 0}
        assert body["controls"] == [
            {
                "id": control.pk,
                "ref_id": "ORG-1",
                "title": "Cards",
                "status": control.status,
                "applicability": control.applicability,
            }
        ]
        assert body["version"] == 4  # registered, then three parts added
        assert "duplicates" not in body

    def test_it_answers_404_for_a_system_of_another_organization(self, cast, owner_api):
        theirs = make_system(cast, org=cast.other_org)
        assert_error(owner_api.get(f"{BASE}/systems/{theirs.pk}"), 404, "not_found")

    def test_it_answers_404_for_an_unknown_id(self, cast, owner_api):
        assert_error(owner_api.get(f"{BASE}/systems/999999"), 404, "not_found")


class TestChange:
    def test_it_changes_only_the_given_fields(self, cast, owner_api, system):
        body = ok(
            owner_api.patch(
                f"{BASE}/systems/{system.pk}",
                json={"criticality": "critical", "business_owner": "mona", "geography": "EU, UK"},
            )
        )
        assert (body["criticality"], body["business_owner"], body["geography"]) == ("critical", "mona", "EU, UK")
        assert (body["name"], body["purpose"], body["role"]) == (system.name, system.purpose, "provider")
        assert body["version"] == system.version + 1

    def test_it_clears_an_owner_and_a_text_with_null(self, cast, owner_api):
        system = make_system(cast, business_owner=cast.users["manager"], geography="EU")
        body = ok(owner_api.patch(f"{BASE}/systems/{system.pk}", json={"business_owner": None, "geography": None}))
        assert (body["business_owner"], body["geography"]) == (None, "")

    def test_it_changes_nothing_for_an_empty_body(self, cast, owner_api, system):
        with nothing_written():
            body = ok(owner_api.patch(f"{BASE}/systems/{system.pk}", json={}))
        assert body["version"] == system.version

    @pytest.mark.parametrize(
        ("field", "value", "pointer"),
        [("stage", "deployment", "transition"), ("risk_class", "minimal", "classification")],
    )
    def test_it_refuses_to_write_stage_or_risk_class_and_says_where_they_change(
        self, cast, owner_api, system, field, value, pointer
    ):
        with nothing_written():
            response = owner_api.patch(f"{BASE}/systems/{system.pk}", json={"name": "Renamed", field: value})
        error = assert_error(response, 422, "validation_error")
        assert fields(error) == [field]
        assert pointer in error["message"]

    def test_it_refuses_an_unknown_field(self, cast, owner_api, system):
        with nothing_written():
            response = owner_api.patch(f"{BASE}/systems/{system.pk}", json={"version": 9})
        assert fields(assert_error(response, 422, "validation_error")) == ["version"]

    def test_it_refuses_a_null_required_field(self, cast, owner_api, system):
        with nothing_written():
            response = owner_api.patch(f"{BASE}/systems/{system.pk}", json={"name": None})
        assert fields(assert_error(response, 422, "validation_error")) == ["name"]

    def test_it_refuses_a_value_outside_the_vocabulary(self, cast, owner_api, system):
        with nothing_written():
            response = owner_api.patch(f"{BASE}/systems/{system.pk}", json={"technique": "magic"})
        error = assert_error(response, 400, "invalid")
        assert "hybrid, llm, ml, rules" in error["message"]

    def test_it_answers_404_for_a_system_of_another_organization(self, cast, owner_api):
        theirs = make_system(cast, org=cast.other_org)
        with nothing_written():
            response = owner_api.patch(f"{BASE}/systems/{theirs.pk}", json={"name": "Mine now"})
        assert_error(response, 404, "not_found")


class TestDelete:
    def test_it_deletes_an_entry_at_inception(self, cast, owner_api, system):
        response = owner_api.delete(f"{BASE}/systems/{system.pk}")
        assert response.status_code == 204
        assert not AISystem.objects.filter(pk=system.pk).exists()
        assert AuditEvent.objects.filter(object_id=str(system.pk), action="delete").exists()

    def test_it_answers_409_once_the_system_left_inception(self, cast, owner_api, system):
        left_inception(system)
        with nothing_written():
            response = owner_api.delete(f"{BASE}/systems/{system.pk}")
        error = assert_error(response, 409, "conflict")
        assert "retire" in error["message"]

    def test_it_answers_404_for_a_system_of_another_organization(self, cast, owner_api):
        theirs = make_system(cast, org=cast.other_org)
        with nothing_written():
            assert_error(owner_api.delete(f"{BASE}/systems/{theirs.pk}"), 404, "not_found")


class TestList:
    @pytest.fixture
    def register(self, cast):
        users = cast.users
        systems = {
            "credit": make_system(cast, name="Credit scoring", criticality="high", business_owner=users["manager"]),
            "chat": make_system(
                cast,
                name="Support chatbot",
                purpose="Answers customer questions",
                role="deployer",
                technique="llm",
                criticality="low",
                technical_owner=users["contributor"],
            ),
            "rules": make_system(
                cast, name="Fraud rules", purpose="Flags odd payments", technique="rules", criticality="critical"
            ),
        }
        AISystem.objects.filter(pk=systems["chat"].pk).update(stage="deployment", risk_class="limited_risk")
        # The classification service is not under test here: mark one stale directly.
        AISystem.objects.filter(pk=systems["rules"].pk).update(risk_class="high_risk", classification_stale=True)
        system_update(actor=tenant_of(users["owner"]), system=systems["credit"], geography="EU")  # the latest change
        make_system(cast, org=cast.other_org, name="Credit scoring at Globex")
        return systems

    def names(self, api, query: str = "") -> list[str]:
        return [item["name"] for item in ok(api.get(f"{BASE}/systems?{query}"))["items"]]

    def test_it_lists_the_organizations_systems_by_reference(self, register, owner_api):
        page = ok(owner_api.get(f"{BASE}/systems"))
        assert [item["ref"] for item in page["items"]] == ["AIS-1", "AIS-2", "AIS-3"]
        assert (page["count"], page["page"], page["pages"]) == (3, 1, 1)
        first = page["items"][0]
        assert (first["business_owner"], first["technical_owner"], first["criticality"]) == ("mona", None, "high")

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("q=credit", ["Credit scoring"]),
            ("q=customer", ["Support chatbot"]),
            ("q=ais-3", ["Fraud rules"]),
            ("stage=deployment", ["Support chatbot"]),
            ("stage=inception", ["Credit scoring", "Fraud rules"]),
            ("risk_class=high_risk", ["Fraud rules"]),
            ("risk_class=unclassified", ["Credit scoring"]),
            ("owner=mona", ["Credit scoring"]),
            ("owner=carl", ["Support chatbot"]),
            ("owner=-", ["Fraud rules"]),
            ("role=deployer", ["Support chatbot"]),
            ("technique=rules", ["Fraud rules"]),
            ("criticality=critical", ["Fraud rules"]),
            ("needs_reclassification=true", ["Fraud rules"]),
            ("needs_reclassification=false", ["Credit scoring", "Support chatbot"]),
            ("technique=ml&criticality=high", ["Credit scoring"]),
        ],
    )
    def test_it_filters(self, register, owner_api, query, expected):
        assert self.names(owner_api, query) == expected

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("ref", ["Credit scoring", "Support chatbot", "Fraud rules"]),
            ("-ref", ["Fraud rules", "Support chatbot", "Credit scoring"]),
            ("name", ["Credit scoring", "Fraud rules", "Support chatbot"]),
            ("-name", ["Support chatbot", "Fraud rules", "Credit scoring"]),
            ("stage", ["Credit scoring", "Fraud rules", "Support chatbot"]),  # life-cycle order, then ref
            ("-stage", ["Support chatbot", "Fraud rules", "Credit scoring"]),
            ("-risk_class", ["Fraud rules", "Support chatbot", "Credit scoring"]),  # most severe first
            ("criticality", ["Support chatbot", "Credit scoring", "Fraud rules"]),  # vocabulary order
            ("-criticality", ["Fraud rules", "Credit scoring", "Support chatbot"]),
            ("-updated", ["Credit scoring", "Fraud rules", "Support chatbot"]),
        ],
    )
    def test_it_sorts(self, register, owner_api, sort, expected):
        assert self.names(owner_api, f"sort={sort}") == expected

    def test_it_pages(self, register, owner_api):
        page = ok(owner_api.get(f"{BASE}/systems?page=2&page_size=2"))
        assert ([item["ref"] for item in page["items"]], page["count"], page["page"], page["pages"]) == (
            ["AIS-3"],
            3,
            2,
            2,
        )

    @pytest.mark.parametrize(
        ("query", "field", "allowed"),
        [
            ("stage=done", "stage", "inception, design_development"),
            ("role=seller", "role", "deployer, developer"),
            ("criticality=extreme", "criticality", "critical, high, low, medium"),
        ],
    )
    def test_it_refuses_a_filter_value_outside_the_vocabulary(self, register, owner_api, query, field, allowed):
        error = assert_error(owner_api.get(f"{BASE}/systems?{query}"), 400, "invalid")
        assert fields(error) == [field] and allowed in error["message"]

    @pytest.mark.parametrize("query", ["sort=colour", "risk_class=awful", "needs_reclassification=perhaps"])
    def test_it_refuses_an_unknown_sort_or_enum_value(self, register, owner_api, query):
        assert_error(owner_api.get(f"{BASE}/systems?{query}"), 422, "validation_error")


LIST_QUERIES = 4  # the token (user, organization joined) and its membership; a count and one page (owners joined)


@pytest.mark.parametrize("size", [3, 30])
def test_the_register_list_issues_a_fixed_number_of_queries(cast, owner_api, django_assert_num_queries, size):
    for n in range(size):
        make_system(
            cast,
            name=f"System {n}",
            business_owner=cast.users["manager"],
            technical_owner=cast.users["contributor"],
        )
    ok(owner_api.get(f"{BASE}/systems"))  # warm-up

    with django_assert_num_queries(LIST_QUERIES):
        page = ok(owner_api.get(f"{BASE}/systems?owner=mona&sort=-criticality"))

    assert page["count"] == size and page["items"][0]["technical_owner"] == "carl"


class TestControlLinks:
    @pytest.fixture
    def control(self, cast):
        return control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Cards")

    def test_it_links_a_control_once_and_lists_it(self, cast, owner_api, system, control):
        url = f"{BASE}/systems/{system.pk}/controls/{control.pk}"
        assert ok(owner_api.request("PUT", url), 201)["ref_id"] == "ORG-1"
        with nothing_written():
            assert ok(owner_api.request("PUT", url), 200)["id"] == control.pk

        assert [c["ref_id"] for c in ok(owner_api.get(f"{BASE}/systems/{system.pk}/controls"))] == ["ORG-1"]
        assert ControlSystem.objects.filter(system=system).count() == 1
        assert AuditEvent.objects.filter(action="link_system").count() == 1

    def test_it_unlinks_a_control(self, cast, owner_api, system, control):
        control_link_system(actor=cast.tenant("owner"), control=control, system=system)
        url = f"{BASE}/systems/{system.pk}/controls/{control.pk}"

        assert owner_api.delete(url).status_code == 204
        assert ok(owner_api.get(f"{BASE}/systems/{system.pk}/controls")) == []
        with nothing_written():
            assert_error(owner_api.delete(url), 404, "not_found")

    def test_it_answers_404_for_a_control_of_another_organization(self, cast, owner_api, system):
        theirs = control_create_custom(actor=cast.tenant("outsider"), ref_id="G-1", title="Theirs")
        with nothing_written():
            response = owner_api.request("PUT", f"{BASE}/systems/{system.pk}/controls/{theirs.pk}")
        assert_error(response, 404, "not_found")

    def test_it_answers_404_for_a_system_of_another_organization(self, cast, owner_api, control):
        theirs = make_system(cast, org=cast.other_org)
        with nothing_written():
            response = owner_api.request("PUT", f"{BASE}/systems/{theirs.pk}/controls/{control.pk}")
        assert_error(response, 404, "not_found")
        assert_error(owner_api.get(f"{BASE}/systems/{theirs.pk}/controls"), 404, "not_found")
