"""Impact assessment pages: list (query count pinned), start, edit, workflow buttons, PDF, other organizations."""

from __future__ import annotations

from django.urls import reverse

from openaims.impact.models import Impact, ImpactAssessment, Status
from openaims.impact.services import impact_assessment_create, impact_assessment_submit
from openaims.inventory.services import system_update
from tests.impact.conftest import approved, make_assessment, make_system
from tests.revisions import revision_of


def url(cast, name, *args):
    return reverse(f"impact:{name}", args=[cast.org.slug, *args])


def test_the_list_page_costs_the_same_queries_for_few_and_many_assessments(cast, client_for, django_assert_num_queries):
    client = client_for(cast.users["viewer"])
    approved(cast, make_system(cast, "S1"))
    client.get(url(cast, "list"))  # warm-up
    response = client.get(url(cast, "list"))
    assert response.status_code == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url(cast, "list"))
    for i in range(2, 6):
        approved(cast, make_system(cast, f"S{i}"))
    make_assessment(cast, make_system(cast, "S6"))
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url(cast, "list"))
    assert response.content.count(b'data-ref="IA-') == 6


def test_the_list_flags_and_filters_assessments_needing_review(cast, client_for):
    assessment = approved(cast)
    other = approved(cast, make_system(cast, "Other"))
    system_update(actor=cast.tenant("owner"), system=assessment.system, purpose="Changed purpose")
    client = client_for(cast.users["viewer"])
    response = client.get(url(cast, "list"), {"review_needed": "1"})
    content = response.content.decode()
    assert f'data-ref="{assessment.ref}"' in content and f'data-ref="{other.ref}"' not in content
    assert 'data-testid="review-needed"' in content
    page = client.get(url(cast, "assessment", assessment.pk)).content.decode()
    assert "review-needed-banner" in page and "purpose" in page


def test_a_writer_starts_an_assessment_prefilled_from_the_inventory(cast, client_for):
    system = make_system(cast)
    client = client_for(cast.users["contributor"])
    response = client.post(url(cast, "create"), {"system": system.pk, "trigger": "new_system", "sector": "health"})
    assessment = ImpactAssessment.objects.get(system=system)
    assert response.status_code == 302
    assert assessment.sector == "health" and "health.clinical_safety" in assessment.sections
    page = client.get(url(cast, "assessment", assessment.pk)).content.decode()
    assert "Suggests a triage category" in page and "Clinical safety" in page


def test_bad_impact_input_rerenders_the_page_and_writes_nothing(cast, client_for):
    assessment = make_assessment(cast)
    client = client_for(cast.users["contributor"])
    response = client.post(url(cast, "impact_add", assessment.pk), {"kind": "harm", "description": "", "severity": "9"})
    assert response.status_code == 400 and b"impact-error" in response.content
    assert Impact.objects.filter(assessment=assessment).count() == 1


def test_a_high_harm_added_on_the_page_links_a_risk(cast, client_for):
    assessment = make_assessment(cast)
    client = client_for(cast.users["contributor"])
    data = {
        "kind": "harm",
        "description": "Child under-triaged",
        "severity": "4",
        "likelihood": "3",
        "reversibility": "3",
        "scale": "1",
        "vulnerable_group": "on",
        "affected_party": "Children",
    }
    response = client.post(url(cast, "impact_add", assessment.pk), data, follow=True)
    assert response.status_code == 200 and b'data-testid="risk-link"' in response.content
    assert Impact.objects.get(assessment=assessment, severity=4).risk is not None


def test_a_high_harm_can_be_linked_to_an_existing_risk_on_the_page(cast, client_for):
    from openaims.risk.models import Risk
    from openaims.risk.services import risk_create

    assessment = make_assessment(cast)
    existing = risk_create(
        actor=cast.tenant("owner"), title="Elderly patients under-triaged",
        systems=[assessment.system],
    )  # fmt: skip
    theirs = risk_create(actor=cast.tenant("outsider"), title="Globex risk")
    client = client_for(cast.users["contributor"])
    page = client.get(url(cast, "assessment", assessment.pk)).content.decode()
    assert f"{existing.ref} Elderly patients under-triaged" in page and "Globex risk" not in page
    data = {"kind": "harm", "description": "Elderly under-triaged", "severity": "4", "likelihood": "3",
            "reversibility": "3", "scale": "1"}  # fmt: skip
    count = Risk.objects.count()
    # Another organization's risk is not a choice: the form refuses it and nothing is written.
    response = client.post(url(cast, "impact_add", assessment.pk), {**data, "risk": theirs.pk})
    assert response.status_code == 400 and not Impact.objects.filter(description="Elderly under-triaged").exists()
    response = client.post(url(cast, "impact_add", assessment.pk), {**data, "risk": existing.pk})
    assert response.status_code == 302
    assert Impact.objects.get(description="Elderly under-triaged").risk == existing
    assert Risk.objects.count() == count  # linked, not created


def test_the_assessor_cannot_approve_their_own_assessment_on_the_page(cast, client_for):
    assessment = make_assessment(cast, actor=cast.tenant("manager"))
    impact_assessment_submit(actor=cast.tenant("manager"), assessment=assessment)
    client = client_for(cast.users["manager"])
    page = client.get(url(cast, "assessment", assessment.pk)).content.decode()
    assert "separation of duties" in page and 'data-testid="approve"' not in page
    response = client.post(url(cast, "approve", assessment.pk), {"decision": "Proceed"})
    assert response.status_code == 400 and b"separation of duties" in response.content
    assessment.refresh_from_db()
    assert assessment.status == Status.IN_REVIEW


def test_a_reviewer_approves_and_the_page_shows_the_decision(cast, client_for):
    assessment = make_assessment(cast)
    impact_assessment_submit(actor=cast.tenant("contributor"), assessment=assessment)
    client = client_for(cast.users["manager"])
    response = client.post(url(cast, "approve", assessment.pk), {"decision": "Proceed with measures"}, follow=True)
    assert response.status_code == 200 and b'data-testid="decision"' in response.content
    assert b'data-testid="sections-form"' not in response.content


def test_the_fria_section_appears_for_a_deployer_of_a_high_risk_system(cast, client_for):
    system = make_system(cast, role="deployer")
    system.risk_class = "high_risk"
    system.save(update_fields=["risk_class"])
    assessment = impact_assessment_create(actor=cast.tenant("contributor"), system=system)
    client = client_for(cast.users["contributor"])
    page = client.get(url(cast, "assessment", assessment.pk)).content.decode()
    assert "Art. 27" in page
    data = {"s__scope": "Go-live", "f__persons": "Patients", "revision": revision_of(assessment)}
    client.post(url(cast, "sections", assessment.pk), data)
    assessment.refresh_from_db()
    assert assessment.fria["persons"] == "Patients" and assessment.sections["scope"] == "Go-live"


def test_the_pdf_export_is_a_pdf(cast, client_for):
    assessment = approved(cast)
    response = client_for(cast.users["viewer"]).get(url(cast, "pdf", assessment.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_another_organizations_assessment_is_not_found(cast, client_for):
    theirs = make_system(cast, org=cast.other_org)
    assessment = impact_assessment_create(actor=cast.tenant("outsider"), system=theirs)
    client = client_for(cast.users["owner"])
    assert client.get(url(cast, "assessment", assessment.pk)).status_code == 404
    assert client.post(url(cast, "submit", assessment.pk)).status_code == 404
    response = client.post(url(cast, "create"), {"system": theirs.pk, "trigger": "new_system"})
    assert response.status_code == 400
    assert ImpactAssessment.objects.filter(system=theirs).count() == 1


def test_a_viewer_sees_the_assessment_without_edit_or_review_controls(cast, client_for):
    assessment = make_assessment(cast)
    impact_assessment_submit(actor=cast.tenant("contributor"), assessment=assessment)
    page = client_for(cast.users["viewer"]).get(url(cast, "assessment", assessment.pk)).content.decode()
    assert 'data-testid="sections"' in page
    for control in ("sections-form", "impact-form", 'data-testid="approve"', 'data-testid="submit"'):
        assert control not in page
