"""Validate-then-load of catalog files: all files are checked first; one problem and nothing is loaded.

Loading is idempotent (a file whose content hash is already loaded is skipped) and runs in one
transaction. Nodes are matched by URN, so a new content version updates rows in place; a node that a
newer version drops is marked retired rather than deleted, so links to it never dangle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from openaims.audittrail.services import record_event
from openaims.catalog.models import CatalogNode, Crosswalk, CrosswalkRelation, Framework, FrameworkDate
from openaims.catalog.schema import CrosswalkFile, FrameworkFile

DATA_DIR = Path(__file__).resolve().parent / "data"
NODE_FIELDS = [
    "ref_id",
    "kind",
    "title",
    "description",
    "guidance",
    "typical_evidence",
    "annotations",
    "assessable",
    "order",
    "depth",
    "retired",
]


@dataclass(frozen=True)
class Problem:
    file: str
    where: str  # a node URN, a field path, or "" for the whole file
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where + ': ' if self.where else ''}{self.reason}"


class CatalogError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Parsed:
    path: Path
    model: FrameworkFile | CrosswalkFile
    content_hash: str


@dataclass
class LoadReport:
    lines: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def default_files() -> list[Path]:
    return sorted((DATA_DIR / "frameworks").glob("*.yaml")) + sorted((DATA_DIR / "crosswalks").glob("*.yaml"))


def _parse(path: Path) -> tuple[Parsed | None, list[Problem]]:
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [Problem(name, "", f"cannot read: {exc.strerror}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        return None, [Problem(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(raw, dict):
        return None, [Problem(name, "", "the file must be a mapping with 'type: framework' or 'type: crosswalk'")]
    kind = raw.get("type")
    model_class = {"framework": FrameworkFile, "crosswalk": CrosswalkFile}.get(kind)
    if model_class is None:
        return None, [Problem(name, "type", f"must be 'framework' or 'crosswalk', not {kind!r}")]
    try:
        model = model_class.model_validate(raw)
    except ValidationError as exc:
        return None, [_pydantic_problem(name, raw, err) for err in exc.errors()]
    digest = hashlib.sha256(json.dumps(model.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    return Parsed(path, model, digest), []


def _pydantic_problem(name: str, raw: dict, err: dict) -> Problem:
    loc = list(err.get("loc", ()))
    where = ".".join(str(part) for part in loc)
    # Name the node by its URN when the error is inside one, so the author can find it.
    if len(loc) >= 2 and loc[0] in ("nodes", "relations") and isinstance(loc[1], int):
        items = raw.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) and isinstance(items[loc[1]], dict) else {}
        label = item.get("urn") or (f"{item.get('source')} -> {item.get('target')}" if loc[0] == "relations" else "")
        rest = ".".join(str(part) for part in loc[2:])
        where = f"{loc[0]}[{loc[1]}] {label}".strip() + (f" {rest}" if rest else "")
    message = err.get("msg", "invalid")
    if err.get("type") == "missing":
        message = "is missing"
    return Problem(name, where, message)


def _check_framework(parsed: Parsed, seen: dict[str, str]) -> list[Problem]:
    model: FrameworkFile = parsed.model
    name = parsed.path.name
    problems = []
    urns: dict[str, int] = {}
    for index, node in enumerate(model.nodes):
        if not node.urn.startswith(model.urn_prefix):
            problems.append(
                Problem(name, node.urn, f"URN does not start with the framework's prefix {model.urn_prefix}")
            )
        if node.urn in urns:
            problems.append(Problem(name, node.urn, f"duplicate URN (also node #{urns[node.urn] + 1})"))
        elif node.urn in seen:
            problems.append(Problem(name, node.urn, f"duplicate URN (also in {seen[node.urn]})"))
        urns.setdefault(node.urn, index)
    for node in model.nodes:
        if node.parent is not None and node.parent not in urns:
            problems.append(Problem(name, node.urn, f"dangling parent: no node {node.parent} in this framework"))
        if node.parent == node.urn:
            problems.append(Problem(name, node.urn, "a node cannot be its own parent"))
    problems.extend(_cycles(name, model))
    for item in model.dates:
        for urn in item.applies_to:
            if urn not in urns:
                problems.append(Problem(name, f"dates.{item.key}", f"applies to unknown node {urn}"))
    for urn in urns:
        seen.setdefault(urn, name)
    return problems


def _cycles(name: str, model: FrameworkFile) -> list[Problem]:
    parents = {node.urn: node.parent for node in model.nodes}
    problems = []
    for start in parents:
        current, steps = parents.get(start), 0
        while current is not None and steps <= len(parents):
            if current == start:
                problems.append(Problem(name, start, "the parent chain loops back to this node"))
                break
            current, steps = parents.get(current), steps + 1
    return problems


def _check_crosswalk(parsed: Parsed, frameworks: dict[str, set[str]]) -> list[Problem]:
    model: CrosswalkFile = parsed.model
    name = parsed.path.name
    problems = []
    for key in ("source_framework", "target_framework"):
        urn = getattr(model, key)
        if urn not in frameworks:
            problems.append(Problem(name, key, f"unknown framework {urn}"))
    if problems:
        return problems
    source_nodes, target_nodes = frameworks[model.source_framework], frameworks[model.target_framework]
    pairs = set()
    for relation in model.relations:
        label = f"{relation.source} -> {relation.target}"
        if relation.source not in source_nodes:
            problems.append(
                Problem(name, label, f"unknown crosswalk source: no node {relation.source} in {model.source_framework}")
            )
        if relation.target not in target_nodes:
            problems.append(
                Problem(name, label, f"unknown crosswalk target: no node {relation.target} in {model.target_framework}")
            )
        if (relation.source, relation.target) in pairs:
            problems.append(Problem(name, label, "duplicate relation"))
        pairs.add((relation.source, relation.target))
    return problems


def validate_files(paths: Iterable[Path]) -> list[Parsed]:
    """Parse and check every file; raise CatalogError listing every problem found."""
    parsed_files: list[Parsed] = []
    problems: list[Problem] = []
    for path in paths:
        parsed, found = _parse(Path(path))
        problems.extend(found)
        if parsed:
            parsed_files.append(parsed)
    seen_urns: dict[str, str] = {}
    framework_urns: dict[str, str] = {}
    known: dict[str, set[str]] = {}
    for parsed in parsed_files:
        if isinstance(parsed.model, FrameworkFile):
            if parsed.model.urn in framework_urns:
                problems.append(
                    Problem(parsed.path.name, "urn", f"framework also defined in {framework_urns[parsed.model.urn]}")
                )
            framework_urns[parsed.model.urn] = parsed.path.name
            problems.extend(_check_framework(parsed, seen_urns))
            known[parsed.model.urn] = {node.urn for node in parsed.model.nodes}
    # Crosswalks may also point at frameworks loaded earlier and not part of this batch.
    for framework in Framework.objects.exclude(urn__in=known.keys()):
        known[framework.urn] = set(framework.nodes.values_list("urn", flat=True))
    for parsed in parsed_files:
        if isinstance(parsed.model, CrosswalkFile):
            problems.extend(_check_crosswalk(parsed, known))
    if problems:
        raise CatalogError(problems)
    return parsed_files


def load_catalog(paths: Iterable[Path] | None = None, *, actor=None) -> LoadReport:
    """Validate all files, then load them in one transaction. Raises CatalogError and loads nothing on a problem."""
    parsed_files = validate_files(list(paths) if paths is not None else default_files())
    report = LoadReport()
    with transaction.atomic():
        for parsed in parsed_files:
            if isinstance(parsed.model, FrameworkFile):
                _load_framework(parsed, report, actor)
        for parsed in parsed_files:
            if isinstance(parsed.model, CrosswalkFile):
                _load_crosswalk(parsed, report, actor)
    return report


def _load_framework(parsed: Parsed, report: LoadReport, actor) -> None:
    model: FrameworkFile = parsed.model
    existing = Framework.objects.filter(urn=model.urn).first()
    if existing and existing.content_hash == parsed.content_hash:
        report.unchanged += 1
        report.lines.append(f"{model.ref_id}: unchanged (version {existing.version})")
        return
    if existing and existing.version > model.version:
        raise CatalogError(
            [
                Problem(
                    parsed.path.name,
                    "version",
                    f"version {model.version} is older than the loaded version {existing.version}",
                )
            ]
        )
    fields = {
        "ref_id": model.ref_id,
        "name": model.name,
        "version": model.version,
        "publisher": model.publisher,
        "description": model.description,
        "copyright": model.copyright,
        "source": model.source,
        "content_hash": parsed.content_hash,
        "loaded_at": timezone.now(),
    }
    old_version = existing.version if existing else None
    framework, created = Framework.objects.update_or_create(urn=model.urn, defaults=fields)
    created_count, updated_count, retired = _sync_nodes(framework, model)
    FrameworkDate.objects.filter(framework=framework).delete()
    FrameworkDate.objects.bulk_create(
        [
            FrameworkDate(framework=framework, key=d.key, date=d.date, label=d.label, applies_to=d.applies_to)
            for d in model.dates
        ]
    )
    record_event(
        actor=actor,
        organization=None,
        obj=framework,
        action="catalog_load",
        changes={
            "version": [old_version, model.version],
            "nodes_created": [None, created_count],
            "nodes_updated": [None, updated_count],
            "nodes_retired": [None, retired],
        },
    )
    if created:
        report.created += 1
    else:
        report.updated += 1
    report.lines.append(
        f"{model.ref_id}: {'loaded' if created else 'updated to'} version {model.version} "
        f"({created_count} new, {updated_count} updated, {retired} retired nodes)"
    )


def _sync_nodes(framework: Framework, model: FrameworkFile) -> tuple[int, int, int]:
    """Create, update and retire the framework's nodes to match the file; returns (created, updated, retired)."""
    current = {node.urn: node for node in CatalogNode.objects.filter(framework=framework)}
    depth = _depths(model)
    to_create, to_update = [], []
    for order, node in enumerate(model.nodes):
        values = {
            "ref_id": node.ref_id,
            "kind": node.kind,
            "title": node.title,
            "description": node.description,
            "guidance": node.guidance,
            "typical_evidence": node.typical_evidence,
            "annotations": node.annotations,
            "assessable": node.assessable,
            "order": order,
            "depth": depth[node.urn],
            "retired": False,
        }
        row = current.get(node.urn)
        if row is None:
            to_create.append(CatalogNode(framework=framework, urn=node.urn, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
            to_update.append(row)
    CatalogNode.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        CatalogNode.objects.bulk_update(to_update, NODE_FIELDS, batch_size=500)
    kept = {node.urn for node in model.nodes}
    retired = CatalogNode.objects.filter(framework=framework).exclude(urn__in=kept).update(retired=True)
    ids = dict(CatalogNode.objects.filter(framework=framework).values_list("urn", "id"))
    rows = list(CatalogNode.objects.filter(framework=framework, urn__in=kept))
    parents = {node.urn: node.parent for node in model.nodes}
    for row in rows:
        row.parent_id = ids.get(parents[row.urn]) if parents[row.urn] else None
    CatalogNode.objects.bulk_update(rows, ["parent"], batch_size=500)
    return len(to_create), len(to_update), retired


def _depths(model: FrameworkFile) -> dict[str, int]:
    parents = {node.urn: node.parent for node in model.nodes}
    depths: dict[str, int] = {}

    def depth(urn: str) -> int:
        if urn not in depths:
            parent = parents[urn]
            depths[urn] = 0 if parent is None else depth(parent) + 1
        return depths[urn]

    for urn in parents:
        depth(urn)
    return depths


def _load_crosswalk(parsed: Parsed, report: LoadReport, actor) -> None:
    model: CrosswalkFile = parsed.model
    existing = Crosswalk.objects.filter(urn=model.urn).first()
    if existing and existing.content_hash == parsed.content_hash:
        report.unchanged += 1
        report.lines.append(f"{model.name}: unchanged (version {existing.version})")
        return
    frameworks = {f.urn: f for f in Framework.objects.filter(urn__in=[model.source_framework, model.target_framework])}
    crosswalk, created = Crosswalk.objects.update_or_create(
        urn=model.urn,
        defaults={
            "name": model.name,
            "version": model.version,
            "source_framework": frameworks[model.source_framework],
            "target_framework": frameworks[model.target_framework],
            "official": model.official,
            "note": model.note,
            "content_hash": parsed.content_hash,
            "loaded_at": timezone.now(),
        },
    )
    urns = {r.source for r in model.relations} | {r.target for r in model.relations}
    ids = dict(CatalogNode.objects.filter(urn__in=urns).values_list("urn", "id"))
    CrosswalkRelation.objects.filter(crosswalk=crosswalk).delete()
    CrosswalkRelation.objects.bulk_create(
        [
            CrosswalkRelation(
                crosswalk=crosswalk,
                source_id=ids[r.source],
                target_id=ids[r.target],
                relation=r.relation,
                rationale=r.rationale,
            )
            for r in model.relations
        ],
        batch_size=500,
    )
    record_event(
        actor=actor,
        organization=None,
        obj=crosswalk,
        action="catalog_load",
        changes={
            "version": [existing.version if existing else None, model.version],
            "relations": [None, len(model.relations)],
        },
    )
    report.created += int(created)
    report.updated += int(not created)
    report.lines.append(
        f"{model.name}: {'loaded' if created else 'updated to'} version {model.version} "
        f"({len(model.relations)} relations)"
    )
