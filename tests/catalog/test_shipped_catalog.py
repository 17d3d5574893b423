"""The catalog we ship: valid, complete where the standard fixes the numbers, loadable."""

from __future__ import annotations

from collections import Counter

import pytest

from openaims.catalog.loader import default_files, load_catalog, validate_files
from openaims.catalog.models import CatalogNode, Crosswalk

ANNEX_A = {
    "A.2.2",
    "A.2.3",
    "A.2.4",
    "A.3.2",
    "A.3.3",
    "A.4.2",
    "A.4.3",
    "A.4.4",
    "A.4.5",
    "A.4.6",
    "A.5.2",
    "A.5.3",
    "A.5.4",
    "A.5.5",
    "A.6.1.2",
    "A.6.1.3",
    "A.6.2.2",
    "A.6.2.3",
    "A.6.2.4",
    "A.6.2.5",
    "A.6.2.6",
    "A.6.2.7",
    "A.6.2.8",
    "A.7.2",
    "A.7.3",
    "A.7.4",
    "A.7.5",
    "A.7.6",
    "A.8.2",
    "A.8.3",
    "A.8.4",
    "A.8.5",
    "A.9.2",
    "A.9.3",
    "A.9.4",
    "A.10.2",
    "A.10.3",
    "A.10.4",
}


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return {parsed.model.urn: parsed.model for parsed in validate_files(default_files())}


def kinds(model) -> Counter:
    return Counter(node.kind for node in model.nodes)


def test_iso42001_annex_a_has_exactly_the_38_controls(shipped):
    model = shipped["urn:openaims:framework:iso42001-2023"]
    assert {n.ref_id for n in model.nodes if n.kind == "control"} == ANNEX_A


def test_iso42001_has_every_auditable_subclause_with_requirements(shipped):
    model = shipped["urn:openaims:framework:iso42001-2023"]
    refs = {n.ref_id for n in model.nodes if n.kind == "clause"}
    for clause in [
        "4.1",
        "4.4",
        "6.1.1",
        "6.1.2",
        "6.1.3",
        "6.1.4",
        "7.5.3",
        "9.2.1",
        "9.2.2",
        "9.3.1",
        "9.3.3",
        "10.2",
    ]:
        assert clause in refs
    requirement_parents = {n.parent for n in model.nodes if n.kind == "requirement"}
    assert "urn:openaims:iso42001-2023:6.1.3" in requirement_parents
    assert sum(1 for n in model.nodes if n.kind == "requirement") >= 100
    assert {n.ref_id for n in model.nodes if n.kind == "objective"} == {f"C.2.{i}" for i in range(1, 12)}
    assert {n.ref_id for n in model.nodes if n.kind == "risk_source"} == {f"C.3.{i}" for i in range(1, 8)}


def test_nist_ai_rmf_has_4_functions_19_categories_72_subcategories(shipped):
    counts = kinds(shipped["urn:openaims:framework:nist-ai-rmf-1.0"])
    assert (counts["function"], counts["category"], counts["subcategory"]) == (4, 19, 72)


def test_iso27001_annex_a_has_93_controls_in_four_themes(shipped):
    model = shipped["urn:openaims:framework:iso27001-2022"]
    themes = Counter(n.ref_id.rsplit(".", 1)[0] for n in model.nodes if n.kind == "control")
    assert themes == {"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34}


def test_eu_ai_act_has_prohibitions_obligations_annex_iii_and_dates(shipped):
    model = shipped["urn:openaims:framework:eu-ai-act"]
    urns = {n.urn for n in model.nodes}
    assert {f"urn:openaims:eu-ai-act:art-5.1.{p}" for p in "abcdefgh"} <= urns
    assert "urn:openaims:eu-ai-act:annex-iii.5.b" in urns
    assert {
        "urn:openaims:eu-ai-act:art-9",
        "urn:openaims:eu-ai-act:art-26",
        "urn:openaims:eu-ai-act:art-27",
        "urn:openaims:eu-ai-act:art-72",
        "urn:openaims:eu-ai-act:art-73",
    } <= urns
    assert len(model.dates) >= 4


def test_crosswalks_are_marked_as_our_own_mapping_and_cover_every_annex_a_control(shipped):
    crosswalks = [m for m in shipped.values() if getattr(m, "type", "") == "crosswalk"]
    assert {(c.source_framework, c.target_framework) for c in crosswalks} >= {
        ("urn:openaims:framework:iso42001-2023", "urn:openaims:framework:nist-ai-rmf-1.0"),
        ("urn:openaims:framework:iso42001-2023", "urn:openaims:framework:eu-ai-act"),
    }
    assert not any(c.official for c in crosswalks)
    nist = next(c for c in crosswalks if c.target_framework.endswith("nist-ai-rmf-1.0"))
    mapped = {r.source.rsplit(":", 1)[1].upper() for r in nist.relations}
    assert mapped >= ANNEX_A


@pytest.mark.django_db
def test_the_shipped_catalog_loads_and_reloads_unchanged():
    first = load_catalog()
    assert first.created >= 6
    second = load_catalog()
    assert second.created == second.updated == 0
    assert (
        CatalogNode.objects.filter(
            framework__urn="urn:openaims:framework:iso42001-2023", kind="control", assessable=True
        ).count()
        == 38
    )
    assert Crosswalk.objects.count() >= 2


def test_every_shipped_framework_page_renders(cast, client_for):
    from django.urls import reverse

    from openaims.catalog.models import Framework
    from openaims.catalog.selectors import framework_slug

    load_catalog()
    client = client_for(cast.users["viewer"])
    listing = client.get(reverse("catalog:frameworks", args=["acme"]))
    assert listing.status_code == 200
    for framework in Framework.objects.all():
        slug = framework_slug(framework)
        assert reverse("catalog:framework", args=["acme", slug]) in listing.content.decode()
        page = client.get(reverse("catalog:framework", args=["acme", slug]), {"q": "a"})
        assert page.status_code == 200, slug
    node = CatalogNode.objects.get(urn="urn:openaims:iso42001-2023:a.6.2.6")
    detail = client.get(reverse("catalog:node", args=["acme", node.urn]))
    assert detail.status_code == 200 and "MEASURE" in detail.content.decode(), "crosswalk mappings are shown"
