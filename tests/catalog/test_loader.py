"""Validate-then-load: precise problems, nothing loaded on any problem, idempotent, versions update in place."""

from __future__ import annotations

import pytest

from openaims.audittrail.models import AuditEvent
from openaims.catalog.loader import CatalogError, load_catalog
from openaims.catalog.models import CatalogNode, Crosswalk, CrosswalkRelation, Framework
from tests.catalog.conftest import FILES, TINY

HEADER = """format: openaims-catalog/1
type: framework
urn: urn:openaims:framework:bad-1
urn_prefix: "urn:openaims:bad-1:"
ref_id: BAD 1
name: Broken
version: 1
copyright: Test.
nodes:
"""


def problems_of(paths) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_catalog(paths)
    return [str(p) for p in caught.value.problems]


def nothing_loaded() -> bool:
    return not Framework.objects.exists() and not CatalogNode.objects.exists() and not Crosswalk.objects.exists()


@pytest.mark.django_db
def test_it_loads_frameworks_nodes_dates_and_crosswalks():
    report = load_catalog(TINY)
    assert report.created == 3
    tiny = Framework.objects.get(urn="urn:openaims:framework:tiny-1")
    nodes = list(tiny.nodes.order_by("order"))
    assert [(n.ref_id, n.depth, n.parent.ref_id if n.parent else None) for n in nodes] == [
        ("A", 0, None),
        ("A.1", 1, "A"),
        ("A.2", 1, "A"),
    ]
    assert nodes[1].typical_evidence == ["A record"] and nodes[1].assessable
    assert tiny.dates.get().applies_to == ["urn:openaims:tiny-1:a"]
    relation = CrosswalkRelation.objects.get()
    assert (relation.source.ref_id, relation.relation, relation.target.ref_id) == ("A.1", "subset", "X")
    assert AuditEvent.objects.filter(organization=None, action="catalog_load").count() == 3


@pytest.mark.django_db
def test_it_is_idempotent():
    load_catalog(TINY)
    events = AuditEvent.objects.count()
    report = load_catalog(TINY)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert CatalogNode.objects.count() == 4 and CrosswalkRelation.objects.count() == 1
    assert AuditEvent.objects.count() == events, "an unchanged load writes nothing"


@pytest.mark.django_db
def test_it_refuses_a_node_without_urn_and_names_it(write_yaml):
    path = write_yaml("bad.yaml", HEADER + '  - {ref_id: "1", kind: clause, title: No urn}\n')
    assert problems_of([path]) == ["bad.yaml: nodes[0] urn: is missing"]
    assert nothing_loaded()


@pytest.mark.django_db
def test_it_refuses_a_duplicate_urn(write_yaml):
    path = write_yaml(
        "bad.yaml",
        HEADER + '  - {urn: "urn:openaims:bad-1:a", kind: clause, title: A}\n'
        '  - {urn: "urn:openaims:bad-1:a", kind: clause, title: A again}\n',
    )
    assert problems_of([path]) == ["bad.yaml: urn:openaims:bad-1:a: duplicate URN (also node #1)"]
    assert nothing_loaded()


@pytest.mark.django_db
def test_it_refuses_a_urn_defined_in_two_files(write_yaml):
    other = write_yaml(
        "again.yaml",
        HEADER.replace("bad-1", "again-1") + '  - {urn: "urn:openaims:again-1:a", kind: clause, title: A}\n',
    )
    clash = write_yaml("clash.yaml", HEADER + '  - {urn: "urn:openaims:bad-1:a", kind: clause, title: A}\n')
    load_catalog([other])
    assert problems_of(
        [
            clash,
            write_yaml(
                "clash2.yaml",
                (FILES / "tiny.yaml").read_text().replace('"urn:openaims:tiny-1:a.2"', '"urn:openaims:tiny-1:a.1"'),
            ),
        ]
    ) == ["clash2.yaml: urn:openaims:tiny-1:a.1: duplicate URN (also node #2)"]


@pytest.mark.django_db
def test_it_refuses_a_dangling_parent(write_yaml):
    path = write_yaml(
        "bad.yaml",
        HEADER + '  - {urn: "urn:openaims:bad-1:a", parent: "urn:openaims:bad-1:zz", kind: clause, title: A}\n',
    )
    assert problems_of([path]) == [
        "bad.yaml: urn:openaims:bad-1:a: dangling parent: no node urn:openaims:bad-1:zz in this framework"
    ]
    assert nothing_loaded()


@pytest.mark.django_db
def test_it_refuses_a_parent_loop(write_yaml):
    path = write_yaml(
        "bad.yaml",
        HEADER + '  - {urn: "urn:openaims:bad-1:a", parent: "urn:openaims:bad-1:b", '
        "kind: clause, title: A}\n"
        '  - {urn: "urn:openaims:bad-1:b", parent: "urn:openaims:bad-1:a", '
        "kind: clause, title: B}\n",
    )
    assert "the parent chain loops back to this node" in problems_of([path])[0]


@pytest.mark.django_db
def test_it_refuses_an_unknown_crosswalk_target_and_loads_no_file_of_the_batch(write_yaml):
    crosswalk = write_yaml(
        "cw.yaml",
        (FILES / "tiny__other.yaml").read_text().replace("urn:openaims:other-1:x", "urn:openaims:other-1:nope"),
    )
    found = problems_of([FILES / "tiny.yaml", FILES / "other.yaml", crosswalk])
    assert found == [
        "cw.yaml: urn:openaims:tiny-1:a.1 -> urn:openaims:other-1:nope: unknown crosswalk target: "
        "no node urn:openaims:other-1:nope in urn:openaims:framework:other-1"
    ]
    assert nothing_loaded(), "the valid framework files of the batch are not loaded either"


@pytest.mark.django_db
def test_it_refuses_unknown_keys_bad_urns_and_bad_yaml(write_yaml):
    extra = write_yaml(
        "extra.yaml", HEADER + '  - {urn: "urn:openaims:bad-1:a", kind: clause, title: A, colour: red}\n'
    )
    assert problems_of([extra]) == ["extra.yaml: nodes[0] urn:openaims:bad-1:a colour: Extra inputs are not permitted"]
    prefix = write_yaml("prefix.yaml", HEADER + '  - {urn: "urn:openaims:elsewhere:a", kind: clause, title: A}\n')
    assert "does not start with the framework's prefix" in problems_of([prefix])[0]
    broken = write_yaml("broken.yaml", "type: framework\nnodes: [\n")
    assert problems_of([broken])[0].startswith("broken.yaml: line ")
    missing_copyright = write_yaml(
        "nocopy.yaml",
        HEADER.replace("copyright: Test.\n", "") + '  - {urn: "urn:openaims:bad-1:a", kind: clause, title: A}\n',
    )
    assert problems_of([missing_copyright]) == ["nocopy.yaml: copyright: is missing"]
    assert nothing_loaded()


@pytest.mark.django_db
def test_a_new_version_updates_in_place_and_retires_dropped_nodes(write_yaml):
    load_catalog(TINY)
    first_id = CatalogNode.objects.get(urn="urn:openaims:tiny-1:a.1").pk
    newer = (
        (FILES / "tiny.yaml").read_text().replace("version: 1", "version: 2").replace("Alpha one", "Alpha one renamed")
    )
    newer = "\n".join(
        line for line in newer.splitlines() if "tiny-1:a.2" not in line and line.strip() != "assessable: true}"
    )
    path = write_yaml("tiny.yaml", newer + "\n")
    report = load_catalog([path])
    assert report.updated == 1
    node = CatalogNode.objects.get(urn="urn:openaims:tiny-1:a.1")
    assert node.pk == first_id and node.title == "Alpha one renamed"
    assert CatalogNode.objects.get(urn="urn:openaims:tiny-1:a.2").retired
    older = write_yaml("old.yaml", (FILES / "tiny.yaml").read_text().replace("Alpha", "Beta"))
    assert problems_of([older]) == ["old.yaml: version: version 1 is older than the loaded version 2"]
