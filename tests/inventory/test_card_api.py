"""System cards over the API: the draft, publishing (201, 409 when unchanged), versions, tenancy."""

from __future__ import annotations

from openaims.inventory.card import card_publish, content_hash
from openaims.inventory.services import system_update
from tests.inventory.conftest import make_system
from tests.inventory.test_card import documented_system


def base(system) -> str:
    return f"/api/v1/orgs/{system.organization.slug}/systems/{system.pk}/card"


def test_it_returns_the_draft_with_content_markdown_and_gaps(cast, api_for):
    system = make_system(cast)

    body = api_for(cast.users["viewer"], cast.org).get(base(system)).json()

    assert body["system_id"] == system.pk and body["ref"] == "AIS-1"
    assert body["system_version"] == system.version
    assert body["content"]["format"] == "openaims-system-card/1"
    assert body["content_hash"] == content_hash(body["content"])
    assert body["markdown"].startswith("# System card: AIS-1 Credit scoring")
    assert {"section": "models", "item": None, "field": None, "text": "Models: no model recorded"} in body["gaps"]


def test_it_publishes_versions_and_refuses_an_unchanged_card(cast, api_for):
    system = documented_system(cast)
    api = api_for(cast.users["manager"], cast.org)

    created = api.post(f"{base(system)}/versions", json={"note": "Gate"})
    again = api.post(f"{base(system)}/versions", json={})

    assert created.status_code == 201
    version = created.json()
    assert version["number"] == 1 and version["current"] is True and version["published_by"] == "mona"
    assert version["note"] == "Gate" and version["gaps"] == []
    assert version["markdown"].startswith("# System card: AIS-1 Credit scoring")
    assert again.status_code == 409
    assert again.json()["error"]["message"].startswith("nothing changed since v1")


def test_it_lists_versions_and_says_which_are_outdated(cast, api_for):
    system = documented_system(cast, classified=False)
    card_publish(actor=cast.tenant("owner"), system=system)
    system = system_update(actor=cast.tenant("owner"), system=system, geography="EU, UK")
    card_publish(actor=cast.tenant("owner"), system=system)
    system_update(actor=cast.tenant("owner"), system=system, geography="EU")
    api = api_for(cast.users["auditor"], cast.org)

    page = api.get(f"{base(system)}/versions").json()
    one = api.get(f"{base(system)}/versions/1").json()

    assert [(v["number"], v["current"]) for v in page["items"]] == [(2, False), (1, False)]
    assert page["count"] == 2
    assert one["number"] == 1 and one["content"]["system"]["name"] == "Credit scoring"
    assert api.get(f"{base(system)}/versions/9").status_code == 404


def test_a_contributor_cannot_publish(cast, api_for):
    system = documented_system(cast, classified=False)

    response = api_for(cast.users["contributor"], cast.org).post(f"{base(system)}/versions", json={})

    assert response.status_code == 403


def test_it_returns_404_for_a_system_of_another_organization(cast, api_for):
    theirs = make_system(cast, org=cast.other_org)
    api = api_for(cast.users["owner"], cast.org)
    path = f"/api/v1/orgs/acme/systems/{theirs.pk}/card"

    assert api.get(path).status_code == 404
    assert api.get(f"{path}/versions").status_code == 404
    assert api.post(f"{path}/versions", json={}).status_code == 404
