"""The controls, evidence, risk and SoA API: behaviour, refusals (one error shape, nothing written), exports."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.utils import timezone

from openaims.audittrail.models import AuditEvent
from openaims.controls.models import Control, ControlEvidence, ControlRequirement, Evidence, SoAVersion
from openaims.controls.services import control_create_custom, controls_adopt_catalog
from openaims.risk.models import Risk, RiskControl
from tests.api.test_bad_input import assert_error
from tests.catalog.conftest import load_tiny

TINY = "urn:openaims:framework:tiny-1"
BASE = "/api/v1/orgs/acme"


@contextmanager
def nothing_written():
    """No row of the controls, evidence, risk, SoA or audit tables appears, disappears or changes."""

    def snapshot():
        return {
            model._meta.label: sorted(map(repr, model.objects.values()))
            for model in (
                AuditEvent,
                Control,
                ControlRequirement,
                Evidence,
                ControlEvidence,
                SoAVersion,
                Risk,
                RiskControl,
            )
        }

    before = snapshot()
    yield
    assert snapshot() == before


@pytest.fixture
def adopted(cast):
    load_tiny()
    controls_adopt_catalog(actor=cast.tenant("owner"), framework_urn=TINY)
    return cast, {c.ref_id: c for c in Control.objects.filter(organization=cast.org)}


@pytest.fixture
def owner_api(cast, api_for):
    return api_for(cast.users["owner"], cast.org)


def ok(response, status: int = 200):
    assert response.status_code == status, response.content
    return response.json()


class TestControls:
    def test_it_adopts_the_catalog_once(self, cast, owner_api):
        load_tiny()
        assert ok(owner_api.post(f"{BASE}/controls/adopt", json={"framework_urn": TINY})) == {
            "framework_urn": TINY,
            "created": 2,
        }
        assert ok(owner_api.post(f"{BASE}/controls/adopt", json={"framework_urn": TINY}))["created"] == 0

    def test_it_refuses_to_adopt_an_unknown_framework(self, cast, owner_api):
        with nothing_written():
            response = owner_api.post(f"{BASE}/controls/adopt", json={"framework_urn": "urn:openaims:framework:none"})
        assert_error(response, 400, "invalid")

    def test_it_lists_with_filters_and_pages(self, adopted, owner_api):
        _cast, controls = adopted
        owner_api.patch(f"{BASE}/controls/{controls['A.1'].pk}", json={"owner": "carl", "status": "planned"})
        owner_api.post(f"{BASE}/controls", json={"ref_id": "ORG-1", "title": "Model cards"})

        page = ok(owner_api.get(f"{BASE}/controls?page_size=2"))
        assert (page["count"], page["pages"], [c["ref_id"] for c in page["items"]]) == (3, 2, ["A.1", "A.2"])
        assert page["items"][0]["urn"] == "urn:openaims:tiny-1:a.1" and page["items"][0]["framework"] == "tiny-1"

        def refs(query):
            return [c["ref_id"] for c in ok(owner_api.get(f"{BASE}/controls?{query}"))["items"]]

        assert refs("q=two") == ["A.2"]
        assert refs("status=planned") == ["A.1"]
        assert refs("applicability=undecided") == ["A.1", "A.2", "ORG-1"]
        assert refs("owner=carl") == ["A.1"]
        assert refs("owner=-") == ["A.2", "ORG-1"]
        assert refs("group=Custom") == ["ORG-1"]
        assert refs("group=A+Alpha") == ["A.1", "A.2"]

    def test_it_refuses_an_unknown_filter_value(self, adopted, owner_api):
        assert_error(owner_api.get(f"{BASE}/controls?status=done"), 422, "validation_error")

    def test_it_creates_an_own_control(self, cast, owner_api):
        body = ok(
            owner_api.post(
                f"{BASE}/controls", json={"ref_id": "ORG-1", "title": "Model cards", "owner": "carl", "group": "Docs"}
            ),
            201,
        )
        assert {k: body[k] for k in ("ref_id", "title", "custom", "urn", "owner", "group", "status")} == {
            "ref_id": "ORG-1",
            "title": "Model cards",
            "custom": True,
            "urn": None,
            "owner": "carl",
            "group": "Docs",
            "status": "not_started",
        }
        assert body["requirements"] == body["risks"] == body["evidence"] == []

    def test_it_answers_409_for_a_duplicate_id(self, cast, owner_api):
        control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Model cards")
        with nothing_written():
            response = owner_api.post(f"{BASE}/controls", json={"ref_id": "ORG-1", "title": "Again"})
        error = assert_error(response, 409, "conflict")
        assert error["details"] == [{"field": "ref_id", "message": error["message"]}]

    def test_it_refuses_an_owner_from_outside(self, cast, owner_api):
        with nothing_written():
            response = owner_api.post(f"{BASE}/controls", json={"ref_id": "ORG-1", "title": "X", "owner": "oscar"})
        assert [d["field"] for d in assert_error(response, 400, "invalid")["details"]] == ["owner"]

    def test_it_updates_a_control(self, adopted, owner_api):
        _cast, controls = adopted
        body = ok(
            owner_api.patch(
                f"{BASE}/controls/{controls['A.1'].pk}",
                json={"owner": "mona", "status": "partial", "applicability": "included", "justification": " Core "},
            )
        )
        assert (body["owner"], body["status"], body["applicability"], body["justification"]) == (
            "mona",
            "partial",
            "included",
            "Core",
        )
        body = ok(owner_api.patch(f"{BASE}/controls/{controls['A.1'].pk}", json={"owner": None}))
        assert body["owner"] is None and body["status"] == "partial", "only the fields sent change"

    def test_it_answers_422_for_an_unknown_status(self, adopted, owner_api):
        _cast, controls = adopted
        with nothing_written():
            response = owner_api.patch(f"{BASE}/controls/{controls['A.1'].pk}", json={"status": "done"})
        assert [d["field"] for d in assert_error(response, 422, "validation_error")["details"]] == ["status"]

    def test_it_refuses_to_implement_an_excluded_control(self, adopted, owner_api):
        _cast, controls = adopted
        with nothing_written():
            response = owner_api.patch(
                f"{BASE}/controls/{controls['A.1'].pk}", json={"applicability": "excluded", "status": "implemented"}
            )
        error = assert_error(response, 400, "invalid")
        assert "excluded control cannot be implemented" in error["message"]

    def test_it_keeps_the_catalog_title_of_a_catalog_control(self, adopted, owner_api):
        _cast, controls = adopted
        with nothing_written():
            response = owner_api.patch(f"{BASE}/controls/{controls['A.1'].pk}", json={"title": "Mine"})
        assert [d["field"] for d in assert_error(response, 400, "invalid")["details"]] == ["title"]

    def test_it_changes_title_and_description_of_an_own_control(self, cast, owner_api):
        control = control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="X")
        body = ok(owner_api.patch(f"{BASE}/controls/{control.pk}", json={"title": "Y", "description": "Why"}))
        assert (body["title"], body["description"]) == ("Y", "Why")

    def test_another_organizations_control_is_404(self, adopted, api_for):
        cast, _controls = adopted
        theirs = control_create_custom(actor=cast.tenant("outsider"), ref_id="G-1", title="Globex control")
        api = api_for(cast.users["owner"], cast.org)
        with nothing_written():
            for response in (
                api.get(f"{BASE}/controls/{theirs.pk}"),
                api.patch(f"{BASE}/controls/{theirs.pk}", json={"status": "planned"}),
                api.post(f"{BASE}/controls/{theirs.pk}/requirements/urn:openaims:other-1:x"),
                api.post(f"{BASE}/evidence", json={"title": "E", "controls": [theirs.pk]}),
            ):
                assert_error(response, 404, "not_found")

    def test_it_links_and_unlinks_requirements_by_urn(self, adopted, owner_api):
        _cast, controls = adopted
        path = f"{BASE}/controls/{controls['A.2'].pk}/requirements/urn:openaims:other-1:x"
        assert ok(owner_api.post(path), 201) == {
            "urn": "urn:openaims:other-1:x",
            "framework": "other-1",
            "ref_id": "X",
            "title": "Ex",
        }
        assert owner_api.post(path).status_code == 200, "linking again changes nothing"
        detail = ok(owner_api.get(f"{BASE}/controls/{controls['A.2'].pk}"))
        assert [r["urn"] for r in detail["requirements"]] == ["urn:openaims:other-1:x"]
        assert owner_api.delete(path).status_code == 204
        assert ControlRequirement.objects.count() == 0
        with nothing_written():
            assert_error(owner_api.delete(path), 404, "not_found")
            assert_error(
                owner_api.post(f"{BASE}/controls/{controls['A.2'].pk}/requirements/urn:openaims:nope:x"),
                404,
                "not_found",
            )


class TestEvidence:
    def test_it_creates_evidence_linked_to_controls_and_links_more(self, adopted, owner_api):
        _cast, controls = adopted
        a1, a2 = controls["A.1"].pk, controls["A.2"].pk
        body = ok(
            owner_api.post(
                f"{BASE}/evidence",
                json={
                    "title": "Fairness test",
                    "url": "https://example.org/r",
                    "valid_until": "2099-01-01",
                    "controls": [a1],
                },
            ),
            201,
        )
        assert (body["controls"], body["current"], body["created_by"]) == ([a1], True, "alice")
        assert ok(owner_api.post(f"{BASE}/controls/{a2}/evidence/{body['id']}"), 201)["controls"] == [a1, a2]
        assert owner_api.post(f"{BASE}/controls/{a2}/evidence/{body['id']}").status_code == 200
        listed = ok(owner_api.get(f"{BASE}/evidence?control={a2}"))
        assert [e["title"] for e in listed["items"]] == ["Fairness test"]
        assert [e["title"] for e in ok(owner_api.get(f"{BASE}/controls/{a1}"))["evidence"]] == ["Fairness test"]

        assert owner_api.delete(f"{BASE}/controls/{a1}/evidence/{body['id']}").status_code == 204
        assert ok(owner_api.get(f"{BASE}/controls/{a1}"))["evidence"] == []
        assert [e["controls"] for e in ok(owner_api.get(f"{BASE}/evidence"))["items"]] == [[a2]], "the evidence stays"
        with nothing_written():
            assert_error(owner_api.delete(f"{BASE}/controls/{a1}/evidence/{body['id']}"), 404, "not_found")

    def test_it_refuses_bad_evidence(self, adopted, owner_api):
        _cast, _controls = adopted
        with nothing_written():
            response = owner_api.post(
                f"{BASE}/evidence", json={"title": "E", "collected_at": "2026-02-01", "valid_until": "2026-01-01"}
            )
            assert [d["field"] for d in assert_error(response, 400, "invalid")["details"]] == ["valid_until"]
            response = owner_api.post(f"{BASE}/evidence", json={"title": "E", "url": "not a url"})
            assert [d["field"] for d in assert_error(response, 400, "invalid")["details"]] == ["url"]
            assert_error(owner_api.post(f"{BASE}/evidence", json={"title": ""}), 422, "validation_error")


class TestRisks:
    def test_a_risk_treatment_selects_and_deselects_a_control(self, adopted, owner_api):
        _cast, controls = adopted
        risk = ok(owner_api.post(f"{BASE}/risks", json={"title": "Biased credit decisions", "owner": "carl"}), 201)
        assert (risk["owner"], risk["controls"]) == ("carl", [])
        path = f"{BASE}/risks/{risk['id']}/controls/{controls['A.1'].pk}"
        selected = ok(owner_api.post(path), 201)
        assert [c["ref_id"] for c in selected["controls"]] == ["A.1"]
        rows = {r["ref_id"]: r for r in ok(owner_api.get(f"{BASE}/soa"))["rows"]}
        assert rows["A.1"]["reasons"] == ["Risk treatment: Biased credit decisions"]
        assert ok(owner_api.get(f"{BASE}/controls/{controls['A.1'].pk}"))["risks"] == [
            {"id": risk["id"], "title": "Biased credit decisions"}
        ]
        assert owner_api.delete(path).status_code == 204
        assert ok(owner_api.get(f"{BASE}/risks"))["items"][0]["controls"] == []
        assert_error(owner_api.delete(path), 404, "not_found")

    def test_another_organizations_control_or_risk_is_404(self, adopted, api_for):
        cast, _controls = adopted
        theirs = control_create_custom(actor=cast.tenant("outsider"), ref_id="G", title="G")
        api = api_for(cast.users["owner"], cast.org)
        risk = ok(api.post(f"{BASE}/risks", json={"title": "R"}), 201)
        outsider = api_for(cast.users["outsider"], cast.other_org)
        with nothing_written():
            assert_error(api.post(f"{BASE}/risks/{risk['id']}/controls/{theirs.pk}"), 404, "not_found")
            response = outsider.post(f"/api/v1/orgs/globex/risks/{risk['id']}/controls/{theirs.pk}")
            assert_error(response, 404, "not_found")


@pytest.fixture
def worked_example(adopted, owner_api):
    """tests/controls/test_soa.py's example, built through the API."""
    cast, controls = adopted
    a1, a2 = controls["A.1"].pk, controls["A.2"].pk
    custom = ok(owner_api.post(f"{BASE}/controls", json={"ref_id": "ORG-1", "title": "Model cards"}), 201)["id"]
    risk = ok(owner_api.post(f"{BASE}/risks", json={"title": "Biased credit decisions"}), 201)["id"]
    ok(owner_api.post(f"{BASE}/risks/{risk}/controls/{a1}"), 201)
    ok(owner_api.patch(f"{BASE}/controls/{a1}", json={"applicability": "included", "status": "implemented"}))
    ok(owner_api.post(f"{BASE}/evidence", json={"title": "Fairness test report", "controls": [a1]}), 201)
    ok(owner_api.post(f"{BASE}/risks/{risk}/controls/{a2}"), 201)
    ok(owner_api.patch(f"{BASE}/controls/{a2}", json={"applicability": "excluded"}))
    ok(owner_api.patch(f"{BASE}/controls/{custom}", json={"applicability": "included", "status": "implemented"}))
    old = {"title": "Old card", "collected_at": "2020-01-01", "valid_until": "2020-12-31", "controls": [custom]}
    ok(owner_api.post(f"{BASE}/evidence", json=old), 201)
    return cast, owner_api


class TestSoA:
    def test_it_derives_rows_summary_and_flags(self, worked_example):
        _cast, api = worked_example
        body = ok(api.get(f"{BASE}/soa"))
        rows = {r["ref_id"]: r for r in body["rows"]}
        assert rows["A.1"]["flags"] == [] and rows["A.1"]["reasons"] == ["Risk treatment: Biased credit decisions"]
        assert rows["A.2"]["flags"] == ["excluded_but_selected", "excluded_without_justification"]
        assert rows["ORG-1"]["flags"] == ["included_without_justification", "implemented_without_evidence"]
        assert (rows["ORG-1"]["evidence_current"], rows["ORG-1"]["evidence_total"]) == (0, 1)
        assert rows["A.1"]["control_id"] == Control.objects.get(ref_id="A.1").pk
        assert body["summary"] == {
            "total": 3,
            "flagged": 2,
            "undecided": 0,
            "included": 2,
            "excluded": 1,
            "implemented": 2,
        }
        assert body["flags"]["undecided"] == "Applicability not decided yet"

    def test_it_publishes_then_diffs(self, adopted, owner_api, api_for):
        cast, controls = adopted
        mona_api = api_for(cast.users["manager"], cast.org)
        body = {"approver": "mona", "note": "Stage 1", "confirm_undecided": True}
        v1 = ok(owner_api.post(f"{BASE}/soa/versions", json=body), 201)
        assert (v1["number"], v1["status"], v1["approver"], v1["approved_by"], v1["published_by"], v1["controls"]) == (
            1,
            "awaiting_signoff",
            "mona",
            None,
            "alice",
            2,
        )
        assert [r["ref_id"] for r in v1["rows"]] == ["A.1", "A.2"] and v1["rows"][0]["control_id"] is None
        (waiting,) = ok(mona_api.get(f"{BASE}/signoffs"))
        signed = ok(mona_api.post(f"{BASE}/signoffs/{waiting['id']}/sign", json={"comment": "Fine"}))
        assert signed["status"] == "signed"
        v1 = ok(owner_api.get(f"{BASE}/soa/versions/1"))
        assert (v1["status"], v1["approved_by"], v1["approved_on"]) == ("signed", "mona", str(timezone.localdate()))
        owner_api.patch(
            f"{BASE}/controls/{controls['A.1'].pk}", json={"applicability": "included", "justification": "Core duty"}
        )
        owner_api.post(f"{BASE}/controls", json={"ref_id": "ORG-1", "title": "Model cards"})
        v2 = ok(owner_api.post(f"{BASE}/soa/versions", json={"approver": "mona", "confirm_undecided": True}), 201)
        assert (v2["number"], v2["status"], v2["approved_on"]) == (2, "awaiting_signoff", None)

        listed = ok(owner_api.get(f"{BASE}/soa/versions"))
        assert [v["number"] for v in listed["items"]] == [2, 1]
        assert ok(owner_api.get(f"{BASE}/soa/versions/1"))["note"] == "Stage 1"

        change = ok(owner_api.get(f"{BASE}/soa/diff?from=1&to=2"))
        assert (change["from_version"], change["to_version"]) == (1, 2)
        assert [r["ref_id"] for r in change["added"]] == ["ORG-1"] and change["removed"] == []
        assert change["changed"] == [
            {
                "ref_id": "A.1",
                "title": "Alpha one",
                "changes": {"applicability": ["undecided", "included"], "justification": ["", "Core duty"]},
            }
        ]
        owner_api.patch(f"{BASE}/controls/{controls['A.2'].pk}", json={"status": "planned"})
        current = ok(owner_api.get(f"{BASE}/soa/diff?from=2"))
        assert current["to_version"] is None
        assert current["changed"] == [
            {"ref_id": "A.2", "title": "Alpha two", "changes": {"status": ["not_started", "planned"]}}
        ]
        assert_error(owner_api.get(f"{BASE}/soa/diff?from=1&to=9"), 404, "not_found")
        assert_error(owner_api.get(f"{BASE}/soa/diff"), 422, "validation_error")

    def test_it_refuses_an_approver_who_may_not_approve(self, adopted, owner_api):
        with nothing_written():
            for approver in ("vera", "oscar", "nobody", "alice"):
                response = owner_api.post(
                    f"{BASE}/soa/versions", json={"approver": approver, "confirm_undecided": True}
                )
                error = assert_error(response, 400, "invalid")
                assert error["details"][0]["field"] == "approver"

    def test_there_is_nothing_to_publish_before_adoption(self, cast, owner_api):
        with nothing_written():
            assert_error(owner_api.post(f"{BASE}/soa/versions", json={"approver": "mona"}), 400, "invalid")

    def test_a_version_of_another_organization_is_404(self, adopted, api_for):
        cast, _controls = adopted
        body = {"approver": "mona", "confirm_undecided": True}
        ok(api_for(cast.users["owner"], cast.org).post(f"{BASE}/soa/versions", json=body), 201)
        outsider = api_for(cast.users["outsider"], cast.other_org)
        assert_error(outsider.get("/api/v1/orgs/globex/soa/versions/1"), 404, "not_found")


class TestCoverage:
    def test_coverage_on_the_worked_example(self, adopted, owner_api):
        _cast, controls = adopted

        def figures():
            return {
                c["framework"]: (c["covered"], c["total"], c["share"], c["uncovered"])
                for c in ok(owner_api.get(f"{BASE}/coverage"))
            }

        assert figures() == {
            "tiny-1": (0, 2, 0.0, ["urn:openaims:tiny-1:a.1", "urn:openaims:tiny-1:a.2"]),
            "other-1": (0, 1, 0.0, ["urn:openaims:other-1:x"]),
        }
        a1 = controls["A.1"].pk
        ok(owner_api.patch(f"{BASE}/controls/{a1}", json={"applicability": "included", "status": "implemented"}))
        assert {k: v[0] for k, v in figures().items()} == {"tiny-1": 0, "other-1": 0}, "no evidence, no coverage"
        ok(owner_api.post(f"{BASE}/evidence", json={"title": "Report", "controls": [a1]}), 201)
        assert figures() == {
            "tiny-1": (1, 2, 0.5, ["urn:openaims:tiny-1:a.2"]),
            "other-1": (0, 1, 0.0, []),
        }
        partial = {
            c["framework"]: (c["partial"], c["partially_covered"]) for c in ok(owner_api.get(f"{BASE}/coverage"))
        }
        assert partial == {"tiny-1": (0, []), "other-1": (1, ["urn:openaims:other-1:x"])}
        only = ok(owner_api.get(f"{BASE}/coverage?framework=other-1"))
        assert [c["framework"] for c in only] == ["other-1"]
        assert_error(owner_api.get(f"{BASE}/coverage?framework=nope"), 404, "not_found")


class TestExports:
    def test_the_current_soa_and_a_version_as_pdf(self, worked_example):
        _cast, api = worked_example
        response = api.get(f"{BASE}/soa/export.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="soa-acme-current.pdf"'
        assert response.content.startswith(b"%PDF")
        ok(api.post(f"{BASE}/soa/versions", json={"approver": "mona"}), 201)
        response = api.get(f"{BASE}/soa/versions/1/export.pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert response["Content-Disposition"] == 'attachment; filename="soa-acme-v1.pdf"'
        assert_error(api.get(f"{BASE}/soa/versions/7/export.pdf"), 404, "not_found")

    def test_oscal_documents_name_the_included_controls(self, worked_example):
        _cast, api = worked_example
        component = api.get(f"{BASE}/soa/export/oscal-component.json")
        assert component.status_code == 200 and component["Content-Type"] == "application/json"
        document = json.loads(component.content)["component-definition"]
        ids = {
            req["control-id"]
            for impl in document["components"][0]["control-implementations"]
            for req in impl["implemented-requirements"]
        }
        assert ids == {"a-1", "ORG-1"}, "A.2 is excluded"
        ssp = json.loads(api.get(f"{BASE}/soa/export/oscal-ssp.json").content)["system-security-plan"]
        assert {r["control-id"] for r in ssp["control-implementation"]["implemented-requirements"]} == ids

        ok(api.post(f"{BASE}/soa/versions", json={"approver": "mona"}), 201)
        response = api.get(f"{BASE}/soa/export/oscal-ssp.json?version=1")
        assert response["Content-Disposition"] == 'attachment; filename="soa-acme-v1.oscal-ssp.json"'
        assert json.loads(response.content)["system-security-plan"]["metadata"]["version"] == "SoA v1"

    def test_an_ssp_needs_an_included_control(self, adopted, owner_api):
        assert_error(owner_api.get(f"{BASE}/soa/export/oscal-ssp.json"), 400, "invalid")

    def test_a_framework_as_an_oscal_catalog(self, cast, owner_api):
        load_tiny()
        response = owner_api.get(f"{BASE}/catalog/frameworks/tiny-1/oscal-catalog.json")
        assert response["Content-Disposition"] == 'attachment; filename="tiny-1.oscal-catalog.json"'
        catalog = json.loads(response.content)["catalog"]
        assert [c["id"] for c in catalog["groups"][0]["controls"]] == ["a-1", "a-2"]
        assert_error(owner_api.get(f"{BASE}/catalog/frameworks/nope/oscal-catalog.json"), 404, "not_found")
