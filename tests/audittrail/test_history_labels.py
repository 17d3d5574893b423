"""History pages speak to people: fields and actions by their labels, and only values that really changed."""

from __future__ import annotations

from django.urls import reverse

from openaims.audittrail import registry
from openaims.audittrail.models import AuditEvent
from openaims.controls.services import control_create_custom, control_link_system
from tests.impact.conftest import make_assessment, make_system
from tests.revisions import revision_of


def history(client, object_type, pk) -> str:
    return client.get(reverse("audittrail:history", args=["acme", object_type, pk])).content.decode()


def test_resubmitting_prefilled_sections_unchanged_records_nothing(cast, client_for):
    assessment = make_assessment(cast)
    assessment.refresh_from_db()
    assert any("\n" in value for value in assessment.sections.values()), "some pre-filled text spans lines"
    before = AuditEvent.objects.filter(object_type="impact.impactassessment", object_id=str(assessment.pk)).count()
    # What a browser sends back: every section as shown, lines ending in CRLF.
    data = {f"s__{key}": value.replace("\n", "\r\n") for key, value in assessment.sections.items()}
    data["revision"] = revision_of(assessment)
    response = client_for(cast.users["contributor"]).post(
        reverse("impact:sections", args=["acme", assessment.pk]), data
    )
    assert response.status_code == 302
    after = AuditEvent.objects.filter(object_type="impact.impactassessment", object_id=str(assessment.pk)).count()
    assert after == before, "unchanged pre-filled sections are not a change"


def test_the_history_names_sections_and_actions_for_people(cast, client_for):
    assessment = make_assessment(cast)  # an ML system: the classifier template's questions
    client = client_for(cast.users["contributor"])
    client.post(
        reverse("impact:sections", args=["acme", assessment.pk]),
        {"s__ml_classifier.drift": "Weekly population stability index", "revision": revision_of(assessment)},
    )
    content = history(client_for(cast.users["viewer"]), "impact.impactassessment", assessment.pk)
    assert "Data and concept drift" in content and ">sections.ml_classifier.drift<" not in content
    assert ">Changed<" in content and "Weekly population stability index" in content

    control = control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Cards")
    control_link_system(actor=cast.tenant("owner"), control=control, system=make_system(cast, "Second"))
    content = history(client_for(cast.users["viewer"]), "controls.control", control.pk)
    assert "Applied to an AI system" in content and ">link_system<" not in content


def test_an_unregistered_field_still_reads_as_words():
    assert registry.field_label("nobody.thing", "sections.some_part.sub_item") == "Sections / Some part / Sub item"
    assert registry.action_label("nobody.thing", "link_system") == "Link system"
    assert registry.labelled_changes("nobody.thing", {"a": [1, 1], "b": [None, 2]}) == [("b", "B", None, 2)]


def test_the_organization_log_names_fields_actions_and_types_for_people(cast, client_for):
    assessment = make_assessment(cast)
    client_for(cast.users["contributor"]).post(
        reverse("impact:sections", args=["acme", assessment.pk]),
        {"s__ml_classifier.drift": "Weekly population stability index", "revision": revision_of(assessment)},
    )
    control = control_create_custom(actor=cast.tenant("owner"), ref_id="ORG-1", title="Cards")
    control_link_system(actor=cast.tenant("owner"), control=control, system=make_system(cast, "Second"))
    manager = client_for(cast.users["manager"])
    content = manager.get(reverse("audittrail:log", args=["acme"])).content.decode()
    assert "Data and concept drift" in content and ">sections.ml_classifier.drift<" not in content
    assert "Applied to an AI system" in content and ">link_system<" not in content
    assert ">controls.control<" not in content, "object types read as their titles"
    filtered = manager.get(reverse("audittrail:log", args=["acme"]), {"object_type": "controls.control"})
    assert 'value="controls.control" selected' in filtered.content.decode()
