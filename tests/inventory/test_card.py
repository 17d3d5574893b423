"""The system card (A.6.2.7, A.8.2): content from the register, gaps, Markdown and PDF, published versions.

`documented_system` and `classify` build data for the other test_card_* modules too.
"""

from __future__ import annotations

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.controls.services import control_create_custom, control_link_system
from openaims.inventory import card as cards
from openaims.inventory.card import card_content, card_markdown, card_panel, card_publish, content_hash
from openaims.inventory.classification.service import classification_record
from openaims.inventory.models import AISystem, SystemCardVersion
from openaims.inventory.services import part_create, supplier_create, system_update
from openaims.lib.errors import Conflict, Forbidden
from openaims.lib.pdf import render_document
from openaims.tenancy.models import Membership, Tenant
from tests.controls.test_pdf import PDFTOTEXT, document_text, pdf_text
from tests.inventory.conftest import make_system
from tests.inventory.matrix_classification import load_eu_ai_act

CREDIT_SCORING = {"annex_iii_points": ["urn:openaims:eu-ai-act:annex-iii.5.b"]}


def classify(cast, system, answers=None):
    """The system's current EU AI Act classification, made through the wizard's service (shipped catalog)."""
    load_eu_ai_act()
    row = classification_record(actor=cast.users["owner"], system=system, answers=answers or CREDIT_SCORING)
    system.refresh_from_db()
    return row


def documented_system(cast, *, name="Credit scoring", models=1, datasets=1, components=1, resources=1, classified=True):
    """A system with every item of the card documented (but the classification unless `classified`)."""
    owner = cast.users["owner"]
    system = make_system(cast, name=name)
    system = system_update(
        actor=owner,
        system=system,
        intended_users="Credit officers",
        affected_persons="Loan applicants",
        foreseeable_misuse="Using the score as the only ground for a refusal",
        automation_level="assistive",
        oversight_mode="in_the_loop",
        oversight_description="An officer reviews every score before deciding",
        deployment_environment="Internal loan workflow",
        geography="EU",
        personal_data=True,
        personal_data_notes="Income and repayment history; GDPR Art. 6(1)(b)",
        business_owner=owner,
        technical_owner=cast.users["contributor"],
    )
    supplier = supplier_create(
        actor=owner,
        organization=cast.org,
        name=f"Cloud {system.pk}",
        contact="support@cloud.example",
        contract_ref="C-9",
    )
    for i in range(models):
        part_create(
            actor=owner,
            system=system,
            kind="model",
            name="scorer",
            version=str(i + 3),
            model_type="gradient-boosted trees",
            uri=f"models:/scorer/{i + 3}",
            registry_stage="production",
            description="Predicts default within 12 months",
        )
    for i in range(datasets):
        part_create(
            actor=owner,
            system=system,
            kind="dataset",
            name=f"Loans {i}",
            purpose="training",
            source="Core banking",
            acquisition="Own customers, contract",
            provenance="Exported monthly by the data team",
            quality_checks="Completeness and range checks",
            preparation="Deduplicated, outliers removed",
            personal_data=True,
            special_categories=True,
            licence="internal",
        )
    for i in range(components):
        part_create(
            actor=owner,
            system=system,
            kind="component",
            name=f"Feature store {i}",
            category="platform",
            supplier=supplier,
            version="2",
            responsibilities="Supplier runs it; we validate the features",
        )
    for i in range(resources):
        part_create(
            actor=owner, system=system, kind="resource", name=f"GPU pool {i}", category="compute", description="4 GPUs"
        )
    if classified:
        classify(cast, system)
    control = control_create_custom(actor=owner, organization=cast.org, ref_id=f"ORG-{system.pk}", title="Model cards")
    control_link_system(actor=owner, control=control, system=system)
    system.refresh_from_db()
    return system


def section(content, key) -> dict:
    return next(s for s in content["sections"] if s["key"] == key)


def values(content, key) -> dict:
    return {f["key"]: f["value"] for f in section(content, key)["fields"]}


def item_values(content, key, index=0) -> dict:
    return {f["key"]: f["value"] for f in section(content, key)["items"][index]["fields"]}


def tenant_of(cast, role):
    return Tenant(Membership.objects.get(organization=cast.org, user=cast.users[role]))


# --- content ---------------------------------------------------------------------------------------


def test_it_documents_every_section_of_a_well_documented_system(cast):
    system = documented_system(cast)

    content = card_content(system)

    assert [s["key"] for s in content["sections"]] == [
        "identification",
        "intended_use",
        "technique",
        "classification",
        "models",
        "data",
        "components",
        "resources",
        "evaluation",
        "limitations",
        "oversight",
        "controls",
        "lifecycle",
        "contacts",
    ]
    assert content["gaps"] == [], "nothing is missing"
    assert content["system"] == {
        "id": system.pk,
        "ref": "AIS-1",
        "name": "Credit scoring",
        "version": system.version,
        "organization": "Acme AI",
    }
    identification = values(content, "identification")
    assert identification["ref"] == "AIS-1"
    assert identification["register_version"] == str(system.version)
    assert identification["stage"] == "Inception"
    assert identification["role"] == "Provider (EU AI Act operator role: provider)"
    assert identification["business_owner"] == "Alice Owner"
    intended = values(content, "intended_use")
    assert intended["intended_users"] == "Credit officers"
    assert intended["affected_persons"] == "Loan applicants"
    assert intended["foreseeable_misuse"].startswith("Using the score")
    assert "out of scope" in intended["out_of_scope"]
    assert values(content, "technique")["automation_level"] == "Assistive (suggests; a person decides)"
    classification = values(content, "classification")
    assert classification["risk_class"] == "High-risk"
    assert classification["status"] == "Current"
    assert any("Annex III, point 5(b)" in step for step in classification["reasoning"])
    assert "Art. 11(1) Draw up and maintain Annex IV technical documentation" in classification["obligations"]
    assert item_values(content, "models") == {
        "version": "3",
        "model_type": "gradient-boosted trees",
        "description": "Predicts default within 12 months",
        "uri": "models:/scorer/3",
        "registry_stage": "production",
    }
    dataset = item_values(content, "data")
    assert dataset["purpose"] == "Training"
    assert dataset["provenance"] == "Exported monthly by the data team"
    assert dataset["special_categories"] == "Yes"
    assert dataset["licence"] == "internal"
    component = item_values(content, "components")
    assert component["supplier"] == f"Cloud {system.pk}"
    assert component["supplier_contact"] == "support@cloud.example"
    assert component["responsibilities"] == "Supplier runs it; we validate the features"
    assert item_values(content, "resources")["category"] == "Computing resources"
    evaluation = section(content, "evaluation")
    assert evaluation["notes"] == ["No evaluation results recorded in OpenAIMS yet."]
    assert values(content, "evaluation")["models"] == ["scorer 3: Predicts default within 12 months"]
    limitations = values(content, "limitations")
    assert limitations["personal_data"] == "Yes"
    assert limitations["special_categories"] == ["Loans 0"]
    assert "High-risk" in limitations["classification_conditions"]
    assert values(content, "oversight")["oversight_mode"] == "Human in the loop"
    assert values(content, "controls")["controls"] == [f"ORG-{system.pk} Model cards — Not started"]
    contacts = values(content, "contacts")
    assert contacts["business_owner"] == "Alice Owner (alice@example.org)"
    assert contacts["technical_owner"] == "carl (carl@example.org)"


def test_it_lists_the_recent_life_cycle_transitions(cast):
    from openaims.inventory.lifecycle.transitions import system_transition

    system = documented_system(cast)
    system_transition(actor=cast.users["owner"], system=system, to_stage="design_development", override_reason="pilot")
    system.refresh_from_db()

    lifecycle = values(card_content(system), "lifecycle")

    assert lifecycle["stage"] == "Design & development"
    assert len(lifecycle["transitions"]) == 1
    assert "Inception → Design & development, by Alice Owner" in lifecycle["transitions"][0]


def test_it_shows_what_an_empty_system_lacks_as_gaps(cast):
    system = make_system(cast, name="Chatbot", intended_use="")

    content = card_content(system)
    gaps = [gap["text"] for gap in content["gaps"]]

    for expected in (
        "Identification: business owner not documented",
        "Identification: technical owner not documented",
        "Intended use: intended use not documented",
        "Intended use: intended users not documented",
        "Intended use: foreseeable misuse not documented",
        "Technique and automation: automation level not documented",
        "EU AI Act classification: not classified",
        "Models: no model recorded",
        "Data: no dataset recorded",
        "Resources: no resource recorded",
        "Human oversight: oversight mode not documented",
    ):
        assert expected in gaps
    assert not any(gap.startswith("Third-party components") for gap in gaps), "having no supplier is no gap"
    assert values(content, "classification")["risk_class"] is None
    markdown = card_markdown(content)
    assert "**Intended users:** _Not documented_" in markdown
    assert "_No model recorded._" in markdown
    assert "- Models: no model recorded" in markdown, "the gaps are listed at the top"


def test_it_flags_a_missing_detail_of_a_part(cast):
    system = make_system(cast)
    part_create(actor=cast.users["owner"], system=system, kind="dataset", name="Loans", source="Core banking")

    gaps = [gap["text"] for gap in card_content(system)["gaps"]]

    assert "Data: Loans: provenance not documented" in gaps
    assert not any(gap.startswith("Data: Loans: source") for gap in gaps)
    assert not any(gap.startswith("Data: Loans: licence") for gap in gaps), "a licence is optional"


def test_it_flags_an_out_of_date_classification(cast):
    system = documented_system(cast)
    system = system_update(actor=cast.users["owner"], system=system, purpose="Scores loans and leases")

    content = card_content(system)

    assert "EU AI Act classification: out of date: an input changed since it was made" in [
        gap["text"] for gap in content["gaps"]
    ]
    assert values(content, "classification")["status"].startswith("Out of date")


def test_it_names_the_conditions_a_derogation_rests_on_as_limitations(cast):
    system = make_system(cast)
    classify(
        cast,
        system,
        {
            "annex_iii_points": ["urn:openaims:eu-ai-act:annex-iii.5.b"],
            "derogation_conditions": ["urn:openaims:eu-ai-act:art-6.3.a"],
        },
    )

    content = card_content(system)

    assert values(content, "classification")["risk_class"] == "Minimal risk"
    assert values(content, "limitations")["derogation_conditions"] == ["Art. 6(3)(a) Narrow procedural task"]


def test_it_builds_the_content_in_a_fixed_number_of_queries(cast):
    small = documented_system(cast)
    large = documented_system(cast, name="Fraud", models=6, datasets=5, components=4, resources=4)
    small = AISystem.objects.select_related("organization", "business_owner", "technical_owner").get(pk=small.pk)
    large = AISystem.objects.select_related("organization", "business_owner", "technical_owner").get(pk=large.pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        card_content(small)
    with CaptureQueriesContext(connection) as many:
        content = card_content(large)

    assert len(section(content, "models")["items"]) == 6
    assert len(many) == len(few) <= 10


# --- Markdown --------------------------------------------------------------------------------------

NASTY = "# Loans | *fast* _x_ [click](https://evil.example) <script>alert(1)</script> `code` &amp; ~~gone~~"


def test_it_escapes_markdown_in_user_text(cast):
    system = make_system(
        cast,
        name="# Loans | * _x_",
        purpose="- not a list\n# not a heading\n1. not numbered\n> not a quote\n\n---",
        intended_use=NASTY,
    )

    markdown = card_markdown(card_content(system))

    assert "# System card: AIS-1 \\# Loans \\| \\* \\_x\\_\n" in markdown
    assert (
        "**Purpose:** \\- not a list\\\n\\# not a heading\\\n1\\. not numbered\\\n\\> not a quote\\\n\\---\n"
        in markdown
    )
    assert "<script>" not in markdown
    assert "[click]" not in markdown


def test_the_markdown_renders_user_text_as_written(cast):
    markdown_it = pytest.importorskip("markdown_it")
    system = make_system(
        cast, name="# Loans | * _x_", purpose="- not a list\n# not a heading\n1. one", intended_use=NASTY
    )
    renderer = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])

    html = renderer.render(card_markdown(card_content(system)))

    assert "<h1>System card: AIS-1 # Loans | * _x_</h1>" in html
    assert "- not a list<br />\n# not a heading<br />\n1. one" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<a href" not in html and "<em>fast</em>" not in html and "<code>" not in html.split("Content hash")[0]
    assert "<del>" not in html and "&amp;amp;" in html
    assert html.count("<h1>") == 1 and "<table>" not in html


def test_the_escape_leaves_plain_text_alone():
    assert cards.md_escape("Scores loans (EU), version 2.1") == "Scores loans (EU), version 2.1"
    assert cards.md_escape("a\n\nb", block=True) == "a\\\nb"
    assert cards.md_escape("a\nb") == "a b"


# --- PDF -------------------------------------------------------------------------------------------


def test_it_makes_a_pdf_with_the_system_and_its_sections(cast):
    system = documented_system(cast, name="Credit <b>scoring</b>")
    content = card_content(system)

    pdf = cards.card_pdf(content)

    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf) if PDFTOTEXT else document_text(render_document(cards.card_html(content)))
    for expected in (
        "Acme AI",
        "AIS-1",
        "Credit <b>scoring</b>",
        "Draft",
        "Intended use",
        "Human oversight",
        "Loans 0",
    ):
        assert expected in text
    assert "No evaluation results recorded in OpenAIMS yet." in text


def test_the_pdf_of_a_version_names_the_version_and_its_hash(cast):
    system = documented_system(cast, classified=False)
    version = card_publish(actor=cast.users["manager"], system=system)
    meta = cards.version_meta(version)

    text = document_text(render_document(cards.card_html(version.content, meta)))

    assert "Version 1" in text and version.content_hash in text and "mona" in text


# --- publishing ------------------------------------------------------------------------------------


def test_it_publishes_numbered_versions_with_a_content_hash(cast):
    system = documented_system(cast)

    first = card_publish(actor=cast.users["manager"], system=system, note="  for the deployment gate ")

    assert first.number == 1
    assert first.system_version == system.version
    assert first.content == card_content(system)
    assert first.content_hash == content_hash(first.content) and len(first.content_hash) == 64
    assert first.note == "for the deployment gate"
    assert first.markdown.startswith("# System card: AIS-1 Credit scoring")
    assert f"Content hash (SHA-256): `{first.content_hash}`" in first.markdown
    assert "Version 1" in first.markdown
    event = AuditEvent.objects.filter(organization=cast.org, action="publish_card").get()
    assert event.object_id == str(system.pk)
    assert event.changes_dict["card_version"] == [None, 1]

    system = system_update(actor=cast.users["owner"], system=system, geography="EU, UK")
    second = card_publish(actor=cast.users["owner"], system=system)

    assert second.number == 2 and second.system_version == system.version
    first.refresh_from_db()
    assert values(first.content, "identification")["geography"] == "EU", "a published version never changes"
    assert values(second.content, "identification")["geography"] == "EU, UK"


def test_it_refuses_to_publish_when_nothing_changed(cast):
    system = documented_system(cast)
    card_publish(actor=cast.users["manager"], system=system)

    with pytest.raises(Conflict, match="nothing changed since v1"):
        card_publish(actor=cast.users["manager"], system=system)

    assert SystemCardVersion.objects.filter(system=system).count() == 1


def test_it_refuses_publishing_by_a_contributor(cast):
    system = documented_system(cast)

    with pytest.raises(Forbidden):
        card_publish(actor=cast.users["contributor"], system=system)

    assert not SystemCardVersion.objects.exists()


def test_it_refuses_publishing_for_another_organizations_system(cast):
    system = make_system(cast, org=cast.other_org)

    with pytest.raises(Forbidden):
        card_publish(actor=cast.users["owner"], system=system)


def test_the_panel_says_whether_the_latest_version_is_current(cast):
    system = documented_system(cast, classified=False)
    tenant = tenant_of(cast, "viewer")

    panel = card_panel(tenant, system)
    assert panel["latest"] is None and panel["current"] is None and panel["outdated"] is False
    assert panel["can_publish"] is False
    assert panel["card_url"] == f"/o/acme/systems/{system.pk}/card/"
    assert panel["md_url"] == f"/o/acme/systems/{system.pk}/card.md"

    card_publish(actor=cast.users["owner"], system=system)
    panel = card_panel(tenant_of(cast, "manager"), system)
    assert panel["latest"]["number"] == 1 and panel["current"] is True and panel["outdated"] is False
    assert panel["latest"]["pdf_url"] == f"/o/acme/systems/{system.pk}/card/v1.pdf"
    assert panel["can_publish"] is True

    system = system_update(actor=cast.users["owner"], system=system, intended_users="Credit officers and auditors")
    panel = card_panel(tenant, system)
    assert panel["current"] is False and panel["outdated"] is True


def test_the_file_names_carry_the_reference_the_name_and_the_version(cast):
    content = card_content(make_system(cast, name="Credit scoring"))

    assert cards.card_filename(content, "pdf", 2) == "AIS-1-credit-scoring-card-v2.pdf"
    assert cards.card_filename(content, "md") == "AIS-1-credit-scoring-card-draft.md"
    assert cards.card_filename({"system": {"ref": "AIS-2", "name": "# | *"}}, "md") == "AIS-2-system-card-draft.md"
