"""The risk API: the same register, rules and criteria as the pages, in JSON with the one error shape."""

from __future__ import annotations

from openaims.risk.criteria import default_criteria
from openaims.risk.models import Risk, RiskCriteria
from tests.risk.conftest import C25, C34, assess, make_risk, make_system

BASE = "/api/v1/orgs/acme"


def test_it_creates_a_risk_with_systems_sources_and_objectives(cast, api_for, iso):
    make_system(cast)
    api = api_for(cast.users["contributor"], cast.org)
    response = api.post(
        f"{BASE}/risks",
        json={"title": "Drift", "systems": [1], "sources": [C34], "objectives": [C25], "owner": "mona"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ref"] == "R-1" and body["owner"] == "mona" and body["organization_wide"] is False
    assert body["systems"][0]["ref"] == "AIS-1"
    assert body["sources"][0]["ref_id"] == "C.3.4" and body["objectives"][0]["ref_id"] == "C.2.5"
    assert body["inherent"] is None and body["status"] == "identified"


def test_it_refuses_unknown_systems_and_nodes_with_the_error_shape(cast, api_for):
    api = api_for(cast.users["contributor"], cast.org)
    response = api.post(f"{BASE}/risks", json={"title": "Drift", "systems": [7]})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": "systems", "message": "no AI system AIS-7 in this organization"}
    ]
    response = api.post(f"{BASE}/risks", json={"title": "Drift", "sources": ["urn:openaims:nope:x"]})
    assert response.status_code == 400 and not Risk.objects.exists()


def test_it_assesses_accepts_and_reports_history(cast, api_for):
    risk = make_risk(cast, owner=cast.users["manager"])
    writer = api_for(cast.users["contributor"], cast.org)
    response = writer.post(
        f"{BASE}/risks/{risk.pk}/assessments",
        json={
            "inherent_likelihood": 5,
            "inherent_consequence": 5,
            "treatment_option": "modify",
            "residual_likelihood": 4,
            "residual_consequence": 4,
            "review_date": "2030-06-30",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # One consequence (the payload before dimensions existed) holds for every dimension.
    assert body["inherent"] == {
        "likelihood": 5,
        "consequence": 5,
        "consequences": {"organization": 5, "individuals": 5, "societies": 5},
        "level": "critical",
    }
    assert body["residual"]["level"] == "high" and body["criteria_version"] == 1
    assert body["review_date"] == "2030-06-30" and len(body["assessments"]) == 1

    refused = api_for(cast.users["owner"], cast.org).post(f"{BASE}/risks/{risk.pk}/acceptance", json={})
    assert refused.status_code == 403 and "risk owner" in refused.json()["error"]["message"]
    accepted = api_for(cast.users["manager"], cast.org).post(f"{BASE}/risks/{risk.pk}/acceptance", json={"note": "ok"})
    assert accepted.status_code == 201
    acceptance = accepted.json()["acceptances"][0]
    assert acceptance["current"] and acceptance["criteria_version"] == 1 and acceptance["within_appetite"] is False
    assert accepted.json()["status"] == "accepted"


def test_a_token_with_a_narrower_role_accepts_only_within_that_role(cast, api_for):
    risk = make_risk(cast, owner=cast.users["manager"])
    assess(cast, risk, 5, 5, "modify", 4, 4)
    narrow = api_for(cast.users["manager"], cast.org, role="contributor")
    response = narrow.post(f"{BASE}/risks/{risk.pk}/acceptance", json={})
    assert response.status_code == 403 and "you act as contributor" in response.json()["error"]["message"]


def test_it_lists_with_the_register_filters(cast, api_for):
    system = make_system(cast)
    assess(cast, make_risk(cast, "Mine", systems=[system]), 4, 4, "modify", 1, 1)
    assess(cast, make_risk(cast, "Other"), 4, 4)
    api = api_for(cast.users["viewer"], cast.org)
    titles = lambda q: [r["title"] for r in api.get(f"{BASE}/risks?{q}").json()["items"]]  # noqa: E731
    assert titles("system=AIS-1") == ["Mine"]
    assert titles("residual=low") == ["Mine"]
    assert titles("il=4&ic=4&sort=title") == ["Mine", "Other"]
    assert titles("treatment=none") == ["Other"]


def test_it_patches_the_entry(cast, api_for):
    risk = make_risk(cast, systems=[make_system(cast)])
    api = api_for(cast.users["contributor"], cast.org)
    response = api.patch(f"{BASE}/risks/{risk.pk}", json={"systems": [], "owner": "carl", "review_date": None})
    assert response.status_code == 200
    assert response.json()["organization_wide"] is True and response.json()["owner"] == "carl"


def test_it_manages_treatment_actions(cast, api_for):
    risk = make_risk(cast)
    api = api_for(cast.users["contributor"], cast.org)
    created = api.post(f"{BASE}/risks/{risk.pk}/actions", json={"title": "Retrain", "owner": "carl"})
    assert created.status_code == 201
    action_id = created.json()["id"]
    done = api.patch(f"{BASE}/risks/{risk.pk}/actions/{action_id}", json={"status": "done"})
    assert done.json()["status"] == "done" and done.json()["completed_at"]
    assert [a["title"] for a in api.get(f"{BASE}/risks/{risk.pk}/actions").json()] == ["Retrain"]
    assert api.delete(f"{BASE}/risks/{risk.pk}/actions/{action_id}").status_code == 204
    other = make_risk(cast, "Other")
    assert api.get(f"{BASE}/risks/{other.pk}/actions").json() == []


def test_the_heat_map_counts_cells(cast, api_for):
    assess(cast, make_risk(cast), 2, 3, "modify", 1, 1)
    body = api_for(cast.users["viewer"], cast.org).get(f"{BASE}/risks/heatmap").json()
    assert body["criteria_version"] == 1 and len(body["likelihood"]) == 5
    cell = next(c for c in body["inherent"]["cells"] if (c["likelihood"], c["consequence"]) == (2, 3))
    assert cell == {"likelihood": 2, "consequence": 3, "level": "medium", "count": 1}
    assert body["residual"]["total"] == 1


def test_criteria_default_draft_publish_and_versions(cast, api_for):
    manager = api_for(cast.users["manager"], cast.org)
    current = manager.get(f"{BASE}/risk-criteria").json()
    assert current["status"] == "default" and current["number"] is None
    content = default_criteria().as_json()
    content["matrix"][2][2] = "high"
    saved = manager.request("PUT", f"{BASE}/risk-criteria/draft", json={"criteria": content, "note": "Stricter"})
    assert saved.status_code == 200 and saved.json()["status"] == "draft" and saved.json()["number"] == 2
    published = manager.post(f"{BASE}/risk-criteria/draft/publish")
    assert published.status_code == 201 and published.json()["in_force"]
    versions = manager.get(f"{BASE}/risk-criteria/versions").json()
    assert [(v["number"], v["in_force"]) for v in versions] == [(2, True), (1, False)]
    assert manager.get(f"{BASE}/risk-criteria/versions/1").json()["criteria"]["matrix"][2][2] == "medium"


def test_an_inconsistent_draft_is_a_4xx_with_the_error_shape(cast, api_for):
    content = default_criteria().as_json()
    content["matrix"][4][4] = "low"
    response = api_for(cast.users["manager"], cast.org).request(
        "PUT", f"{BASE}/risk-criteria/draft", json={"criteria": content}
    )
    assert response.status_code in (400, 422)
    assert "milder" in str(response.json()["error"])
    assert not RiskCriteria.objects.filter(published_at__isnull=True).exists()


def test_another_organizations_risk_is_404(cast, api_for):
    theirs = make_risk(cast, org=cast.other_org)
    api = api_for(cast.users["owner"], cast.org)
    assert api.get(f"{BASE}/risks/{theirs.pk}").status_code == 404
    assert (
        api.post(
            f"{BASE}/risks/{theirs.pk}/assessments", json={"inherent_likelihood": 1, "inherent_consequence": 1}
        ).status_code
        == 404
    )
    assert api.get("/api/v1/orgs/globex/risks").status_code == 404
