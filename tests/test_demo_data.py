"""The demo organization shows every capability with realistic data (issue acceptance criteria)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from openaims.accounts.models import User
from openaims.catalog.loader import load_catalog
from openaims.demo import seed_demo
from openaims.inventory.models import AISystem, StageTransition
from openaims.risk.models import Risk, RiskStatus
from tests.conftest import FAST_HASHERS, Snapshot

# One process seeds the demo snapshot for all of them (scripts/test runs xdist with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("demo-snapshot")


def seed_shipped_demo() -> None:
    load_catalog()
    seed_demo()


@pytest.fixture(scope="session")
def demo_snapshot(django_db_setup, django_db_blocker) -> Snapshot:
    """The shipped catalogs and the demo, seeded once per test process (~3 s of CPU) and restored per test."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        return Snapshot(seed_shipped_demo)


@pytest.fixture
def demo(db, demo_snapshot):
    demo_snapshot.restore()
    return {u.username: u for u in User.objects.all()}


def test_the_demo_has_ai_systems_across_the_eu_ai_act_classes(demo):
    systems = AISystem.objects.filter(organization__slug="acme-health")
    assert systems.count() >= 5
    assert {"prohibited", "high_risk", "limited_risk", "minimal"} <= set(systems.values_list("risk_class", flat=True))
    assert systems.exclude(stage="inception").count() >= 4
    # Overrides carry the owner's reason and what was missing.
    override = StageTransition.objects.exclude(missing=[]).first()
    assert override is not None and override.override_reason


def test_the_demo_risks_are_assessed_and_some_accepted_by_their_owner(demo):
    risks = Risk.objects.filter(organization__slug="acme-health")
    assert risks.count() >= 3
    assert not risks.filter(status=RiskStatus.IDENTIFIED).exists()
    accepted = risks.filter(status=RiskStatus.ACCEPTED)
    assert accepted.exists()
    for risk in accepted:
        assert risk.owner_id != risk.created_by_id  # separation of duties holds in the demo too


def test_seeding_twice_adds_nothing(demo):
    counts = (AISystem.objects.count(), Risk.objects.count(), StageTransition.objects.count())
    assert seed_demo() == {"users": 0, "organizations": 0}
    assert (AISystem.objects.count(), Risk.objects.count(), StageTransition.objects.count()) == counts


def test_a_demo_system_page_shows_its_risks_and_impact_assessment(demo, client):
    from django.urls import reverse

    system = AISystem.objects.get(organization__slug="acme-health", name="Emergency department triage assistant")
    client.force_login(demo["demo"])
    response = client.get(reverse("inventory:system", args=["acme-health", system.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "High-risk" in page and "Operation &amp; monitoring" in page
    risks = client.get(reverse("inventory:system_risks", args=["acme-health", system.pk])).content.decode()
    assert 'data-testid="system-risks"' in risks and "Triage model under-prioritises elderly patients" in risks
    impact = client.get(reverse("inventory:system_assessments", args=["acme-health", system.pk])).content.decode()
    assert 'data-testid="system-impact"' in impact and "Approved" in impact


def test_the_demo_shows_derived_assessments_dimensions_and_a_suggested_reassessment(demo):
    from openaims.risk.selectors import reassessment_suggested
    from openaims.tenancy.models import Organization

    org = Organization.objects.get(slug="acme-health")
    risks = Risk.objects.filter(organization=org)
    assert risks.filter(assessments__derived_from__gt="").exists()  # carried over from a high harm
    assert risks.filter(inherent_consequences__individuals=5, inherent_consequences__societies=3).exists()
    flagged = risks.filter(reassessment_suggested(org))
    assert list(flagged.values_list("title", flat=True)) == ["Imaging model drifts after scanner upgrade"]
