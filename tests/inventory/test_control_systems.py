"""The control ↔ AI system link: services, the control page, the system page's panel and the SoA rows."""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook

from openaims.audittrail.models import AuditEvent
from openaims.controls.models import Control, ControlSystem
from openaims.controls.selectors import soa_rows
from openaims.controls.services import (
    control_create_custom,
    control_link_system,
    control_unlink_system,
    control_update,
)
from openaims.inventory.views.part_selectors import controls_panel
from openaims.lib.errors import ServiceError
from tests.inventory.conftest import make_system


@contextmanager
def nothing_written():
    def snapshot():
        return {
            "links": sorted(ControlSystem.objects.values_list("control_id", "system_id")),
            "events": AuditEvent.objects.count(),
        }

    before = snapshot()
    yield
    assert snapshot() == before


def custom(cast, ref_id="ORG-1", title="Model cards", org=None):
    org = org or cast.org
    actor = cast.tenant("owner") if org == cast.org else cast.tenant("outsider")
    return control_create_custom(actor=actor, ref_id=ref_id, title=title)


def events(control, action):
    return list(AuditEvent.objects.filter(object_type="controls.control", object_id=str(control.pk), action=action))


def control_url(control, name="control", *extra):
    return reverse(f"controls:{name}", args=["acme", control.pk, *extra])


# --- Services ----------------------------------------------------------------------------------------


def test_it_links_a_control_to_a_system_once_and_records_it_on_the_control(cast, system):
    control = custom(cast)
    control_link_system(actor=cast.tenant("contributor"), control=control, system=system)
    control_link_system(actor=cast.tenant("contributor"), control=control, system=system)
    assert ControlSystem.objects.filter(control=control, system=system, organization=cast.org).count() == 1
    [event] = events(control, "link_system")
    assert event.changes_dict == {"system": [None, "AIS-1 Credit scoring"]}


def test_it_unlinks_and_records_it_only_when_there_was_a_link(cast, system):
    control = custom(cast)
    control_unlink_system(actor=cast.tenant("owner"), control=control, system=system)
    assert events(control, "unlink_system") == []
    control_link_system(actor=cast.tenant("owner"), control=control, system=system)
    control_unlink_system(actor=cast.tenant("owner"), control=control, system=system)
    assert not ControlSystem.objects.exists()
    [event] = events(control, "unlink_system")
    assert event.changes_dict == {"system": ["AIS-1 Credit scoring", None]}


def test_it_refuses_to_link_a_system_of_another_organization(cast, system):
    theirs = make_system(cast, org=cast.other_org)
    control = custom(cast)
    with nothing_written(), pytest.raises(ServiceError, match="another organization"):
        control_link_system(actor=cast.tenant("owner"), control=control, system=theirs)


# --- The control page --------------------------------------------------------------------------------


def test_the_control_page_lists_the_systems_and_offers_the_others_to_writers(cast, client_for, system):
    control = custom(cast)
    other = make_system(cast, name="Support chatbot", purpose="Answers customer questions")
    control_link_system(actor=cast.tenant("owner"), control=control, system=system)
    page = client_for(cast.users["contributor"]).get(control_url(control)).content.decode()
    assert "AI systems it applies to" in page
    section = page[page.index('data-testid="control-systems"') :]
    assert "AIS-1" in section and reverse("inventory:system", args=["acme", system.pk]) in page
    form = page[page.index('data-testid="system-link"') :]
    assert f'<option value="{other.pk}">' in form and f'<option value="{system.pk}">' not in form
    viewer = client_for(cast.users["viewer"]).get(control_url(control)).content.decode()
    assert "AIS-1" in viewer and 'data-testid="system-link"' not in viewer


def test_it_links_a_system_from_the_control_page(cast, client_for, system):
    control = custom(cast)
    response = client_for(cast.users["manager"]).post(control_url(control, "system_link"), {"system": system.pk})
    assert response.status_code == 302 and response["Location"] == control_url(control) + "#systems"
    assert ControlSystem.objects.filter(control=control, system=system).exists()
    assert len(events(control, "link_system")) == 1


def test_it_refuses_a_system_of_another_organization_on_the_control_page(cast, client_for):
    control = custom(cast)
    theirs = make_system(cast, org=cast.other_org)
    with nothing_written():
        response = client_for(cast.users["owner"]).post(control_url(control, "system_link"), {"system": theirs.pk})
    assert response.status_code == 400 and b"Select a valid choice" in response.content


def test_it_refuses_linking_another_organizations_control(cast, client_for, system):
    theirs = custom(cast, org=cast.other_org)
    with nothing_written():
        response = client_for(cast.users["owner"]).post(
            reverse("controls:system_link", args=["acme", theirs.pk]), {"system": system.pk}
        )
    assert response.status_code == 404


def test_it_goes_back_to_a_local_next_page_only(cast, client_for, system):
    control = custom(cast)
    client = client_for(cast.users["owner"])
    back = reverse("inventory:system", args=["acme", system.pk]) + "#controls"
    response = client.post(control_url(control, "system_link"), {"system": system.pk, "next": back})
    assert response["Location"] == back
    response = client.post(control_url(control, "system_unlink", system.pk), {"next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == control_url(control) + "#systems"
    assert not ControlSystem.objects.exists()


def test_it_answers_404_when_removing_a_link_that_does_not_exist(cast, client_for, system):
    control = custom(cast)
    with nothing_written():
        response = client_for(cast.users["owner"]).post(control_url(control, "system_unlink", system.pk))
    assert response.status_code == 404


# --- The system page's controls panel ---------------------------------------------------------------


def test_the_panel_lists_the_controls_that_apply_with_their_status(cast, system):
    applies = custom(cast, "ORG-1", "Model cards")
    custom(cast, "ORG-2", "Drift monitoring")
    control_update(actor=cast.tenant("owner"), control=applies, status="planned", applicability="included")
    control_link_system(actor=cast.tenant("owner"), control=applies, system=system)
    panel = controls_panel(cast.tenant("contributor"), system)
    assert [c.ref_id for c in panel["controls"]] == ["ORG-1"]
    assert [c.ref_id for c in panel["linkable"]] == ["ORG-2"]
    html = render_to_string("inventory/_controls_panel.html", {"panel": panel})
    assert "Planned" in html and "Included" in html and "Drift monitoring" in html
    assert reverse("controls:system_unlink", args=["acme", applies.pk, system.pk]) in html
    reader = render_to_string(
        "inventory/_controls_panel.html", {"panel": controls_panel(cast.tenant("viewer"), system)}
    )
    assert "Model cards" in reader and 'data-testid="control-link"' not in reader and "Remove" not in reader


@pytest.mark.parametrize("n", [1, 10])
def test_the_panel_costs_two_queries_for_writers_and_one_for_readers(cast, system, django_assert_num_queries, n):
    for i in range(n):
        control = custom(cast, f"ORG-{i}", f"Control {i}")
        if i % 2 == 0:
            control_link_system(actor=cast.tenant("owner"), control=control, system=system)
    writer, reader = cast.tenant("manager"), cast.tenant("auditor")
    with django_assert_num_queries(2):
        render_to_string("inventory/_controls_panel.html", {"panel": controls_panel(writer, system)})
    with django_assert_num_queries(1):
        render_to_string("inventory/_controls_panel.html", {"panel": controls_panel(reader, system)})


def test_it_links_a_control_from_the_system_page(cast, client_for, system):
    control = custom(cast)
    url = reverse("inventory:system_control_link", args=["acme", system.pk])
    response = client_for(cast.users["contributor"]).post(url, {"control": control.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:system_controls", args=["acme", system.pk])
    assert ControlSystem.objects.filter(control=control, system=system).exists()
    assert len(events(control, "link_system")) == 1


def test_it_refuses_another_organizations_control_from_the_system_page(cast, client_for, system):
    theirs = custom(cast, org=cast.other_org)
    url = reverse("inventory:system_control_link", args=["acme", system.pk])
    with nothing_written():
        response = client_for(cast.users["owner"]).post(url, {"control": theirs.pk}, follow=True)
    assert b"Choose one of the organization&#x27;s controls" in response.content


# --- The Statement of Applicability ------------------------------------------------------------------


def linked_soa(cast):
    control = custom(cast)
    first = make_system(cast, name="Credit scoring")
    second = make_system(cast, name="Support chatbot", purpose="Answers customer questions")
    for system in (second, first):
        control_link_system(actor=cast.tenant("owner"), control=control, system=system)
    return control


def test_the_soa_rows_name_the_systems_a_control_applies_to(cast):
    linked_soa(cast)
    custom(cast, "ORG-2", "Unlinked")
    rows = {row.ref_id: row for row in soa_rows(cast.org)}
    assert rows["ORG-1"].systems == ["AIS-1 Credit scoring", "AIS-2 Support chatbot"]
    assert rows["ORG-2"].systems == []
    assert rows["ORG-1"].as_dict()["systems"] == ["AIS-1 Credit scoring", "AIS-2 Support chatbot"]


def test_the_soa_rows_cost_five_queries_whatever_the_number_of_links(cast, django_assert_num_queries):
    systems = [make_system(cast, name=f"System {i}", purpose=f"Purpose {i}") for i in range(5)]
    for i in range(12):
        control = custom(cast, f"ORG-{i}", f"Control {i}")
        for system in systems[: i % 5 + 1]:
            control_link_system(actor=cast.tenant("owner"), control=control, system=system)
    # controls, risk links, requirement links, AI system links (systems joined), evidence counts
    with django_assert_num_queries(5):
        rows = soa_rows(cast.org)
    assert sum(len(r.systems) for r in rows) == ControlSystem.objects.count()


def test_the_soa_page_and_its_exports_show_the_systems(cast, client_for):
    linked_soa(cast)
    client = client_for(cast.users["viewer"])
    page = client.get(reverse("controls:soa", args=["acme"])).content.decode()
    assert ">AI systems</th>" in page and "AIS-2 Support chatbot" in page

    csv_rows = list(
        csv.DictReader(io.StringIO(client.get(reverse("controls:soa_export", args=["acme", "csv"])).content.decode()))
    )
    assert csv_rows[0]["AI systems"] == "AIS-1 Credit scoring\nAIS-2 Support chatbot"

    document = json.loads(client.get(reverse("controls:soa_export", args=["acme", "json"])).content)
    assert document["rows"][0]["systems"] == ["AIS-1 Credit scoring", "AIS-2 Support chatbot"]

    sheet = load_workbook(io.BytesIO(client.get(reverse("controls:soa_export", args=["acme", "xlsx"])).content)).active
    header = [cell.value for cell in sheet[1]]
    assert (
        sheet.cell(row=2, column=header.index("AI systems") + 1).value == "AIS-1 Credit scoring\nAIS-2 Support chatbot"
    )


def test_the_control_register_still_renders_with_links(cast, client_for):
    linked_soa(cast)
    response = client_for(cast.users["viewer"]).get(reverse("controls:list", args=["acme"]))
    assert response.status_code == 200 and Control.objects.count() == 1
