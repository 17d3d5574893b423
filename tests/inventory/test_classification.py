"""EU AI Act classification: worked cases through the service, the catalog-driven questions and staleness."""

from __future__ import annotations

import json

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.catalog.models import CatalogNode
from openaims.inventory.classification.catalog import eu_catalog
from openaims.inventory.classification.service import classification_record
from openaims.inventory.models import AISystem, Classification
from openaims.inventory.services import system_update
from openaims.inventory.views.classification import classification_panel
from openaims.lib.errors import Forbidden, ServiceError
from openaims.tenancy.access import get_tenant_for_user
from tests.inventory.conftest import make_system
from tests.inventory.matrix_classification import load_eu_ai_act

EU = "urn:openaims:eu-ai-act:"


def u(*refs: str) -> list[str]:
    return [EU + ref for ref in refs]


@pytest.fixture
def eu(db):
    load_eu_ai_act()
    return eu_catalog()


def classify(cast, system, actor="owner", **answers) -> Classification:
    return classification_record(actor=cast.users[actor], system=system, answers=answers)


def findings(row: Classification) -> str:
    return "\n".join(f"{r['step']}: {r['finding']}" for r in row.reasoning)


# --- the worked cases -----------------------------------------------------------------------------------


def test_credit_scoring_of_natural_persons_is_high_risk_under_annex_iii_5b(cast, eu):
    system = make_system(cast, role="provider")
    row = classify(cast, system, annex_iii_points=u("annex-iii.5.b"))
    assert row.result == "high_risk"
    assert {"step": "Annex III use case", "urn": EU + "annex-iii.5.b"}.items() <= row.reasoning[3].items()
    assert "Annex III, point 5(b): Creditworthiness and credit scoring of natural persons" in findings(row)
    assert "Art. 6(2), Annex III, point 5(b)" in row.reasoning[-1]["finding"]
    # A provider's duties: risk management, conformity assessment by internal control (points 2-8), ...
    assert set(u("art-9.1", "art-9.2", "art-11.1", "art-17.1.a", "art-43.2", "art-49.1", "art-72.1")) <= set(
        row.obligations
    )
    # ... but not those of another route, another Annex III point or another operator role.
    assert not set(
        u("art-43.1", "art-43.3", "art-11.2", "art-12.3", "art-6.4", "art-49.2", "art-26.1", "art-27.1")
    ) & set(row.obligations)
    assert row.transparency == [] and row.gpai is False


def test_credit_scoring_as_deployer_lists_the_deployer_duties_and_the_fria(cast, eu):
    system = make_system(cast, role="deployer")
    row = classify(cast, system, annex_iii_points=u("annex-iii.5.b"))
    assert row.result == "high_risk"
    assert set(u("art-4", "art-26.1", "art-26.2", "art-26.5", "art-27.1", "art-27.2", "art-86.1")) <= set(
        row.obligations
    )
    assert not set(u("art-9.1", "art-43.2", "art-14.5")) & set(row.obligations)
    assert "every deployer carries out a fundamental rights impact assessment" in findings(row)
    assert "deployer" in row.reasoning[0]["finding"]


def test_a_spam_filter_is_minimal_risk(cast, eu):
    system = make_system(cast, name="Spam filter", purpose="Filters spam e-mail", role="deployer")
    row = classify(cast, system)
    assert row.result == "minimal"
    assert row.obligations == u("art-4")  # AI literacy applies to every system
    assert row.transparency == []
    assert "Minimal risk" in row.reasoning[-1]["finding"]


def test_a_customer_chatbot_is_limited_risk_under_art_50_1(cast, eu):
    system = make_system(cast, name="Support chatbot", purpose="Answers customer questions", role="provider")
    row = classify(cast, system, transparency_cases=u("art-50.1"))
    assert row.result == "limited_risk"
    assert row.transparency == u("art-50.1")
    assert set(u("art-50.1", "art-50.5")) <= set(row.obligations)
    assert not set(u("art-50.2", "art-9.1")) & set(row.obligations)
    assert "Art. 50(1)" in row.reasoning[-1]["finding"]


def test_social_scoring_by_a_public_authority_is_prohibited_under_art_5_1_c(cast, eu):
    system = make_system(cast, name="Citizen score", purpose="Scores citizens' social behaviour", role="deployer")
    # The later answers do not matter once a practice is prohibited.
    row = classify(
        cast,
        system,
        prohibited_practices=u("art-5.1.c"),
        annex_iii_points=u("annex-iii.5.a"),
        transparency_cases=u("art-50.1"),
    )
    assert row.result == "prohibited"
    assert row.reasoning[1]["urn"] == EU + "art-5.1.c"
    assert "Art. 5(1)(c): Social scoring" in row.reasoning[1]["finding"]
    assert "may not be placed on the market" in row.reasoning[1]["finding"]
    assert row.obligations == u("art-4", "art-5.1.c")
    assert row.transparency == []
    system.refresh_from_db()
    assert system.risk_class == "prohibited"


# --- the Art. 6(3) derogation, transparency on top, Annex I, GPAI ---------------------------------------


def test_the_art_6_3_derogation_makes_an_annex_iii_system_not_high_risk_but_to_be_documented(cast, eu):
    system = make_system(cast, name="CV parser", purpose="Turns CVs into structured records", role="provider")
    row = classify(cast, system, annex_iii_points=u("annex-iii.4.a"), derogation_conditions=u("art-6.3.a"))
    assert row.result == "minimal"
    assert set(u("art-6.4", "art-49.2")) <= set(row.obligations)
    assert not set(u("art-9.1", "art-43.2", "art-49.1")) & set(row.obligations)
    text = findings(row)
    assert "Not high-risk: Art. 6(3)(a) (Narrow procedural task) holds" in text
    assert "documents this assessment" in text


def test_profiling_of_natural_persons_overrides_the_derogation(cast, eu):
    system = make_system(cast, role="provider")
    row = classify(
        cast,
        system,
        annex_iii_points=u("annex-iii.4.a"),
        derogation_conditions=u("art-6.3.d"),
        profiles_natural_persons=True,
    )
    assert row.result == "high_risk"
    assert "profiles natural persons, so the Art. 6(3) derogation cannot apply" in findings(row)
    assert EU + "art-9.1" in row.obligations and EU + "art-6.4" not in row.obligations


def test_transparency_duties_stack_on_top_of_high_risk(cast, eu):
    system = make_system(cast, role="provider")
    row = classify(cast, system, annex_iii_points=u("annex-iii.4.a"), transparency_cases=u("art-50.1"))
    assert row.result == "high_risk"
    assert row.transparency == u("art-50.1")
    assert set(u("art-9.1", "art-50.1", "art-50.5")) <= set(row.obligations)
    assert "transparency duties of Art. 50(1)" in row.reasoning[-1]["finding"]


def test_an_annex_i_safety_component_needing_third_party_assessment_is_high_risk(cast, eu):
    system = make_system(cast, role="provider")
    row = classify(cast, system, annex_i_safety_component=True, annex_i_third_party_assessment=True)
    assert row.result == "high_risk"
    assert set(u("art-11.2", "art-43.3", "art-9.1")) <= set(row.obligations)
    assert not set(u("art-43.2", "art-49.1", "art-86.1")) & set(row.obligations)
    # Without third-party conformity assessment the Annex I route does not make it high-risk.
    other = classify(cast, make_system(cast, name="Toy"), annex_i_safety_component=True)
    assert other.result == "minimal"
    assert "needs no third-party conformity assessment" in findings(other)


def test_a_gpai_model_provider_gets_chapter_v_duties_and_systemic_risk_ones_only_with_systemic_risk(cast, eu):
    system = make_system(cast, name="Foundation model", purpose="General text model", role="provider")
    row = classify(cast, system, gpai_model=True)
    assert row.result == "minimal" and row.gpai is True
    assert set(u("art-53.1.a", "art-53.1.b", "art-53.1.c", "art-53.1.d")) <= set(row.obligations)
    assert not set(u("art-55.1.a", "art-52.1")) & set(row.obligations)
    systemic = classify(cast, system, gpai_model=True, systemic_risk=True)
    assert set(u("art-52.1", "art-55.1.a", "art-55.1.d")) <= set(systemic.obligations)
    assert "Art. 55 duties for a model with systemic risk" in findings(systemic)


def test_gpai_duties_are_for_the_models_provider_only(cast, eu):
    system = make_system(cast, name="Assistant", purpose="Drafts letters with a hosted model", role="deployer")
    row = classify(cast, system, gpai_model=True)
    assert row.gpai is True
    assert not any(urn.startswith(EU + "art-53") for urn in row.obligations)
    assert "fall on the model's provider" in findings(row)


# --- the record: system, audit trail, staleness ---------------------------------------------------------


def test_it_makes_the_run_current_bumps_the_version_and_records_a_classify_event(cast, eu):
    system = make_system(cast)
    version = system.version
    row = classify(cast, system, annex_iii_points=u("annex-iii.5.b"))
    system.refresh_from_db()
    assert (system.classification_id, system.risk_class, system.classification_stale) == (row.pk, "high_risk", False)
    assert system.version == version + 1
    assert row.inputs == {f: getattr(system, f) for f in AISystem.CLASSIFICATION_INPUTS}
    assert row.catalog_version == eu.content_hash and len(row.catalog_version) == 64
    assert row.answers["annex_iii_points"] == u("annex-iii.5.b")
    event = AuditEvent.objects.filter(object_type="inventory.aisystem", object_id=str(system.pk)).latest("seq")
    assert event.action == "classify"
    assert json.loads(event.changes) == {"risk_class": ["unclassified", "high_risk"]}


def test_a_changed_input_asks_again_and_reclassifying_clears_it(cast, eu):
    system = make_system(cast, role="provider")
    classify(cast, system, annex_iii_points=u("annex-iii.5.b"))
    system = system_update(actor=cast.users["owner"], system=system, purpose="Scores small-business loans")
    assert system.classification_stale is True
    tenant = get_tenant_for_user(cast.users["viewer"], "acme")
    system = AISystem.objects.select_related("classification").get(pk=system.pk)
    panel = classification_panel(tenant, system)
    assert panel["stale"] is True
    assert panel["changes"] == [
        {
            "field": "purpose",
            "label": "Purpose",
            "before": "Scores consumer credit applications",
            "after": "Scores small-business loans",
        }
    ]
    assert panel["can_write"] is False
    row = classify(cast, system, annex_iii_points=u("annex-iii.5.b"))
    system.refresh_from_db()
    assert system.classification_stale is False and system.classification_id == row.pk
    event = AuditEvent.objects.filter(object_type="inventory.aisystem", object_id=str(system.pk)).latest("seq")
    assert json.loads(event.changes) == {
        "risk_class": ["high_risk", "high_risk"],
        "classification_stale": [True, False],
    }


def test_a_change_outside_the_inputs_does_not_ask_again(cast, eu):
    system = make_system(cast)
    classify(cast, system)
    system = system_update(actor=cast.users["owner"], system=system, name="Credit scoring v2")
    assert system.classification_stale is False


def test_the_panel_of_an_unclassified_system_offers_the_wizard_to_writers(cast, eu):
    system = AISystem.objects.select_related("classification").get(pk=make_system(cast).pk)
    panel = classification_panel(get_tenant_for_user(cast.users["contributor"], "acme"), system)
    assert panel["classified"] is False and panel["result"] == "unclassified" and panel["catalog_loaded"] is True
    assert panel["can_write"] is True and panel["wizard_url"].endswith(f"/systems/{system.pk}/classify/")


# --- refusals: nothing is written ----------------------------------------------------------------------


def _nothing_written(cast, system):
    system.refresh_from_db()
    assert Classification.objects.count() == 0
    assert system.risk_class == "unclassified" and system.version == 1
    assert not AuditEvent.objects.filter(object_type="inventory.aisystem", action="classify").exists()


def test_it_refuses_unknown_urns_naming_them_and_writes_nothing(cast, eu):
    system = make_system(cast)
    with pytest.raises(ServiceError) as exc:
        classify(cast, system, annex_iii_points=u("annex-iii.5.b", "annex-iii.9.z", "art-9.1"))
    assert exc.value.field == "annex_iii_points"
    assert EU + "annex-iii.9.z" in exc.value.message and EU + "art-9.1" in exc.value.message
    assert EU + "annex-iii.5.b" not in exc.value.message
    _nothing_written(cast, system)


def test_it_refuses_an_option_of_another_question(cast, eu):
    system = make_system(cast)
    with pytest.raises(ServiceError, match="prohibited practices: unknown URN"):
        classify(cast, system, prohibited_practices=u("art-50.1"))
    _nothing_written(cast, system)


def test_it_refuses_unknown_answer_keys_and_wrong_types(cast, eu):
    system = make_system(cast)
    with pytest.raises(ServiceError, match="high_risk"):
        classify(cast, system, high_risk=True)
    with pytest.raises(ServiceError, match="annex_iii_points"):
        classify(cast, system, annex_iii_points="annex-iii.5.b")
    _nothing_written(cast, system)


def test_it_refuses_when_the_eu_ai_act_catalog_is_not_loaded(cast, db):
    system = make_system(cast)
    with pytest.raises(ServiceError, match="catalog is not loaded"):
        classify(cast, system)
    _nothing_written(cast, system)


@pytest.mark.parametrize("role", ["auditor", "viewer"])
def test_it_refuses_members_who_may_not_write(cast, eu, role):
    system = make_system(cast)
    with pytest.raises(Forbidden):
        classify(cast, system, actor=role)
    _nothing_written(cast, system)


def test_it_accepts_urns_without_their_prefix_and_keeps_them_in_catalog_order(cast, eu):
    system = make_system(cast)
    row = classify(cast, system, annex_iii_points=["annex-iii.5.b", "annex-iii.4.a", "annex-iii.5.b"])
    assert row.answers["annex_iii_points"] == u("annex-iii.4.a", "annex-iii.5.b")


# --- the questions come from the catalog ---------------------------------------------------------------


def test_the_options_are_the_catalogs_nodes(eu):
    options = eu.options
    practices = list(
        CatalogNode.objects.filter(parent__urn=EU + "art-5").order_by("order").values_list("urn", flat=True)
    )
    assert options["prohibited_practices"] == practices and len(practices) == 8
    assert options["derogation_conditions"] == u("art-6.3.a", "art-6.3.b", "art-6.3.c", "art-6.3.d")
    assert options["transparency_cases"] == u("art-50.1", "art-50.2", "art-50.3", "art-50.4")
    # Annex III: the lettered points, and an area without points (critical infrastructure) as itself.
    assert {EU + "annex-iii.2", EU + "annex-iii.5.b", EU + "annex-iii.8.b"} <= set(options["annex_iii_points"])
    assert EU + "annex-iii.5" not in options["annex_iii_points"]
    questions = {q.key: q for q in eu.questions}
    social = next(o for o in questions["prohibited_practices"].options if o.urn == EU + "art-5.1.c")
    assert social.title.startswith("Social scoring")
    chatbot = next(o for o in questions["transparency_cases"].options if o.urn == EU + "art-50.1")
    assert chatbot.title == "AI system interacting directly with natural persons"
    assert [q.key for q in eu.questions] == [
        "prohibited_practices",
        "annex_i_safety_component",
        "annex_i_third_party_assessment",
        "annex_iii_points",
        "derogation_conditions",
        "profiles_natural_persons",
        "transparency_cases",
        "gpai_model",
        "systemic_risk",
    ]
