"""The classification over the API: questions from the catalog, classify, current result with obligations, history."""

from __future__ import annotations

import pytest

from openaims.inventory.models import Classification
from openaims.inventory.services import system_update
from tests.inventory.conftest import make_system
from tests.inventory.matrix_classification import load_eu_ai_act

EU = "urn:openaims:eu-ai-act:"
BASE = "/api/v1/orgs/acme"


@pytest.fixture
def owner_api(cast, api_for):
    return api_for(cast.users["owner"], cast.org)


@pytest.fixture
def system(cast):
    load_eu_ai_act()
    return make_system(cast, role="deployer")


def classify(api, system, **answers):
    return api.post(f"{BASE}/systems/{system.pk}/classification", json=answers)


def test_a_pipeline_builds_answers_from_the_questions(cast, owner_api, system):
    response = owner_api.get(f"{BASE}/eu-ai-act/questions")
    assert response.status_code == 200
    flow = response.json()
    assert len(flow["catalog_version"]) == 64 and [s["number"] for s in flow["steps"]] == [1, 2, 3, 4, 5, 6]
    questions = {q["key"]: q for q in flow["questions"]}
    annex_iii = questions["annex_iii_points"]
    credit = next(o for g in annex_iii["groups"] for o in g["options"] if o["ref_id"] == "Annex III, point 5(b)")
    assert credit["urn"] == EU + "annex-iii.5.b"
    assert questions["gpai_model"]["kind"] == "bool" and questions["transparency_cases"]["kind"] == "multi"
    assert classify(owner_api, system, annex_iii_points=[credit["urn"]]).status_code == 201


def test_it_classifies_and_answers_with_the_obligations_grouped_by_article(cast, owner_api, system):
    response = classify(owner_api, system, annex_iii_points=["annex-iii.5.b"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["result"] == "high_risk" and body["result_label"] == "High-risk" and body["current"] is True
    assert body["answers"]["annex_iii_points"] == [EU + "annex-iii.5.b"]
    assert body["created_by"] == "alice"
    assert {"step": "Annex III use case", "urn": EU + "annex-iii.5.b"}.items() <= body["reasoning"][3].items()
    fria = next(o for o in body["obligation_details"] if o["urn"] == EU + "art-27.1")
    assert fria["article"] == "Art. 27" and fria["condition"].startswith("Deployers that are public-law bodies")
    assert [o["urn"] for o in body["obligation_details"]] == body["obligations"]


def test_it_refuses_unknown_urns_naming_them(cast, owner_api, system):
    response = classify(owner_api, system, transparency_cases=[EU + "art-50.1", EU + "art-50.9"])
    assert response.status_code == 400
    error = response.json()["error"]
    assert "urn:openaims:eu-ai-act:art-50.9" in error["message"]
    assert error["details"] == [{"field": "transparency_cases", "message": error["message"]}]
    assert not Classification.objects.exists()


def test_it_refuses_unknown_keys_and_wrong_types(cast, owner_api, system):
    assert classify(owner_api, system, high_risk=True).status_code == 422
    assert classify(owner_api, system, gpai_model="perhaps").status_code == 422
    assert not Classification.objects.exists()


def test_the_current_classification_says_when_it_must_be_asked_again(cast, owner_api, system):
    empty = owner_api.get(f"{BASE}/systems/{system.pk}/classification").json()
    assert empty == {
        "system_id": system.pk,
        "ref": "AIS-1",
        "risk_class": "unclassified",
        "stale": False,
        "changes": [],
        "classification": None,
    }
    classify(owner_api, system, transparency_cases=["art-50.1"])
    system_update(actor=cast.tenant("owner"), system=system, role="provider")
    current = owner_api.get(f"{BASE}/systems/{system.pk}/classification").json()
    assert current["risk_class"] == "limited_risk" and current["stale"] is True
    assert current["changes"] == [{"field": "role", "label": "Role", "before": "Deployer", "after": "Provider"}]
    # As a deployer Art. 50(1) was the provider's; asked again as provider, it becomes ours.
    assert EU + "art-50.1" not in current["classification"]["obligations"]
    again = classify(owner_api, system, transparency_cases=["art-50.1"]).json()
    assert EU + "art-50.1" in again["obligations"]
    assert owner_api.get(f"{BASE}/systems/{system.pk}/classification").json()["stale"] is False


def test_the_history_lists_every_run_newest_first(cast, owner_api, api_for, system):
    first = classify(owner_api, system).json()
    second = classify(owner_api, system, prohibited_practices=["art-5.1.c"]).json()
    viewer = api_for(cast.users["viewer"], cast.org)
    page = viewer.get(f"{BASE}/systems/{system.pk}/classifications").json()
    assert page["count"] == 2
    assert [(r["id"], r["result"], r["current"]) for r in page["items"]] == [
        (second["id"], "prohibited", True),
        (first["id"], "minimal", False),
    ]


def test_it_reports_an_unloaded_catalog(cast, owner_api, db):
    system = make_system(cast)
    response = owner_api.get(f"{BASE}/eu-ai-act/questions")
    assert response.status_code == 400 and response.json()["error"]["code"] == "catalog_not_loaded"
    assert classify(owner_api, system).status_code == 400


def test_another_organizations_system_is_not_found(cast, owner_api, system):
    globex = make_system(cast, org=cast.other_org)
    assert classify(owner_api, globex).status_code == 404
    assert owner_api.get(f"{BASE}/systems/{globex.pk}/classifications").status_code == 404
    assert not Classification.objects.exists()
