"""Life-cycle pages: the panel on the system page, refused and overridden moves, the history and the policy editor."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from openaims.inventory.lifecycle.items import GateResult, _items, register_item
from openaims.inventory.lifecycle.policy import gate_policy_update
from openaims.inventory.lifecycle.transitions import system_transition
from openaims.inventory.models import AISystem, GatePolicy, StageTransition
from openaims.inventory.services import part_create, system_update
from openaims.inventory.views.lifecycle import lifecycle_panel
from openaims.tenancy.selectors import tenant_of
from tests.inventory.conftest import add_model, make_system
from tests.inventory.test_gates import ready_for_design

BUILTIN = [
    "owners_assigned",
    "intended_use_documented",
    "classification_current",
    "not_prohibited",
    "models_registered",
    "datasets_documented",
    "suppliers_documented",
    "oversight_defined",
    "technical_documentation_present",
]


def url(name, cast, *args):
    return reverse(f"inventory:{name}", args=[cast.org.slug, *args])


def keys_in(html: str, testid: str) -> list[str]:
    block = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</ul>', html, re.S)
    assert block, f"no {testid} on the page"
    return re.findall(r'data-key="([a-z_]+)"', block.group(1))


def stage_of(system) -> str:
    return AISystem.objects.values_list("stage", flat=True).get(pk=system.pk)


# ----------------------------------------------------------------------------------------------- panel


def test_the_system_page_shows_the_stage_and_the_next_gate(cast, client_for, system):
    response = client_for(cast.users["viewer"]).get(url("system", cast, system.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'class="step step-current" aria-current="step">Inception<', html)
    assert "To enter Design &amp; development" in html
    assert keys_in(html, "gate-checklist") == ["owners_assigned", "intended_use_documented", "classification_current"]
    assert 'data-testid="lifecycle-form"' not in html, "a viewer cannot move the system"


def test_the_panel_offers_next_back_and_retirement(cast, client_for, system):
    system_transition(actor=cast.tenant("owner"), system=system, to_stage="design_development", override_reason="Pilot")
    html = client_for(cast.users["contributor"]).get(url("system", cast, system.pk)).content.decode()
    form = re.search(r'data-testid="lifecycle-form".*?</form>', html, re.S).group(0)
    assert re.findall(r'<option value="([a-z_]+)"', form) == ["verification_validation", "retirement", "inception"]


# ----------------------------------------------------------------------------------------- transitions


def test_a_refused_move_lists_the_missing_items_without_an_override_for_a_manager(cast, client_for, system):
    response = client_for(cast.users["manager"]).post(
        url("lifecycle_transition", cast, system.pk), {"to_stage": "design_development"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert keys_in(html, "gate-missing") == ["owners_assigned", "intended_use_documented", "classification_current"]
    assert "Not classified under the EU AI Act yet." in html
    assert 'data-testid="gate-override"' not in html
    assert "ask the organization's owner or the system's business owner to override" in html
    assert stage_of(system) == "inception" and not StageTransition.objects.exists()


def test_the_owner_is_offered_the_override_and_it_is_recorded(cast, client_for, system):
    client = client_for(cast.users["owner"])
    response = client.post(url("lifecycle_transition", cast, system.pk), {"to_stage": "design_development"})
    assert response.status_code == 400
    assert 'data-testid="gate-override"' in response.content.decode()

    response = client.post(
        url("lifecycle_transition", cast, system.pk),
        {"to_stage": "design_development", "override_reason": "Board approved the pilot"},
    )
    assert response.status_code == 302 and response["Location"] == url("system", cast, system.pk)
    transition = StageTransition.objects.get()
    assert transition.override_reason == "Board approved the pilot"
    assert [m["key"] for m in transition.missing] == [
        "owners_assigned",
        "intended_use_documented",
        "classification_current",
    ]
    assert AuditEvent.objects.filter(action="override_gate", object_id=str(system.pk)).count() == 1

    history = client.get(url("lifecycle_history", cast, system.pk)).content.decode()
    assert "Board approved the pilot" in history and "overridden" in history
    assert "Classification current" in history


def test_an_override_by_a_contributor_shows_who_may_override(cast, client_for, system):
    response = client_for(cast.users["contributor"]).post(
        url("lifecycle_transition", cast, system.pk),
        {"to_stage": "design_development", "override_reason": "Please"},
    )
    assert response.status_code == 400
    assert "only the organization&#x27;s owner or the system&#x27;s business owner" in response.content.decode()
    assert stage_of(system) == "inception"


def test_a_move_that_meets_the_gate_returns_to_the_page_it_came_from(cast, client_for):
    system = ready_for_design(cast)
    back = url("lifecycle_history", cast, system.pk)
    response = client_for(cast.users["contributor"]).post(
        url("lifecycle_transition", cast, system.pk), {"to_stage": "design_development", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    assert stage_of(system) == "design_development"


def test_it_does_not_redirect_to_another_site(cast, client_for, system):
    response = client_for(cast.users["owner"]).post(
        url("lifecycle_transition", cast, system.pk), {"to_stage": "retirement", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == url("system", cast, system.pk)


def test_a_skipped_stage_is_refused_on_the_page(cast, client_for, system):
    response = client_for(cast.users["owner"]).post(
        url("lifecycle_transition", cast, system.pk), {"to_stage": "deployment", "override_reason": "skip"}
    )
    assert response.status_code == 400
    assert "one stage at a time" in response.content.decode()
    assert stage_of(system) == "inception"


def test_htmx_gets_the_panel_back_on_refusal_and_a_redirect_on_success(cast, client_for, system):
    client = client_for(cast.users["owner"])
    response = client.post(
        url("lifecycle_transition", cast, system.pk),
        {"to_stage": "design_development", "next": url("system", cast, system.pk)},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section class="card lifecycle-panel" id="lifecycle-panel"')
    assert keys_in(html, "gate-missing") == ["owners_assigned", "intended_use_documented", "classification_current"]
    assert f'name="next" value="{url("system", cast, system.pk)}"' in html, "the override returns to the system page"

    response = client.post(
        url("lifecycle_transition", cast, system.pk),
        {"to_stage": "design_development", "override_reason": "Pilot", "next": url("system", cast, system.pk)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response["HX-Redirect"] == url("system", cast, system.pk)


def test_the_history_page_says_when_nothing_moved(cast, client_for, system):
    html = client_for(cast.users["auditor"]).get(url("lifecycle_history", cast, system.pk)).content.decode()
    assert "The system has not moved yet" in html


# ------------------------------------------------------------------------------------------ query pins

HISTORY_PAGE_QUERIES = 8


@pytest.mark.parametrize("moves", [1, 8])
def test_the_history_page_issues_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, moves):
    system = make_system(cast)
    for i in range(moves):
        stage = "retirement" if i % 2 == 0 else "inception"
        system_transition(actor=cast.tenant("owner"), system=system, to_stage=stage)
    client = client_for(cast.users["owner"])
    client.get(url("lifecycle_history", cast, system.pk))  # remembers the organization in the session
    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        response = client.get(url("lifecycle_history", cast, system.pk))
    assert response.content.decode().count("<tr") == moves + 1


PANEL_QUERIES = 5  # the policy, then models, datasets, components and cards once each


@pytest.mark.parametrize("parts", [1, 6])
def test_the_panel_evaluates_the_gates_in_a_fixed_number_of_queries(cast, django_assert_num_queries, parts):
    owner = cast.users["owner"]
    gate_policy_update(actor=tenant_of(owner, cast.org), items={"design_development": BUILTIN, "retirement": BUILTIN})
    system = make_system(cast)
    for i in range(parts):
        add_model(cast, system, name=f"model {i}")
        part_create(actor=tenant_of(owner), system=system, kind="dataset", name=f"data {i}", source="CRM")
        part_create(actor=tenant_of(owner), system=system, kind="component", name=f"api {i}")
    tenant = cast.tenant("owner")
    system = AISystem.objects.get(pk=system.pk)
    with django_assert_num_queries(PANEL_QUERIES):
        panel = lifecycle_panel(tenant, system)
    assert [i.key for i in panel["gate"].items] == BUILTIN
    assert {m["key"] for m in panel["gate"].missing} >= {"datasets_documented", "suppliers_documented"}
    assert panel["retirement_gate"].stage == "retirement"


def test_the_panel_knows_who_may_override(cast, system):
    assert lifecycle_panel(cast.tenant("owner"), system)["can_override"]
    assert not lifecycle_panel(cast.tenant("manager"), system)["can_override"]
    system = system_update(actor=cast.tenant("owner"), system=system, business_owner=cast.users["contributor"])
    panel = lifecycle_panel(cast.tenant("contributor"), system)
    assert panel["can_override"] and panel["can_transition"]
    assert not lifecycle_panel(cast.tenant("viewer"), system)["can_transition"]


# ------------------------------------------------------------------------------------------ policy page


def checked(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for stage, key in re.findall(r'name="gate-([a-z_]+)" value="([a-z_]+)"[^>]* checked', html):
        found.setdefault(stage, []).append(key)
    return found


def test_the_policy_page_shows_the_matrix_of_stages_and_items(cast, client_for):
    response = client_for(cast.users["viewer"]).get(url("lifecycle_policy", cast))
    html = response.content.decode()
    assert response.status_code == 200
    assert checked(html)["design_development"] == [
        "owners_assigned",
        "intended_use_documented",
        "classification_current",
    ]
    assert "A system card is published for the register entry" in html, "items carry their descriptions"
    assert " disabled" in html and "Save gates" not in html, "a viewer reads the policy"


def test_a_manager_changes_the_policy_on_the_page(cast, client_for, system):
    client = client_for(cast.users["manager"])
    response = client.post(
        url("lifecycle_policy", cast),
        {
            "gate-design_development": ["owners_assigned"],
            "gate-deployment": ["oversight_defined", "not_prohibited"],
            "revision": 0,
        },
    )
    assert response.status_code == 302
    policy = GatePolicy.objects.get(organization=cast.org).items
    assert policy["design_development"] == ["owners_assigned"]
    assert policy["deployment"] == ["not_prohibited", "oversight_defined"]
    assert policy["operation_monitoring"] == []
    assert checked(client.get(url("lifecycle_policy", cast)).content.decode())["deployment"] == [
        "not_prohibited",
        "oversight_defined",
    ]


def test_an_unknown_item_on_the_policy_page_writes_nothing(cast, client_for):
    response = client_for(cast.users["owner"]).post(
        url("lifecycle_policy", cast), {"gate-deployment": ["owners_assigned", "made_up_item"], "revision": 0}
    )
    assert response.status_code == 400
    assert "unknown gate item(s) made_up_item" in response.content.decode()
    assert not GatePolicy.objects.exists()


def test_the_policy_page_shows_an_item_no_capability_provides(cast, client_for):
    register_item("monitoring_plan_defined", "Monitoring plan defined", lambda s: GateResult(False))
    try:
        gate_policy_update(actor=cast.tenant("owner"), items={"deployment": ["monitoring_plan_defined"]})
    finally:
        _items.pop("monitoring_plan_defined")
    html = client_for(cast.users["owner"]).get(url("lifecycle_policy", cast)).content.decode()
    row = re.search(r'<tr data-key="monitoring_plan_defined">.*?</tr>', html, re.S).group(0)
    assert "not available yet" in row and " checked" in row


def test_the_settings_menu_links_the_policy(cast, client_for):
    html = client_for(cast.users["viewer"]).get(reverse("web:dashboard", args=[cast.org.slug])).content.decode()
    assert f'href="{url("lifecycle_policy", cast)}"' in html and "Life-cycle gates" in html


def test_another_organizations_system_is_a_404(cast, client_for):
    theirs = make_system(cast, org=cast.other_org)
    client = client_for(cast.users["owner"])
    assert client.post(url("lifecycle_transition", cast, theirs.pk), {"to_stage": "retirement"}).status_code == 404
    assert client.get(url("lifecycle_history", cast, theirs.pk)).status_code == 404
    assert stage_of(theirs) == "inception"
