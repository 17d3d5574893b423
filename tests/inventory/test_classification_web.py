"""The classification wizard, its history and detail pages, and the panel on the system page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openaims.inventory.classification.service import classification_record
from openaims.inventory.models import AISystem, Classification
from openaims.inventory.services import system_update
from tests.inventory.conftest import make_system
from tests.inventory.matrix_classification import load_eu_ai_act

EU = "urn:openaims:eu-ai-act:"
CREDIT = EU + "annex-iii.5.b"


@pytest.fixture
def system(cast):
    load_eu_ai_act()
    return make_system(cast)


def wizard(system) -> str:
    return reverse("inventory:classification_wizard", args=["acme", system.pk])


def test_the_wizard_asks_in_numbered_steps_with_the_catalogs_options(cast, client_for, system):
    response = client_for(cast.users["contributor"]).get(wizard(system))
    assert response.status_code == 200
    html = response.content.decode()
    for number, title in enumerate(
        ["Prohibited practices", "Product safety (Annex I)", "High-risk use cases (Annex III)"], start=1
    ):
        assert f"{number}. {title}" in html
    assert f'value="{EU}art-5.1.c"' in html and "Social scoring leading to" in html
    assert f'value="{CREDIT}"' in html and "Creditworthiness and credit scoring of natural persons" in html
    assert f'value="{EU}art-6.3.a"' in html and f'value="{EU}art-50.1"' in html
    assert 'name="gpai_model"' in html and 'name="profiles_natural_persons"' in html
    assert "EU AI Act operator role: provider" in html


def test_posting_the_answers_records_and_returns_to_the_system(cast, client_for, system):
    client = client_for(cast.users["contributor"])
    response = client.post(wizard(system), {"annex_iii_points": [CREDIT], "transparency_cases": [EU + "art-50.1"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:system", args=["acme", system.pk])
    system.refresh_from_db()
    assert system.risk_class == "high_risk"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="classification-panel"' in page
    assert "High-risk (Art. 6(2), Annex III, point 5(b))" in page
    assert "Re-classify" in page and "obligations for our role" in page


def test_the_wizard_prefills_the_previous_answers(cast, client_for, system):
    classification_record(
        actor=cast.users["owner"], system=system, answers={"annex_iii_points": [CREDIT], "gpai_model": True}
    )
    html = client_for(cast.users["owner"]).get(wizard(system)).content.decode()
    assert f'value="{CREDIT}" checked' in html
    assert 'name="gpai_model" value="1" checked' in html
    assert f'value="{EU}annex-iii.5.a" checked' not in html
    assert 'data-testid="preview-result">High-risk' in html


def test_it_rerenders_unknown_answers_with_the_error_and_writes_nothing(cast, client_for, system):
    response = client_for(cast.users["owner"]).post(wizard(system), {"annex_iii_points": [CREDIT, EU + "annex-iii.9"]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "unknown URN(s) urn:openaims:eu-ai-act:annex-iii.9" in html
    assert f'value="{CREDIT}" checked' in html  # what was ticked stays ticked
    assert not Classification.objects.exists()


def test_an_htmx_change_previews_the_outcome_without_writing(cast, client_for, system):
    response = client_for(cast.users["owner"]).post(
        wizard(system),
        {"prohibited_practices": [EU + "art-5.1.c"], "preview": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Prohibited" in html and "Art. 5(1)(c)" in html
    assert not Classification.objects.exists()
    system.refresh_from_db()
    assert system.risk_class == "unclassified"


def test_the_wizard_says_when_the_catalog_is_not_loaded(cast, client_for, db):
    system = make_system(cast)
    client = client_for(cast.users["owner"])
    assert "catalog is not loaded" in client.get(wizard(system)).content.decode()
    response = client.post(wizard(system), {"annex_iii_points": [CREDIT]})
    assert response.status_code == 400 and not Classification.objects.exists()
    panel = client.get(reverse("inventory:system", args=["acme", system.pk])).content.decode()
    assert "The EU AI Act catalog is not loaded" in panel


def test_the_system_page_shows_what_changed_and_asks_again(cast, client_for, system):
    classification_record(actor=cast.users["owner"], system=system, answers={"annex_iii_points": [CREDIT]})
    system_update(actor=cast.users["owner"], system=system, intended_use="Set credit limits for small firms")
    client = client_for(cast.users["manager"])
    page = client.get(reverse("inventory:system", args=["acme", system.pk])).content.decode()
    assert 'data-testid="classification-stale"' in page and "Re-classification needed" in page
    assert "Set credit limits for small firms" in page
    html = client.get(wizard(system)).content.decode()
    assert 'data-testid="stale-notice"' in html and "Intended use" in html
    client.post(wizard(system), {"annex_iii_points": [CREDIT]})
    page = client.get(reverse("inventory:system", args=["acme", system.pk])).content.decode()
    assert 'data-testid="classification-stale"' not in page


def test_readers_see_the_panel_without_the_classify_button(cast, client_for, system):
    classification_record(actor=cast.users["owner"], system=system, answers={})
    page = client_for(cast.users["viewer"]).get(reverse("inventory:system", args=["acme", system.pk])).content.decode()
    assert 'data-testid="classification-badge">Minimal risk' in page
    assert 'data-testid="classify-button"' not in page


def test_the_detail_page_groups_obligations_by_article_with_their_conditions(cast, client_for, system):
    system_update(actor=cast.users["owner"], system=system, role="deployer")
    run = classification_record(actor=cast.users["owner"], system=system, answers={"annex_iii_points": [CREDIT]})
    url = reverse("inventory:classification_detail", args=["acme", system.pk, run.pk])
    html = client_for(cast.users["auditor"]).get(url).content.decode()
    assert 'data-testid="classification-result">High-risk' in html
    assert "Obligations of deployers of high-risk AI systems" in html  # the Art. 26 group
    assert "Fundamental rights impact assessment for high-risk AI systems" in html  # the Art. 27 group
    assert f'data-urn="{EU}art-27.1"' in html
    assert html.count('<span class="ref">Art. 4</span> AI literacy') == 1  # a duty that is its own article
    assert "Applies where: Deployers that are public-law bodies" in html
    assert "every deployer carries out a fundamental rights impact assessment" in html
    assert "Creditworthiness and credit scoring of natural persons" in html  # in the answers


def test_a_run_of_another_system_or_organization_is_not_found(cast, client_for, system):
    run = classification_record(actor=cast.users["owner"], system=system, answers={})
    other = make_system(cast, name="Other")
    client = client_for(cast.users["owner"])
    assert client.get(reverse("inventory:classification_detail", args=["acme", other.pk, run.pk])).status_code == 404
    globex = make_system(cast, org=cast.other_org)
    foreign = classification_record(actor=cast.users["outsider"], system=globex, answers={})
    assert (
        client.get(reverse("inventory:classification_detail", args=["acme", system.pk, foreign.pk])).status_code == 404
    )
    assert client.get(reverse("inventory:classification_history", args=["acme", globex.pk])).status_code == 404
    assert client.post(wizard(globex), {}).status_code == 404
    assert AISystem.objects.get(pk=globex.pk).classification_id == foreign.pk


HISTORY_QUERIES = 7  # session, user, membership, switcher, system, run count, page of runs with authors


def test_the_history_lists_every_run_with_its_reasoning_in_a_fixed_number_of_queries(
    cast, client_for, system, django_assert_num_queries
):
    client = client_for(cast.users["viewer"])
    url = reverse("inventory:classification_history", args=["acme", system.pk])
    for answers in ({}, {"annex_iii_points": [CREDIT]}, {"transparency_cases": [EU + "art-50.1"]}):
        classification_record(actor=cast.users["owner"], system=system, answers=answers)
    client.get(url)  # warm-up
    with django_assert_num_queries(HISTORY_QUERIES):
        response = client.get(url)
    html = response.content.decode()
    assert "Limited risk (transparency)" in html and "High-risk" in html and "Art. 50(1)" in html
    assert html.count('class="current"') == 1
    for _ in range(12):
        classification_record(actor=cast.users["manager"], system=system, answers={})
    with django_assert_num_queries(HISTORY_QUERIES):
        assert client.get(url).status_code == 200
