"""Impact assessments over the API: the workflow, separation of duties, risk link, other organizations."""

from __future__ import annotations

from openaims.impact.services import impact_assessment_create
from openaims.inventory.services import system_update
from tests.impact.conftest import approved, make_system

A = "/api/v1/orgs/acme/impact-assessments"


def test_it_runs_the_workflow_end_to_end(cast, api_for):
    system = make_system(cast)
    carl = api_for(cast.users["contributor"], cast.org)
    mona = api_for(cast.users["manager"], cast.org)
    created = carl.post(A, json={"system_id": system.pk})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["sections"]["purpose"] == "Suggests a triage category"
    assert carl.patch(f"{A}/{pk}", json={"sections": {"scope": "Pilot"}}).status_code == 200
    harm = carl.post(f"{A}/{pk}/impacts", json={"description": "Under-triage", "severity": 4, "likelihood": 2})
    assert harm.status_code == 201 and harm.json()["level"] == "high" and harm.json()["risk_id"]
    assert carl.post(f"{A}/{pk}/submit").json()["status"] == "in_review"
    refused = carl.post(f"{A}/{pk}/approve", json={"decision": "Proceed"})
    assert refused.status_code == 403
    assert mona.post(f"{A}/{pk}/return", json={"reason": "Add misuse"}).json()["status"] == "returned"
    assert carl.post(f"{A}/{pk}/submit").status_code == 200
    done = mona.post(f"{A}/{pk}/approve", json={"decision": "Proceed"})
    assert done.status_code == 200 and done.json()["status"] == "approved"
    frozen = carl.patch(f"{A}/{pk}", json={"sections": {"scope": "x"}})
    assert frozen.status_code == 409 and frozen.json()["error"]["code"] == "conflict"
    new = carl.post(f"{A}/{pk}/new-version", json={})
    assert new.status_code == 201 and new.json()["version"] == 2 and len(new.json()["impacts"]) == 1


def test_the_assessor_is_refused_approval_with_a_clear_message(cast, api_for):
    system = make_system(cast)
    mona = api_for(cast.users["manager"], cast.org)
    pk = mona.post(A, json={"system_id": system.pk}).json()["id"]
    mona.patch(f"{A}/{pk}", json={"sections": {"scope": "Pilot"}})
    mona.post(f"{A}/{pk}/impacts", json={"description": "x", "severity": 1, "likelihood": 1})
    mona.post(f"{A}/{pk}/submit")
    response = mona.post(f"{A}/{pk}/approve", json={"decision": "Proceed"})
    assert response.status_code == 403
    assert "separation of duties" in response.json()["error"]["message"]


def test_the_list_reports_review_needed(cast, api_for):
    assessment = approved(cast)
    system_update(actor=cast.tenant("owner"), system=assessment.system, intended_use="Also for ambulances")
    body = api_for(cast.users["viewer"], cast.org).get(A + "?review_needed=true").json()
    assert [item["id"] for item in body["items"]] == [assessment.pk]
    assert body["items"][0]["review_needed"] is True
    detail = api_for(cast.users["viewer"], cast.org).get(f"{A}/{assessment.pk}").json()
    assert detail["changed_since_approval"] == ["intended_use"]


def test_it_refuses_bad_input_with_the_error_shape(cast, api_for):
    system = make_system(cast)
    carl = api_for(cast.users["contributor"], cast.org)
    pk = carl.post(A, json={"system_id": system.pk}).json()["id"]
    bad = carl.post(f"{A}/{pk}/impacts", json={"description": "x", "severity": 7, "likelihood": 1})
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    unknown = carl.patch(f"{A}/{pk}", json={"sections": {"nope": "x"}})
    assert unknown.status_code == 400


def test_other_organizations_are_invisible(cast, api_for):
    theirs = make_system(cast, org=cast.other_org)
    assessment = impact_assessment_create(actor=cast.tenant("outsider"), system=theirs)
    alice = api_for(cast.users["owner"], cast.org)
    assert alice.get(f"{A}/{assessment.pk}").status_code == 404
    assert alice.post(A, json={"system_id": theirs.pk}).status_code == 404
    assert alice.get(A).json()["count"] == 0
