"""OSCAL exports built with compliance-trestle's pydantic models (OSCAL 1.2).

- `framework_to_oscal_catalog(framework)`: a catalog of ours as an OSCAL catalog. Headings become groups,
  assessable nodes controls, our description the control's `statement` part.
- `soa_component_definition(rows, meta)`: the organization's AI management system as one component whose
  implemented requirements are the SoA's included controls.
- `soa_system_security_plan(rows, meta)`: the same as a system security plan.

The SoA functions take rows shaped like `SoARow.as_dict()` (what `SoAVersion.rows` stores), so the current
SoA and a published version export alike. Identifiers are OSCAL tokens derived from the catalog URN's tail
(`urn:openaims:iso42001-2023:a.6.2.4` → `a-6-2-4`), identical in the catalog and the implementation
documents; UUIDs are derived from the content (UUID v5), so the same input gives the same document.

trestle and its dependency tree take half a second to import: it is imported inside the functions, so
importing this module (which registers the export formats) stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import defaultdict
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder

from openaims.catalog.models import CatalogNode, Framework
from openaims.catalog.selectors import framework_slug
from openaims.controls.exports import ExportFormat, SoAMeta, register, row_from_dict
from openaims.controls.models import Applicability, ImplementationStatus
from openaims.lib.errors import ServiceError

# Properties and parts of our own (names OSCAL does not define) live in this namespace.
NS = "urn:openaims:oscal"
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:openaims:oscal")
COMPONENT_TITLE = "AI Management System"

# OSCAL `token`: starts with a letter or underscore, then letters, digits, '_', '-' or '.'.
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_\-]+")

# Our implementation status → OSCAL's implementation-status state.
OSCAL_STATE = {
    ImplementationStatus.IMPLEMENTED: "implemented",
    ImplementationStatus.PARTIAL: "partial",
    ImplementationStatus.PLANNED: "planned",
    ImplementationStatus.NOT_STARTED: "planned",
    ImplementationStatus.NOT_APPLICABLE: "not-applicable",
}
_STATUS_LABEL = dict(ImplementationStatus.choices)


def oscal_token(text: str) -> str:
    """`a.6.2.4` → `a-6-2-4`; `4.1.r1` → `_4-1-r1` (a token cannot start with a digit)."""
    token = _NOT_TOKEN.sub("-", text.strip()).strip("-") or "_"
    if not (token[0].isascii() and (token[0].isalpha() or token[0] == "_")):
        token = "_" + token
    return token


def _unique(base: str, taken: set[str]) -> str:
    token, n = base, 2
    while token in taken:
        token, n = f"{base}_{n}", n + 1
    taken.add(token)
    return token


def node_ids(framework: Framework) -> dict[str, str]:
    """URN → OSCAL id for every node of the framework (retired ones too, so ids never move)."""
    taken: set[str] = set()
    # urn:openaims:framework:iso42001-2023 → its nodes are urn:openaims:iso42001-2023:<tail>
    prefix = f"urn:openaims:{framework_slug(framework)}:"
    urns = CatalogNode.objects.filter(framework=framework).order_by("order", "pk").values_list("urn", flat=True)
    return {urn: _unique(oscal_token(_tail(urn, prefix)), taken) for urn in urns}


def _tail(urn: str, prefix: str) -> str:
    return urn[len(prefix) :] if urn.startswith(prefix) else urn.rsplit(":", 1)[-1]


def catalog_href(framework: Framework) -> str:
    """Where an implementation document finds the catalog: trestle's workspace layout."""
    return f"trestle://catalogs/{framework_slug(framework)}/catalog.json"


def _line(text: str) -> str:
    return " ".join(str(text).split())


def _uuid(*parts) -> str:
    return str(uuid.uuid5(_UUID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _metadata(*, title: str, version: str, last_modified: datetime, props=None, remarks=None, parties=None):
    # trestle takes ~1 s to import: only when exporting (module docstring)
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal.common import Metadata

    return Metadata(
        title=_line(title),
        last_modified=_aware(last_modified).replace(microsecond=0),
        version=version,
        oscal_version=OSCAL_VERSION,
        props=props or None,
        parties=parties or None,
        remarks=remarks or None,
    )


def _prop(name: str, value, *, ns: str | None = NS):
    # trestle takes ~1 s to import: only when exporting (module docstring)
    from trestle.oscal.common import Property

    return Property(name=name, value=_line(value), ns=ns)


# ---------------------------------------------------------------------------------------------- catalog


def framework_to_oscal_catalog(framework: Framework):
    """Our catalog as an OSCAL `Catalog`.

    OSCAL lets a group hold either groups or controls, not both. Where one of our headings has both, its
    informational children (no assessable node below them: provisions, objectives…) become parts of the
    group; if headings with controls below them remain, the heading's own controls are gathered in a
    sub-group `<id>-controls`. Informational children of a control become parts of the control, assessable
    ones nested controls.
    """
    from trestle.oscal.catalog import Catalog  # trestle takes ~1 s to import: loaded only when exporting

    builder = _CatalogBuilder(framework)
    top = builder.children[None]
    return Catalog(
        uuid=_uuid("catalog", framework.urn, framework.version, framework.content_hash),
        metadata=_metadata(
            title=framework.name,
            version=str(framework.version),
            last_modified=framework.loaded_at,
            props=[_prop("framework-urn", framework.urn), _prop("ref-id", framework.ref_id)],
            remarks="\n\n".join(t for t in (framework.description, framework.copyright, framework.source) if t),
        ),
        controls=[builder.control(n) for n in top if n.assessable] or None,
        groups=[builder.group(n) for n in top if not n.assessable] or None,
    )


class _CatalogBuilder:
    """The catalog's nodes as OSCAL parts, controls and groups (see `framework_to_oscal_catalog`)."""

    def __init__(self, framework: Framework):
        self.ids = node_ids(framework)
        self.children: dict[int | None, list[CatalogNode]] = defaultdict(list)
        for node in CatalogNode.objects.filter(framework=framework, retired=False).order_by("order", "pk"):
            self.children[node.parent_id].append(node)
        self._holds_controls: dict[int, bool] = {}

    def has_assessable(self, node: CatalogNode) -> bool:
        if node.pk not in self._holds_controls:
            self._holds_controls[node.pk] = any(c.assessable or self.has_assessable(c) for c in self.children[node.pk])
        return self._holds_controls[node.pk]

    def props(self, node: CatalogNode) -> list:
        out = [_prop("label", node.ref_id, ns=None)] if node.ref_id.strip() else []
        out += [_prop("ref-id", node.ref_id)] if node.ref_id.strip() else []
        return [*out, _prop("kind", node.kind), _prop("urn", node.urn)]

    def title(self, node: CatalogNode) -> str:
        return _line(node.title) or _line(node.ref_id) or self.ids[node.urn]

    def info_part(self, node: CatalogNode):
        from trestle.oscal.common import Part  # trestle is imported only when exporting (see above)

        return Part(
            id=self.ids[node.urn],
            name=oscal_token(node.kind),
            ns=NS,
            title=_line(f"{node.ref_id} {node.title}") or self.ids[node.urn],
            props=self.props(node),
            prose=node.description or None,
            parts=[self.info_part(c) for c in self.children[node.pk]] or None,
        )

    def control(self, node: CatalogNode):
        from trestle.oscal.catalog import Control  # trestle is imported only when exporting (see above)
        from trestle.oscal.common import Part

        node_id = self.ids[node.urn]
        parts = []
        if node.description:
            parts.append(Part(id=f"{node_id}_smt", name="statement", prose=node.description))
        if node.guidance:
            parts.append(Part(id=f"{node_id}_gdn", name="guidance", prose=node.guidance))
        if node.typical_evidence:
            evidence = "\n".join(f"- {item}" for item in node.typical_evidence)
            parts.append(Part(id=f"{node_id}_evd", name="typical-evidence", ns=NS, prose=evidence))
        kids = self.children[node.pk]
        parts += [self.info_part(c) for c in kids if not (c.assessable or self.has_assessable(c))]
        return Control(
            id=node_id,
            class_=oscal_token(node.kind),
            title=self.title(node),
            props=self.props(node),
            parts=parts or None,
            # A heading below a control (rare) nests as a control too, so the controls under it stay.
            controls=[self.control(c) for c in kids if c.assessable or self.has_assessable(c)] or None,
        )

    def group(self, node: CatalogNode):
        from trestle.oscal.catalog import Group1, Group2  # trestle is imported only when exporting (see above)
        from trestle.oscal.common import Part

        node_id = self.ids[node.urn]
        kids = self.children[node.pk]
        controls = [self.control(c) for c in kids if c.assessable]
        structural = [c for c in kids if not c.assessable and self.has_assessable(c)]
        informational = [c for c in kids if not c.assessable and not self.has_assessable(c)]
        parts = [Part(id=f"{node_id}_ovw", name="overview", prose=node.description)] if node.description else []
        common = {"id": node_id, "class_": oscal_token(node.kind), "title": self.title(node), "props": self.props(node)}
        if controls and (structural or informational):
            parts += [self.info_part(c) for c in informational]
            if not structural:
                return Group2(**common, parts=parts or None, controls=controls)
            gathered = Group2(
                id=_unique_sub(node_id, self.ids), title=f"{self.title(node)} (controls)", controls=controls
            )
            return Group1(**common, parts=parts or None, groups=[gathered, *(self.group(c) for c in structural)])
        if controls:
            return Group2(**common, parts=parts or None, controls=controls)
        return Group1(**common, parts=parts or None, groups=[self.group(c) for c in kids] or None)


def _unique_sub(node_id: str, ids: dict[str, str]) -> str:
    return _unique(f"{node_id}-controls", set(ids.values()))


def oscal_json(model) -> bytes:
    """The document wrapped in its top-level key (`{"catalog": {...}}`), indented, UTF-8."""
    return model.oscal_serialize_json_bytes(pretty=True) + b"\n"


def catalog_json(framework: Framework) -> bytes:
    return oscal_json(framework_to_oscal_catalog(framework))


# ------------------------------------------------------------------------------------- implementation


class _Implemented:
    """The included controls of the SoA rows, grouped by the framework they come from (None: own controls)."""

    def __init__(self, rows: list[dict], slug: str):
        included = [r for r in rows if r.get("applicability") == Applicability.INCLUDED]
        urns = [r["urn"] for r in included if r.get("urn")]
        frameworks = _frameworks_by_urn(urns)
        ids = {f.pk: node_ids(f) for f in {f.pk: f for f in frameworks.values()}.values()}
        self.groups: dict[Framework | None, list[tuple[str, dict]]] = defaultdict(list)
        own_taken: set[str] = set()
        for row in included:
            framework = frameworks.get(row.get("urn"))
            if framework is not None:
                self.groups[framework].append((ids[framework.pk][row["urn"]], row))
            else:
                self.groups[None].append((_unique(oscal_token(row["ref_id"]), own_taken), row))
        self.slug = slug

    def sources(self):
        """(source href, description, [(control id, row)]) per framework, own controls last."""
        for framework in sorted((f for f in self.groups if f is not None), key=lambda f: f.name):
            yield catalog_href(framework), f"Controls of {framework.name}.", self.groups[framework]
        if self.groups.get(None):
            yield (
                f"trestle://catalogs/{self.slug}-own-controls/catalog.json",
                "The organization's own controls (not part of a published catalog).",
                self.groups[None],
            )

    def control_ids(self) -> list[str]:
        return [control_id for _, _, items in self.sources() for control_id, _ in items]


def _frameworks_by_urn(urns: list[str]) -> dict[str, Framework]:
    nodes = CatalogNode.objects.filter(urn__in=urns).select_related("framework")
    return {node.urn: node.framework for node in nodes}


def implementation_text(row: dict) -> str:
    """What the implemented requirement says: status, then why the control is included."""
    soa_row = row_from_dict(row)
    lines = [f"Implementation status: {_STATUS_LABEL.get(soa_row.status, soa_row.status)}."]
    if soa_row.owner:
        lines.append(f"Owner: {soa_row.owner}.")
    lines.append(f"Evidence: {soa_row.evidence_current} current of {soa_row.evidence_total}.")
    reasons = soa_row.reasons
    lines += ["Reasons for inclusion:", *(f"- {reason}" for reason in reasons)] if reasons else ["No reason given."]
    return "\n".join(lines)


def _row_props(row: dict) -> list:
    props = [
        _prop("label", row["ref_id"], ns=None),
        _prop("applicability", row["applicability"]),
        _prop("implementation-status", row["status"]),
        _prop("evidence-current", row.get("evidence_current", 0)),
        _prop("evidence-total", row.get("evidence_total", 0)),
    ]
    if row.get("urn"):
        props.append(_prop("urn", row["urn"]))
    props += [_prop("flag", flag) for flag in row.get("flags", [])]
    return props


def _rows_hash(rows: list[dict], meta: SoAMeta) -> str:
    if meta.content_hash:
        return meta.content_hash
    return hashlib.sha256(json.dumps(rows, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()


def _document_metadata(kind: str, meta: SoAMeta, rows: list[dict]):
    # trestle takes ~1 s to import: only when exporting (module docstring)
    from trestle.oscal.common import Parties

    version = f"SoA v{meta.version}" if meta.version is not None else "current (unpublished)"
    remarks = (
        f"Statement of Applicability version {meta.version}, approved by {meta.approved_by} on {meta.approved_on}."
        if meta.version is not None
        else "The current, unpublished state of the Statement of Applicability."
    )
    return _metadata(
        title=f"{meta.organization}: {COMPONENT_TITLE} ({kind})",
        version=version,
        last_modified=meta.generated_at,
        props=[_prop("content-hash", _rows_hash(rows, meta))],
        parties=[Parties(uuid=_uuid("party", meta.slug), type="organization", name=meta.organization)],
        remarks=remarks,
    )


def soa_component_definition(rows: list[dict], meta: SoAMeta):
    # trestle takes ~1 s to import: only when exporting (module docstring)
    from trestle.oscal.component import ComponentDefinition, ControlImplementation, DefinedComponent
    from trestle.oscal.component import ImplementedRequirement as ComponentRequirement

    digest = _rows_hash(rows, meta)
    implemented = _Implemented(rows, meta.slug)
    implementations = [
        ControlImplementation(
            uuid=_uuid("component-implementation", meta.slug, digest, source),
            source=source,
            description=description,
            implemented_requirements=[
                ComponentRequirement(
                    uuid=_uuid("component-requirement", meta.slug, digest, source, control_id),
                    control_id=control_id,
                    description=implementation_text(row),
                    props=_row_props(row),
                )
                for control_id, row in items
            ],
        )
        for source, description, items in implemented.sources()
    ]
    component = DefinedComponent(
        uuid=_uuid("component", meta.slug),
        type="process-procedure",
        title=COMPONENT_TITLE,
        description=f"The AI management system (ISO/IEC 42001) of {meta.organization}: its policies, processes "
        "and controls, as declared in its Statement of Applicability.",
        control_implementations=implementations or None,
    )
    return ComponentDefinition(
        uuid=_uuid("component-definition", meta.slug, digest),
        metadata=_document_metadata("component definition", meta, rows),
        components=[component],
    )


def soa_system_security_plan(rows: list[dict], meta: SoAMeta):
    from trestle.oscal.common import Status, SystemComponent  # trestle: imported only when exporting
    from trestle.oscal.ssp import ControlImplementation, ImportProfile, SystemImplementation, SystemSecurityPlan

    digest = _rows_hash(rows, meta)
    implemented = _Implemented(rows, meta.slug)
    component_uuid = _uuid("system-component", meta.slug)
    requirements = _ssp_requirements(implemented, meta, digest, component_uuid)
    if not requirements:
        raise ServiceError("the SoA includes no controls yet, so there is no implementation to export")
    return SystemSecurityPlan(
        uuid=_uuid("ssp", meta.slug, digest),
        metadata=_document_metadata("system security plan", meta, rows),
        import_profile=ImportProfile(
            href=f"trestle://profiles/{meta.slug}-soa/profile.json",
            remarks="The profile selecting the SoA's included controls from the catalogs named in the props.",
        ),
        system_characteristics=_ssp_characteristics(implemented, meta),
        system_implementation=SystemImplementation(
            components=[
                SystemComponent(
                    uuid=component_uuid,
                    type="this-system",
                    title=COMPONENT_TITLE,
                    description=f"The AI management system of {meta.organization}.",
                    status=Status(state="operational"),
                )
            ]
        ),
        control_implementation=ControlImplementation(
            description="The controls the Statement of Applicability includes, with their implementation status "
            "and the reasons for their inclusion.",
            implemented_requirements=requirements,
        ),
    )


def _ssp_requirements(implemented: _Implemented, meta: SoAMeta, digest: str, component_uuid: str) -> list:
    from trestle.oscal.common import ImplementationStatus as OscalStatus  # trestle: imported only when exporting
    from trestle.oscal.ssp import ByComponent, ImplementedRequirement

    return [
        ImplementedRequirement(
            uuid=_uuid("ssp-requirement", meta.slug, digest, source, control_id),
            control_id=control_id,
            props=_row_props(row),
            by_components=[
                ByComponent(
                    component_uuid=component_uuid,
                    uuid=_uuid("ssp-by-component", meta.slug, digest, source, control_id),
                    description=implementation_text(row),
                    implementation_status=OscalStatus(
                        state=OSCAL_STATE.get(row["status"], "planned"),
                        remarks=_STATUS_LABEL.get(row["status"], row["status"]),
                    ),
                )
            ],
        )
        for source, _description, items in implemented.sources()
        for control_id, row in items
    ]


def _ssp_characteristics(implemented: _Implemented, meta: SoAMeta):
    from trestle.oscal.common import SystemId  # trestle: imported only when exporting
    from trestle.oscal.ssp import (
        AuthorizationBoundary,
        InformationType,
        Status1,
        SystemCharacteristics,
        SystemInformation,
    )

    return SystemCharacteristics(
        system_ids=[SystemId(id=f"openaims-{meta.slug}")],
        system_name=f"{meta.organization} {COMPONENT_TITLE}",
        description=f"The AI management system of {meta.organization}, within the scope it determined "
        "(ISO/IEC 42001 clause 4.3).",
        props=[_prop("catalog", href) for href, _, _ in implemented.sources()] or None,
        system_information=SystemInformation(
            information_types=[
                InformationType(
                    uuid=_uuid("information-type", meta.slug),
                    title="AI management system records",
                    description="Policies, risk and impact assessments, controls, evidence and audit records "
                    "of the AI management system.",
                )
            ]
        ),
        status=Status1(state="operational"),
        authorization_boundary=AuthorizationBoundary(
            description="The scope of the AI management system as determined under ISO/IEC 42001 clause 4.3."
        ),
    )


def soa_oscal_component(rows: list[dict], meta: SoAMeta) -> bytes:
    return oscal_json(soa_component_definition(rows, meta))


def soa_oscal_ssp(rows: list[dict], meta: SoAMeta) -> bytes:
    return oscal_json(soa_system_security_plan(rows, meta))


register(
    ExportFormat(
        "oscal-component", "OSCAL component definition", "application/json", "oscal-component.json", soa_oscal_component
    )
)
register(ExportFormat("oscal-ssp", "OSCAL system security plan", "application/json", "oscal-ssp.json", soa_oscal_ssp))
