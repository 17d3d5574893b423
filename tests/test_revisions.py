"""Lost updates: a stale edit form or If-Match is refused with who changed what, and nothing is overwritten.

Each editable object type: a web edit opened at revision N, then saved after someone else's change, answers
409 with "Changed by <name> at <time>" and the changed fields, and leaves the other person's change in place;
its API answers carry an ETag, a stale If-Match is 412 (nothing changes), the current one is 200 with the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from openaims.audittrail.context import audit_context
from openaims.audittrail.revisions import claim_revision
from openaims.controls.services import control_create_custom, control_update
from openaims.impact.models import Impact
from openaims.impact.services import impact_assessment_update, impact_update
from openaims.inventory.lifecycle.policy import gate_policy_for, gate_policy_update
from openaims.inventory.services import part_create, part_update, supplier_create, supplier_update, system_update
from openaims.lib.concurrency import StaleEdit, if_match
from openaims.lib.errors import ServiceError
from openaims.risk.services import risk_update, treatment_action_create, treatment_action_update
from openaims.tenancy.models import Membership
from openaims.tenancy.services import membership_change_role, organization_update
from tests.impact.conftest import make_assessment
from tests.inventory.conftest import make_system
from tests.revisions import revision_of
from tests.risk.conftest import make_risk

API = "/api/v1/orgs/acme"


def _reload(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- Web -------------------------------------------------------------------------------------------------


@dataclass
class WebCase:
    build: Callable[[Any], Any]  # cast -> the object
    url: Callable[[Any], str]  # obj -> its edit URL
    mine: Callable[[Any, int], dict]  # (obj, revision) -> what the stale editor posts
    theirs: Callable[[Any, Any], None]  # (cast, obj) -> someone else's change, through the service
    value: Callable[[Any], Any]  # obj (reloaded) -> the field both changed
    label: str  # how the changed field reads in the refusal


def _system_form(system, revision, **changes):
    data = {
        "name": system.name,
        "purpose": system.purpose,
        "intended_use": system.intended_use,
        "role": system.role,
        "technique": system.technique,
        "criticality": system.criticality,
        "revision": revision,
    }
    return {**data, **changes}


def _model(cast):
    return part_create(actor=cast.tenant("owner"), system=make_system(cast), kind="model", name="scorer", version="1")


def _their_scope(cast, assessment):
    impact_assessment_update(actor=cast.tenant("manager"), assessment=assessment, sections={"scope": "Theirs"})


def _impact(cast):
    return Impact.objects.filter(assessment=make_assessment(cast)).get()


WEB_CASES = {
    "system": WebCase(
        build=make_system,
        url=lambda s: reverse("inventory:system_edit", args=["acme", s.pk]),
        mine=lambda s, r: _system_form(s, r, name="Mine"),
        theirs=lambda c, s: system_update(actor=c.tenant("manager"), system=s, name="Theirs"),
        value=lambda s: s.name,
        label="Name",
    ),
    "model": WebCase(
        build=_model,
        url=lambda p: reverse("inventory:part_edit", args=["acme", p.system_id, "model", p.pk]),
        mine=lambda p, r: {"name": "Mine", "version": "1", "revision": r},
        theirs=lambda c, p: part_update(actor=c.tenant("manager"), part=p, name="Theirs"),
        value=lambda p: p.name,
        label="Name",
    ),
    "supplier": WebCase(
        build=lambda c: supplier_create(actor=c.tenant("owner"), name="Hosted LLM Inc."),
        url=lambda s: reverse("inventory:supplier_edit", args=["acme", s.pk]),
        mine=lambda s, r: {"name": "Mine", "revision": r},
        theirs=lambda c, s: supplier_update(actor=c.tenant("manager"), supplier=s, name="Theirs"),
        value=lambda s: s.name,
        label="Name",
    ),
    "risk": WebCase(
        build=make_risk,
        url=lambda r: reverse("risk:edit", args=["acme", r.pk]),
        mine=lambda risk, r: {"title": "Mine", "revision": r},
        theirs=lambda c, r: risk_update(actor=c.tenant("manager"), risk=r, title="Theirs"),
        value=lambda r: r.title,
        label="Title",
    ),
    "control": WebCase(
        build=lambda c: control_create_custom(actor=c.tenant("owner"), ref_id="ORG-1", title="Cards"),
        url=lambda ctl: reverse("controls:control", args=["acme", ctl.pk]),
        mine=lambda ctl, r: {"title": "Mine", "status": "planned", "applicability": "included", "revision": r},
        theirs=lambda c, ctl: control_update(actor=c.tenant("manager"), control=ctl, title="Theirs"),
        value=lambda ctl: ctl.title,
        label="Title",
    ),
    "impact assessment": WebCase(
        build=make_assessment,
        url=lambda a: reverse("impact:sections", args=["acme", a.pk]),
        mine=lambda a, r: {"s__scope": "Mine", "revision": r},
        theirs=lambda c, a: impact_assessment_update(
            actor=c.tenant("manager"), assessment=a, sections={"scope": "Theirs"}
        ),
        value=lambda a: a.sections["scope"],
        label="Scope and trigger",
    ),
    "impact": WebCase(
        build=_impact,
        url=lambda i: reverse("impact:impact_edit", args=["acme", i.assessment_id, i.pk]),
        mine=lambda i, r: {
            f"i{i.pk}-{key}": value
            for key, value in {
                "kind": "harm",
                "description": "Mine",
                "severity": "2",
                "likelihood": "1",
                "reversibility": "1",
                "scale": "1",
                "revision": r,
            }.items()
        },
        theirs=lambda c, i: impact_update(actor=c.tenant("manager"), impact=i, description="Theirs"),
        value=lambda i: i.description,
        label="Description",
    ),
}


@pytest.mark.parametrize("kind", list(WEB_CASES))
def test_a_stale_web_edit_is_refused_with_who_changed_what(kind, cast, client_for):
    case = WEB_CASES[kind]
    with audit_context(via="test"):
        obj = case.build(cast)
    client = client_for(cast.users["owner"])
    opened = revision_of(obj)
    page = client.get(
        reverse("impact:assessment", args=["acme", obj.pk]) if kind == "impact assessment" else case.url(obj)
    )
    if kind not in ("impact", "impact assessment"):
        assert page.status_code == 200 and f'name="revision" value="{opened}"' in page.content.decode()
    with audit_context(via="test"):
        case.theirs(cast, _reload(obj))
    response = client.post(case.url(obj), case.mine(obj, opened))
    content = response.content.decode()
    assert response.status_code == 409, content[:2000]
    assert "Changed by mona at " in content and "since you opened it" in content
    assert f"{case.label}: " in content and "Theirs" in content
    assert case.value(_reload(obj)) == "Theirs", "nothing was overwritten"
    assert revision_of(obj) == opened + 1

    # Saved again at the current revision, the edit goes through.
    response = client.post(case.url(obj), case.mine(obj, revision_of(obj)))
    assert response.status_code == 302
    assert case.value(_reload(obj)) == "Mine"


def test_a_stale_form_keeps_the_persons_input_and_moves_to_the_current_revision(cast, client_for):
    with audit_context(via="test"):
        system = make_system(cast)
        system_update(actor=cast.tenant("manager"), system=system, purpose="Theirs")
    response = client_for(cast.users["owner"]).post(
        reverse("inventory:system_edit", args=["acme", system.pk]), _system_form(system, 1, name="Mine")
    )
    content = response.content.decode()
    assert response.status_code == 409
    assert 'value="Mine"' in content, "the person's input is kept"
    assert 'name="revision" value="2"' in content, "saving again is a deliberate overwrite"
    assert "Purpose: Scores consumer credit applications → Theirs" in content


def test_an_edit_form_without_its_revision_asks_to_reload(cast, client_for):
    with audit_context(via="test"):
        system = make_system(cast)
    data = _system_form(system, 1, name="Mine")
    del data["revision"]
    response = client_for(cast.users["owner"]).post(reverse("inventory:system_edit", args=["acme", system.pk]), data)
    assert response.status_code == 400
    assert "This page is out of date: reload it" in response.content.decode()
    assert _reload(system).name == "Credit scoring"


def test_a_stale_treatment_action_edit_is_refused_on_the_plan(cast, client_for):
    with audit_context(via="test"):
        risk = make_risk(cast)
        action = treatment_action_create(actor=cast.tenant("owner"), risk=risk, title="Retrain")
        treatment_action_update(actor=cast.tenant("manager"), action=action, title="Theirs")
    prefix = f"a{action.pk}"
    response = client_for(cast.users["owner"]).post(
        reverse("risk:action", args=["acme", risk.pk, action.pk]),
        {f"{prefix}-title": "Mine", f"{prefix}-status": "planned", f"{prefix}-revision": 1},
        follow=True,
    )
    content = response.content.decode()
    assert "Changed by mona at " in content and "Theirs" in content
    assert _reload(action).title == "Theirs"


# --- API -------------------------------------------------------------------------------------------------


@dataclass
class ApiCase:
    build: Callable[[Any], Any]
    get: Callable[[Any], str]  # obj -> the URL answering with its revision
    write: Callable[[Any], str]  # obj -> the URL of its PATCH (or PUT)
    body: dict
    theirs: Callable[[Any, Any], None]
    value: Callable[[Any], Any]
    method: str = "PATCH"
    revision: Callable[[dict], int] = lambda answer: answer["revision"]


def _action(cast):
    return treatment_action_create(actor=cast.tenant("owner"), risk=make_risk(cast), title="Retrain")


def _member(cast):
    return Membership.objects.get(organization=cast.org, user=cast.users["contributor"])


API_CASES = {
    "system": ApiCase(
        build=make_system,
        get=lambda s: f"{API}/systems/{s.pk}",
        write=lambda s: f"{API}/systems/{s.pk}",
        body={"name": "Mine"},
        theirs=lambda c, s: system_update(actor=c.tenant("manager"), system=s, name="Theirs"),
        value=lambda s: s.name,
    ),
    "model": ApiCase(
        build=_model,
        get=lambda p: f"{API}/systems/{p.system_id}/models/{p.pk}",
        write=lambda p: f"{API}/systems/{p.system_id}/models/{p.pk}",
        body={"name": "Mine"},
        theirs=lambda c, p: part_update(actor=c.tenant("manager"), part=p, name="Theirs"),
        value=lambda p: p.name,
    ),
    "supplier": ApiCase(
        build=lambda c: supplier_create(actor=c.tenant("owner"), name="Hosted LLM Inc."),
        get=lambda s: f"{API}/suppliers/{s.pk}",
        write=lambda s: f"{API}/suppliers/{s.pk}",
        body={"name": "Mine"},
        theirs=lambda c, s: supplier_update(actor=c.tenant("manager"), supplier=s, name="Theirs"),
        value=lambda s: s.name,
    ),
    "risk": ApiCase(
        build=make_risk,
        get=lambda r: f"{API}/risks/{r.pk}",
        write=lambda r: f"{API}/risks/{r.pk}",
        body={"title": "Mine"},
        theirs=lambda c, r: risk_update(actor=c.tenant("manager"), risk=r, title="Theirs"),
        value=lambda r: r.title,
    ),
    "treatment action": ApiCase(
        build=_action,
        get=lambda a: f"{API}/risks/{a.risk_id}",
        write=lambda a: f"{API}/risks/{a.risk_id}/actions/{a.pk}",
        body={"title": "Mine"},
        theirs=lambda c, a: treatment_action_update(actor=c.tenant("manager"), action=a, title="Theirs"),
        value=lambda a: a.title,
        revision=lambda answer: answer["actions"][0]["revision"],
    ),
    "control": ApiCase(
        build=lambda c: control_create_custom(actor=c.tenant("owner"), ref_id="ORG-1", title="Cards"),
        get=lambda ctl: f"{API}/controls/{ctl.pk}",
        write=lambda ctl: f"{API}/controls/{ctl.pk}",
        body={"title": "Mine"},
        theirs=lambda c, ctl: control_update(actor=c.tenant("manager"), control=ctl, title="Theirs"),
        value=lambda ctl: ctl.title,
    ),
    "impact assessment": ApiCase(
        build=make_assessment,
        get=lambda a: f"{API}/impact-assessments/{a.pk}",
        write=lambda a: f"{API}/impact-assessments/{a.pk}",
        body={"sections": {"scope": "Mine"}},
        theirs=lambda c, a: impact_assessment_update(
            actor=c.tenant("manager"), assessment=a, sections={"scope": "Theirs"}
        ),
        value=lambda a: a.sections["scope"],
    ),
    "impact": ApiCase(
        build=_impact,
        get=lambda i: f"{API}/impact-assessments/{i.assessment_id}",
        write=lambda i: f"{API}/impact-assessments/{i.assessment_id}/impacts/{i.pk}",
        body={"description": "Mine"},
        theirs=lambda c, i: impact_update(actor=c.tenant("manager"), impact=i, description="Theirs"),
        value=lambda i: i.description,
        revision=lambda answer: answer["impacts"][0]["revision"],
    ),
    "organization": ApiCase(
        build=lambda c: c.org,
        get=lambda o: API,
        write=lambda o: API,
        body={"name": "Mine"},
        theirs=lambda c, o: organization_update(actor=c.tenant("owner"), name="Theirs", description=""),
        value=lambda o: o.name,
    ),
    "member": ApiCase(
        build=_member,
        get=lambda m: f"{API}/members/{m.pk}",
        write=lambda m: f"{API}/members/{m.pk}",
        body={"role": "viewer"},
        theirs=lambda c, m: membership_change_role(actor=c.tenant("owner"), membership=m, role="auditor"),
        value=lambda m: m.role,
    ),
}
THEIRS = {"member": "auditor"}
MINE = {"member": "viewer", "impact assessment": "Mine"}


@pytest.mark.parametrize("kind", list(API_CASES))
def test_the_api_sends_an_etag_and_refuses_a_stale_if_match(kind, cast, api_for):
    case = API_CASES[kind]
    with audit_context(via="test"):
        obj = case.build(cast)
    api = api_for(cast.users["owner"], cast.org)
    read = api.get(case.get(obj))
    assert read.status_code == 200
    opened = case.revision(read.json())
    if case.get(obj) == case.write(obj):
        assert read["ETag"] == f'"{opened}"'
    with audit_context(via="test"):
        case.theirs(cast, _reload(obj))

    stale = api.request(case.method, case.write(obj), json=case.body, HTTP_IF_MATCH=f'"{opened}"')
    assert stale.status_code == 412, stale.content
    error = stale.json()["error"]
    assert error["code"] == "precondition_failed"
    assert "Changed by" in error["message"] and "since you opened it" in error["message"]
    assert stale["ETag"] == f'"{opened + 1}"'
    assert case.value(_reload(obj)) == THEIRS.get(kind, "Theirs"), "nothing was overwritten"

    fresh = api.request(case.method, case.write(obj), json=case.body, HTTP_IF_MATCH=stale["ETag"])
    assert fresh.status_code == 200, fresh.content
    assert fresh["ETag"] == f'"{opened + 2}"' and case.value(_reload(obj)) == MINE.get(kind, "Mine")


def test_if_match_star_or_none_passes_and_a_malformed_one_is_400(cast, api_for):
    with audit_context(via="test"):
        system = make_system(cast)
    api = api_for(cast.users["owner"], cast.org)
    url = f"{API}/systems/{system.pk}"
    assert api.patch(url, json={"name": "One"}, HTTP_IF_MATCH="*").status_code == 200
    assert api.patch(url, json={"name": "Two"}).status_code == 200
    for header in ("3", 'W/"3"', '"3", "4"', '"x"'):
        answer = api.patch(url, json={"name": "Three"}, HTTP_IF_MATCH=header)
        assert answer.status_code == 400, header
        assert answer.json()["error"]["code"] == "bad_precondition"
    assert _reload(system).name == "Two"


def test_the_gate_policy_put_honours_if_match(cast, api_for):
    api = api_for(cast.users["owner"], cast.org)
    read = api.get(f"{API}/lifecycle/policy")
    assert read["ETag"] == '"0"', "the defaults: no saved policy yet"
    items = {stage["stage"]: stage["items"] for stage in read.json()["stages"]}
    with audit_context(via="test"):
        gate_policy_update(actor=cast.tenant("manager"), items={**items, next(iter(items)): []})
    stale = api.request("PUT", f"{API}/lifecycle/policy", json={"items": items}, HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412
    assert gate_policy_for(cast.org).revision == 1
    fresh = api.request("PUT", f"{API}/lifecycle/policy", json={"items": items}, HTTP_IF_MATCH='"1"')
    assert fresh.status_code == 200 and fresh["ETag"] == '"2"'


def test_the_openapi_document_lists_412_for_edits(cast, api_for):
    document = api_for(cast.users["owner"], cast.org).get("/api/v1/openapi.json").json()
    patch = document["paths"]["/api/v1/orgs/{org}/systems/{system_id}"]["patch"]
    assert "412" in patch["responses"]
    schema = document["components"]["schemas"]["SystemDetailOut"]
    assert "revision" in schema["properties"]


# --- The helpers -----------------------------------------------------------------------------------------


def test_if_match_parses_one_strong_tag():
    factory = RequestFactory()
    assert if_match(factory.get("/")) is None
    assert if_match(factory.get("/", HTTP_IF_MATCH="*")) is None
    assert if_match(factory.get("/", HTTP_IF_MATCH=' "12" ')) == 12
    with pytest.raises(ServiceError):
        if_match(factory.get("/", HTTP_IF_MATCH='W/"12"'))


def test_claim_revision_refuses_a_stale_one_inside_the_transaction(cast):
    from django.db import transaction

    with audit_context(via="test"):
        risk = make_risk(cast)
        risk_update(actor=cast.tenant("manager"), risk=risk, title="Theirs")
    with pytest.raises(StaleEdit) as refused, transaction.atomic():
        claim_revision(risk, 1)
    assert (refused.value.expected, refused.value.current, refused.value.changed_by) == (1, 2, "mona")
    assert refused.value.changes == [("Title", "Biased credit decisions", "Theirs")]
    assert revision_of(risk) == 2


# --- Pages that edit settings ----------------------------------------------------------------------------


def test_a_stale_settings_or_role_form_is_refused(cast, client_for):
    client = client_for(cast.users["owner"])
    opened = revision_of(cast.org)
    with audit_context(via="test"):
        organization_update(actor=cast.tenant("owner"), name="Theirs", description="")
    response = client.post(reverse("tenancy:settings", args=["acme"]), {"name": "Mine", "revision": opened})
    assert response.status_code == 409 and "Changed by alice at " in response.content.decode()
    assert _reload(cast.org).name == "Theirs"

    member = _member(cast)
    with audit_context(via="test"):
        membership_change_role(actor=cast.tenant("owner"), membership=member, role="auditor")
    response = client.post(reverse("tenancy:member", args=["acme", member.pk]), {"role": "viewer", "revision": 1})
    assert response.status_code == 409 and "Role: contributor → auditor" in response.content.decode()
    assert _reload(member).role == "auditor"


def test_a_stale_gate_policy_page_is_refused(cast, client_for):
    items = dict(gate_policy_for(cast.org))
    with audit_context(via="test"):
        gate_policy_update(actor=cast.tenant("manager"), items={**items, "deployment": []})
    data = {f"gate-{stage}": keys for stage, keys in items.items()} | {"revision": 0}
    response = client_for(cast.users["owner"]).post(reverse("inventory:lifecycle_policy", args=["acme"]), data)
    assert response.status_code == 409 and "Changed by mona at " in response.content.decode()
    assert gate_policy_for(cast.org)["deployment"] == []
