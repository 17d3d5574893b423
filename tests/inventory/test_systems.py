"""The AI system register's pages: list, register (with the duplicate warning), system page, edit and delete."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from openaims.audittrail.models import AuditEvent
from openaims.inventory.models import AIModel, AISystem, Classification
from openaims.inventory.services import system_update
from openaims.tenancy.selectors import tenant_of
from tests.inventory.conftest import add_model, make_system
from tests.revisions import revision_of
from tests.tenancy.rows import row_counts


def page(name, *args):
    return reverse(f"inventory:{name}", args=["acme", *args])


@contextmanager
def nothing_written():
    """No register row, audit event or tenancy row changes inside the block."""

    def snapshot():
        return {
            **row_counts(),
            "systems": list(AISystem.objects.order_by("pk").values()),
            "models": AIModel.objects.count(),
        }

    before = snapshot()
    yield
    assert snapshot() == before


def refs(response) -> list[str]:
    """The AIS-n references listed in the register table, in order."""
    return re.findall(r'class="ref" href="[^"]+">(AIS-\d+)</a>', response.content.decode())


VALID = {
    "name": "Support chatbot",
    "purpose": "Answers customer questions about orders",
    "role": "deployer",
    "technique": "llm",
    "criticality": "low",
}


@pytest.fixture
def register(cast):
    """Four systems with different stages, risk classes, owners, roles and techniques."""
    owner, carl = cast.users["owner"], cast.users["contributor"]
    credit = make_system(cast, business_owner=owner, technical_owner=carl)  # AIS-1
    chatbot = make_system(
        cast, name="Support chatbot", purpose="Answers customer questions", role="deployer", technique="llm"
    )  # AIS-2
    spam = make_system(
        cast, name="Spam filter", purpose="Filters junk e-mail", technique="rules", criticality="low"
    )  # AIS-3
    hiring = make_system(
        cast, name="CV screening", purpose="Ranks job applicants", criticality="critical", business_owner=carl
    )  # AIS-4
    # Set-up only: stages and classification results are written by services of other concerns.
    AISystem.objects.filter(pk=hiring.pk).update(stage="deployment", risk_class="high_risk", classification_stale=True)
    AISystem.objects.filter(pk=spam.pk).update(risk_class="minimal")
    return {"credit": credit, "chatbot": chatbot, "spam": spam, "hiring": hiring}


# --- The register -----------------------------------------------------------------------------------


def test_it_lists_every_system_of_the_organization_only(cast, client_for, register):
    make_system(cast, org=cast.other_org, name="Globex secret system")
    response = client_for(cast.users["viewer"]).get(page("systems"))
    assert response.status_code == 200
    assert refs(response) == ["AIS-1", "AIS-2", "AIS-3", "AIS-4"]
    assert b"Globex secret system" not in response.content
    assert b'data-testid="register-system"' not in response.content  # viewers do not register


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "chatbot"}, ["AIS-2"]),
        ({"q": "junk e-mail"}, ["AIS-3"]),  # the purpose
        ({"q": "AIS-4"}, ["AIS-4"]),
        ({"q": "ais 3"}, ["AIS-3"]),
        ({"stage": "deployment"}, ["AIS-4"]),
        ({"risk_class": "minimal"}, ["AIS-3"]),
        ({"risk_class": "unclassified"}, ["AIS-1", "AIS-2"]),
        ({"owner": "carl"}, ["AIS-1", "AIS-4"]),  # business or technical owner
        ({"owner": "alice"}, ["AIS-1"]),
        ({"owner": "none"}, ["AIS-2", "AIS-3", "AIS-4"]),  # an owner missing
        ({"role": "deployer"}, ["AIS-2"]),
        ({"technique": "rules"}, ["AIS-3"]),
        ({"criticality": "critical"}, ["AIS-4"]),
        ({"stale": "1"}, ["AIS-4"]),
        ({"technique": "ml", "criticality": "high"}, ["AIS-1"]),
    ],
)
def test_it_filters_the_register(cast, client_for, register, query, expected):
    response = client_for(cast.users["viewer"]).get(page("systems"), query)
    assert refs(response) == expected


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("ref", ["AIS-1", "AIS-2", "AIS-3", "AIS-4"]),
        ("-ref", ["AIS-4", "AIS-3", "AIS-2", "AIS-1"]),
        ("name", ["AIS-1", "AIS-4", "AIS-3", "AIS-2"]),  # Credit, CV, Spam, Support
        ("stage", ["AIS-1", "AIS-2", "AIS-3", "AIS-4"]),  # inception before deployment
        ("risk_class", ["AIS-4", "AIS-3", "AIS-1", "AIS-2"]),  # high-risk, minimal, then unclassified
        ("criticality", ["AIS-4", "AIS-1", "AIS-2", "AIS-3"]),  # critical, high, medium, low
    ],
)
def test_it_sorts_the_register(cast, client_for, register, sort, expected):
    response = client_for(cast.users["viewer"]).get(page("systems"), {"sort": sort})
    assert refs(response) == expected


def test_it_sorts_by_the_latest_change(cast, client_for, register):
    system_update(actor=cast.tenant("owner"), system=register["chatbot"], geography="EU")
    response = client_for(cast.users["viewer"]).get(page("systems"), {"sort": "-updated"})
    assert refs(response)[0] == "AIS-2"


def test_it_ignores_unknown_filter_values(cast, client_for, register):
    response = client_for(cast.users["viewer"]).get(
        page("systems"),
        {"stage": "nowhere", "risk_class": "x", "sort": "drop table", "page": "zz", "q": "AIS-99999999999"},
    )
    assert response.status_code == 200
    assert b"No AI system matches" in response.content


def test_it_summarises_the_register_by_risk_class_and_stage(cast, client_for, register):
    response = client_for(cast.users["viewer"]).get(page("systems"))
    html = response.content.decode()
    summary = html[html.index('data-testid="register-summary"') :]
    assert 'data-risk-class="high_risk"><span class="figure">1</span>' in summary
    assert 'data-risk-class="unclassified"><span class="figure">2</span>' in summary
    assert 'data-testid="summary-stale"><span class="figure">1</span>' in summary
    assert "Inception</a> 3" in html and "Deployment</a> 1" in html


def test_it_answers_an_htmx_filter_with_the_rows_only(cast, client_for, register):
    response = client_for(cast.users["viewer"]).get(
        page("systems"), {"technique": "llm"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert refs(response) == ["AIS-2"]
    # The download links carry the filters.
    assert b"export.csv?technique=llm" in response.content


def test_the_filter_form_reacts_only_to_its_own_inputs(cast, client_for, register):
    html = client_for(cast.users["viewer"]).get(page("systems")).content.decode()
    form = html[html.index('data-testid="system-filters"') - 400 : html.index('data-testid="system-filters"')]
    assert 'hx-trigger="input delay:300ms, change delay:300ms"' in form
    assert "from:" not in form


def test_it_pages_a_long_register(cast, client_for):
    for n in range(60):
        make_system(cast, name=f"System {n:02}", purpose="Something")
    client = client_for(cast.users["viewer"])
    first, second = client.get(page("systems")), client.get(page("systems"), {"page": 2})
    assert len(refs(first)) == 50 and refs(first)[0] == "AIS-1"
    assert refs(second) == [f"AIS-{n}" for n in range(51, 61)]
    assert b"Page 1 of 2" in first.content


def test_it_invites_to_register_or_import_the_first_system(cast, client_for):
    response = client_for(cast.users["contributor"]).get(page("systems"))
    assert b'data-testid="systems-empty"' in response.content
    assert page("system_create").encode() in response.content
    try:
        import_url = page("import_systems")
    except NoReverseMatch:  # the import page belongs to another concern and may not exist yet
        import_url = None
    if import_url:
        assert import_url.encode() in response.content

    viewer = client_for(cast.users["viewer"]).get(page("systems"))
    assert page("system_create").encode() not in viewer.content


# Observed on SQLite after a first request (the session is written only when the organization changes):
# 4 for every organization page (session, user, the tenant's membership, the layout's organization switcher)
# + members (owner filter) + the summary (one grouped query) + the page count + one page of systems (owners
# joined, models/datasets/components counted in subqueries).
LIST_PAGE_QUERIES = 8
LIST_FRAGMENT_QUERIES = 6  # the rows only: no summary, no members


def grow(cast, systems: int) -> None:
    owner, carl = cast.users["owner"], cast.users["contributor"]
    for n in range(systems):
        system = make_system(cast, name=f"System {n:03}", business_owner=owner if n % 2 else carl, technical_owner=carl)
        add_model(cast, system, name=f"model {n}")
        add_model(cast, system, name=f"model {n}", version="2")


@pytest.mark.parametrize("systems", [5, 60])
def test_the_register_issues_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, systems):
    grow(cast, systems)
    client = client_for(cast.users["owner"])
    client.get(page("systems"))  # remembers the organization in the session

    with django_assert_num_queries(LIST_PAGE_QUERIES):
        response = client.get(page("systems"))
    assert response.status_code == 200
    assert len(refs(response)) == min(systems, 50)
    assert b'<td class="num">2</td>' in response.content  # two models each, counted without a join

    with django_assert_num_queries(LIST_FRAGMENT_QUERIES):
        response = client.get(page("systems"), {"q": "system", "owner": "carl"}, headers={"HX-Request": "true"})
    assert response.status_code == 200


# --- Registering a system ---------------------------------------------------------------------------


def test_it_registers_a_system(cast, client_for):
    carl = cast.users["contributor"]
    data = {
        **VALID,
        "intended_use": "Staff answer customers faster",
        "business_owner": cast.users["owner"].pk,
        "technical_owner": carl.pk,
        "automation_level": "assistive",
        "oversight_mode": "in_the_loop",
        "geography": "EU",
        "personal_data": "on",
    }
    response = client_for(carl).post(page("system_create"), data)
    system = AISystem.objects.get(organization=cast.org)
    assert response.status_code == 302 and response["Location"] == page("system", system.pk)
    assert (system.ref, system.name, system.role, system.technique) == ("AIS-1", "Support chatbot", "deployer", "llm")
    assert system.technical_owner == carl and system.personal_data and system.geography == "EU"
    assert system.stage == "inception" and system.risk_class == "unclassified"
    event = AuditEvent.objects.get(object_type="inventory.aisystem", action="create")
    assert event.actor == carl


def test_it_offers_every_register_field_with_the_vocabulary(cast, client_for):
    html = client_for(cast.users["contributor"]).get(page("system_create")).content.decode()
    for field in ("name", "purpose", "intended_use", "foreseeable_misuse", "affected_persons", "geography"):
        assert f'name="{field}"' in html
    assert '<option value="deployer">Deployer</option>' in html
    assert '<option value="in_the_loop">Human in the loop</option>' in html
    assert f'<option value="{cast.users["outsider"].pk}">' not in html


def test_it_keeps_the_input_and_writes_nothing_on_bad_input(cast, client_for):
    client = client_for(cast.users["contributor"])
    with nothing_written():
        response = client.post(page("system_create"), {**VALID, "name": "", "purpose": "Keeps my words"})
    assert response.status_code == 400
    assert b"Keeps my words" in response.content
    assert b'class="field has-error"' in response.content

    with nothing_written():
        response = client.post(page("system_create"), {**VALID, "role": "overlord"})
    assert response.status_code == 400
    assert b"overlord" in response.content  # named in the error

    with nothing_written():
        response = client.post(page("system_create"), {**VALID, "business_owner": cast.users["outsider"].pk})
    assert response.status_code == 400


def test_it_warns_of_a_possible_duplicate_before_registering(cast, client_for, register):
    client = client_for(cast.users["contributor"])
    data = {**VALID, "name": "Credit-scoring model", "purpose": "Scores loan applications", "technique": "ml"}
    with nothing_written():
        response = client.post(page("system_create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="similar-systems"' in html
    assert page("system", register["credit"].pk) in html and "AIS-1" in html
    assert 'data-testid="confirm-duplicate"' in html
    assert 'value="Credit-scoring model"' in html  # the input is kept

    response = client.post(page("system_create"), {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert AISystem.objects.filter(organization=cast.org, name="Credit-scoring model").exists()


def test_it_registers_a_distinct_system_without_asking(cast, client_for, register):
    response = client_for(cast.users["contributor"]).post(
        page("system_create"), {**VALID, "name": "Invoice OCR", "purpose": "Reads supplier invoices"}
    )
    created = AISystem.objects.get(organization=cast.org, name="Invoice OCR")
    assert response.status_code == 302 and response["Location"] == page("system", created.pk)
    assert created.created_by == cast.users["contributor"]


def test_it_checks_for_similar_systems_while_typing(cast, client_for, register):
    client = client_for(cast.users["contributor"])
    response = client.get(
        page("system_similar"), {"name": "credit scoring", "purpose": ""}, headers={"HX-Request": "1"}
    )
    assert response.status_code == 200 and b"<html" not in response.content
    assert b"AIS-1" in response.content and b"Credit scoring" in response.content

    excluded = client.get(page("system_similar"), {"name": "credit scoring", "exclude": register["credit"].pk})
    assert b"AIS-1" not in excluded.content

    nothing = client.get(page("system_similar"), {"name": "Spam filter deluxe"})
    assert b"AIS-1" not in nothing.content
    assert client.get(page("system_similar")).content.strip() == b""

    form = client.get(page("system_create")).content.decode()
    assert f'hx-get="{page("system_similar")}"' in form
    assert "keyup changed delay:400ms from:#id_name" in form


# --- One system -------------------------------------------------------------------------------------


def test_it_shows_a_system_with_its_register_fields(cast, client_for, register):
    system = register["credit"]
    system_update(actor=cast.tenant("owner"), system=system, oversight_mode="on_the_loop", geography="EU, UK")
    response = client_for(cast.users["viewer"]).get(page("system", system.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "AIS-1" in html and "Credit scoring" in html
    assert "Inception" in html and "Not classified" in html and "Criticality: High" in html
    assert "Human on the loop" in html and "EU, UK" in html and "Alice Owner" in html and "Provider" in html
    for group in ("purpose", "people", "technique", "deployment", "personal-data"):
        assert f'data-testid="group-{group}"' in html
    assert page("system_history", system.pk) in html  # the History tab
    assert 'data-testid="edit-system"' not in html  # viewers do not edit
    assert 'data-testid="delete-system"' not in html


def test_it_marks_a_classification_to_redo_on_the_system_page(cast, client_for, register):
    html = client_for(cast.users["viewer"]).get(page("system", register["hiring"].pk)).content.decode()
    assert 'data-testid="stale-badge"' in html and "High-risk" in html


def test_it_links_the_history_page_back_to_the_system(cast, client_for, register):
    system = register["credit"]
    history = client_for(cast.users["viewer"]).get(
        reverse("audittrail:history", args=["acme", "inventory.aisystem", system.pk])
    )
    assert history.status_code == 200
    assert page("system", system.pk).encode() in history.content


def test_it_hides_a_system_of_another_organization(cast, client_for):
    other = make_system(cast, org=cast.other_org)
    client = client_for(cast.users["owner"])
    assert client.get(page("system", other.pk)).status_code == 404
    assert client.get(page("system_edit", other.pk)).status_code == 404
    assert client.post(page("system_delete", other.pk)).status_code == 404
    assert AISystem.objects.filter(pk=other.pk).exists()


# Each tab builds only its own panels. Overview: register fields + classification, life-cycle and card panels;
# parts: the four part tables; both after the shell's queries (session, user, membership, navigation).
SYSTEM_TAB_QUERIES = {"system": 8, "system_parts": 9}  # all tabs together: 16 before the tabs


def test_the_system_page_costs_the_same_with_many_parts(cast, client_for):
    from openaims.inventory.services import part_create, supplier_create

    client = client_for(cast.users["owner"])
    supplier = supplier_create(actor=cast.tenant("owner"), name="Vendor")
    counts: list[tuple[str, int]] = []
    for parts in (1, 10):
        system = make_system(cast, name=f"System with {parts}")
        for n in range(parts):
            add_model(cast, system, name=f"m{n}")
            part_create(actor=cast.tenant("owner"), system=system, kind="dataset", name=f"d{n}", source="x")
            part_create(actor=cast.tenant("owner"), system=system, kind="component", name=f"c{n}", supplier=supplier)
            part_create(actor=cast.tenant("owner"), system=system, kind="resource", name=f"r{n}")
        for tab in SYSTEM_TAB_QUERIES:
            client.get(page(tab, system.pk))  # warm-up
            with CaptureQueriesContext(connection) as queries:
                assert client.get(page(tab, system.pk)).status_code == 200
            counts.append((tab, len(queries)))
    assert counts == list(SYSTEM_TAB_QUERIES.items()) * 2, counts


# --- Editing ----------------------------------------------------------------------------------------


def _form_data(system, **changes) -> dict:
    data = {
        "name": system.name,
        "purpose": system.purpose,
        "intended_use": system.intended_use,
        "role": system.role,
        "technique": system.technique,
        "criticality": system.criticality,
        "business_owner": system.business_owner_id or "",
        "technical_owner": system.technical_owner_id or "",
        "revision": revision_of(system),
    }
    data.update(changes)
    return data


def test_it_edits_a_system(cast, client_for, register):
    system = register["credit"]
    client = client_for(cast.users["contributor"])
    form = client.get(page("system_edit", system.pk))
    assert form.status_code == 200 and b'value="Credit scoring"' in form.content
    assert b'data-testid="reclassify-notice"' not in form.content  # nothing to redo without a classification

    response = client.post(page("system_edit", system.pk), _form_data(system, name="Credit scoring 2", geography="EU"))
    assert response.status_code == 302 and response["Location"] == page("system", system.pk)
    system.refresh_from_db()
    assert (system.name, system.geography, system.version) == ("Credit scoring 2", "EU", 2)
    assert system.business_owner == cast.users["owner"]  # kept
    event = AuditEvent.objects.filter(object_type="inventory.aisystem", action="update").get()
    assert event.changes_dict["name"] == ["Credit scoring", "Credit scoring 2"]


def test_it_says_when_nothing_changed(cast, client_for, register):
    system = register["credit"]
    response = client_for(cast.users["contributor"]).post(
        page("system_edit", system.pk), _form_data(system), follow=True
    )
    assert b"was not changed" in response.content
    system.refresh_from_db()
    assert system.version == 1


def test_it_keeps_the_input_and_writes_nothing_on_a_bad_edit(cast, client_for, register):
    system = register["credit"]
    with nothing_written():
        response = client_for(cast.users["contributor"]).post(
            page("system_edit", system.pk), _form_data(system, name="", purpose="My new words")
        )
    assert response.status_code == 400 and b"My new words" in response.content


def _classify(cast, system, result="minimal") -> Classification:
    row = Classification.objects.create(
        organization=cast.org,
        system=system,
        answers={},
        result=result,
        reasoning=[],
        obligations=[],
        inputs={},
        created_by=cast.users["owner"],
    )
    # Set-up only: the classification wizard (another concern) does this through its service.
    AISystem.objects.filter(pk=system.pk).update(classification=row, risk_class=result)
    return row


def test_it_warns_that_a_changed_classification_input_asks_the_classification_again(cast, client_for, register):
    system = register["credit"]
    _classify(cast, system)
    client = client_for(cast.users["contributor"])

    form = client.get(page("system_edit", system.pk)).content.decode()
    assert 'data-testid="reclassify-notice"' in form
    assert "Intended use" in form[form.index("reclassify-notice") :]
    assert "Changing it asks the EU AI Act classification again." in form

    # A field that is not an input (the name) changes nothing about the classification.
    client.post(page("system_edit", system.pk), _form_data(system, name="Credit scoring engine"))
    system.refresh_from_db()
    assert not system.classification_stale

    response = client.post(
        page("system_edit", system.pk), _form_data(system, purpose="Scores credit and sets limits"), follow=True
    )
    system.refresh_from_db()
    assert system.classification_stale
    assert b"classification must be done again" in response.content
    assert b'data-testid="stale-badge"' in response.content


# --- Deleting ---------------------------------------------------------------------------------------


def test_it_deletes_a_system_registered_by_mistake(cast, client_for, register):
    system = register["chatbot"]
    response = client_for(cast.users["contributor"]).post(page("system_delete", system.pk), follow=True)
    assert response.redirect_chain[-1][0] == page("systems")
    assert b"AIS-2 Support chatbot was deleted" in response.content
    assert not AISystem.objects.filter(pk=system.pk).exists()
    assert AuditEvent.objects.filter(object_type="inventory.aisystem", object_id=str(system.pk), action="delete")


def test_it_refuses_to_delete_a_system_past_inception(cast, client_for, register):
    system = register["hiring"]  # in deployment
    with nothing_written():
        response = client_for(cast.users["owner"]).post(page("system_delete", system.pk), follow=True)
    assert response.redirect_chain[-1][0] == page("system", system.pk)
    assert b"retire it instead of deleting it" in response.content
    assert b"retired through its life cycle" in response.content  # no delete button any more


def test_it_refuses_delete_by_get(cast, client_for, register):
    response = client_for(cast.users["owner"]).get(page("system_delete", register["chatbot"].pk))
    assert response.status_code == 405
    assert AISystem.objects.filter(pk=register["chatbot"].pk).exists()


def test_it_lists_ai_systems_in_the_navigation(cast, client_for):
    html = client_for(cast.users["viewer"]).get(page("systems")).content.decode()
    nav = html[html.index('class="sidenav"') : html.index("</nav>")]
    assert "Inventory" in nav and f'href="{page("systems")}"' in nav


def test_the_form_offers_every_field_the_service_takes():
    from openaims.inventory.forms import GROUPS, SystemForm
    from openaims.inventory.services import SYSTEM_FIELDS

    form = SystemForm()
    assert set(SYSTEM_FIELDS) <= set(form.fields)
    assert sorted(name for _title, names in GROUPS for name in names) == sorted(SYSTEM_FIELDS)


def test_it_gives_every_register_object_a_history_page_linking_back(cast, client_for, register):
    from openaims.inventory.services import part_create, supplier_create

    owner, system = cast.users["owner"], register["credit"]
    supplier = supplier_create(actor=tenant_of(owner, cast.org), name="Bureau Ltd")
    objects = {
        "inventory.aisystem": (system, page("system", system.pk)),
        "inventory.supplier": (supplier, page("supplier_detail", supplier.pk)),
    }
    for kind, values in [
        ("model", {"name": "scorer"}),
        ("dataset", {"name": "Loans"}),
        ("component", {"name": "Bureau API", "supplier": supplier}),
        ("resource", {"name": "GPU pool"}),
    ]:
        part = part_create(actor=tenant_of(owner), system=system, kind=kind, **values)
        objects[part._meta.label_lower] = (part, page("part_detail", system.pk, kind, part.pk))
    client = client_for(cast.users["viewer"])
    for label, (obj, url) in objects.items():
        response = client.get(reverse("audittrail:history", args=["acme", label, obj.pk]))
        assert response.status_code == 200, label
        assert url.encode() in response.content, label
    other = make_system(cast, org=cast.other_org)
    assert client.get(reverse("audittrail:history", args=["acme", "inventory.aisystem", other.pk])).status_code == 404


def test_each_system_tab_is_a_page_and_htmx_gets_only_the_tab_region(cast, client_for, register):
    system = register["credit"]
    client = client_for(cast.users["viewer"])
    for tab, marker in (
        ("system", 'data-testid="group-purpose"'),
        ("system_parts", 'data-testid="parts-panel"'),
        ("system_controls", 'data-testid="controls-panel"'),
        ("system_risks", 'data-testid="system-risks"'),
        ("system_assessments", 'data-testid="system-impact"'),
        ("system_history", 'data-testid="system-history"'),
    ):
        full = client.get(page(tab, system.pk))
        html = full.content.decode()
        assert full.status_code == 200 and marker in html and "<html" in html, tab
        assert html.count('aria-current="page" data-tab=') == 1, tab
        fragment = client.get(page(tab, system.pk), headers={"HX-Request": "true"})
        body = fragment.content.decode()
        assert marker in body and "<html" not in body and 'id="system-tabs"' in body, tab
        assert "HX-Request" in fragment["Vary"], tab
    # The overview no longer builds the other tabs' panels.
    overview = client.get(page("system", system.pk)).content.decode()
    assert 'data-testid="parts-panel"' not in overview and 'data-testid="system-risks"' not in overview
