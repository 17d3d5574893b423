"""Statement of Applicability exports (6.1.3): CSV, JSON and XLSX, as pure functions of the rows.

The rows are dicts shaped like `SoARow.as_dict()` (which is what `SoAVersion.rows` stores), so the
current SoA and a frozen version export the same way. Every renderer builds the whole file in memory
and returns bytes: a failure half-way never leaves a truncated download behind.

Other formats (PDF, OSCAL) plug in with `register(ExportFormat(...))`; the SoA pages list whatever
`FORMATS` holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from openaims.controls.models import Applicability, ImplementationStatus, SoAStatus
from openaims.controls.selectors import DERIVED_LABEL, FLAG_TEXT, SoARow
from openaims.lib import tables

SHEET_TITLE = "Statement of Applicability"
_ROW_FIELDS = {f.name for f in fields(SoARow)}
_APPLICABILITY = dict(Applicability.choices)
_STATUS = dict(ImplementationStatus.choices)


@dataclass(frozen=True)
class SoAMeta:
    """What the file says about itself: whose SoA, which version (None: the current, unpublished state)."""

    organization: str
    slug: str
    version: int | None = None
    approved_by: str | None = None
    approved_on: date | None = None
    content_hash: str | None = None
    generated_at: datetime = field(default_factory=timezone.now)
    status: str | None = None  # a version's SoAStatus value; None for the current state
    approver: str | None = None  # who was asked to sign the version off

    @property
    def approved(self) -> bool:
        return self.status == "signed"

    @property
    def status_label(self) -> str:
        return dict(SoAStatus.choices).get(self.status, "") if self.status else ""

    @property
    def label(self) -> str:
        return f"v{self.version}" if self.version is not None else "current"


def meta_for_version(organization, version) -> SoAMeta:
    """What a published version's files say about it: approval only once it is signed off."""
    return SoAMeta(
        organization=organization.name,
        slug=organization.slug,
        version=version.number,
        approved_by=version.approved_by.get_username() if version.approved_by_id else None,
        approved_on=version.approved_on,
        content_hash=version.content_hash,
        status=version.status,
        approver=version.approver.get_username() if version.approver_id else None,
    )


def applicability_label(row: SoARow) -> str:
    if row.derived:
        return DERIVED_LABEL
    return _APPLICABILITY.get(row.applicability, row.applicability)


def row_from_dict(data: dict) -> SoARow:
    """An SoARow again (for its `reasons`), from a stored or exported row; unknown keys are ignored."""
    return SoARow(**{key: value for key, value in data.items() if key in _ROW_FIELDS})


def flag_texts(row: dict) -> list[str]:
    return [FLAG_TEXT.get(flag, flag) for flag in row.get("flags", [])]


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[dict, SoARow], object]
    width: int
    wrap: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("Control", lambda d, r: r.ref_id, 11),
    Column("Title", lambda d, r: r.title, 40, wrap=True),
    Column("Group", lambda d, r: r.group, 26, wrap=True),
    Column("Source", lambda d, r: "Own control" if r.custom else "Catalog", 12),
    Column("Applicability", lambda d, r: applicability_label(r), 13),
    Column("Justification (reasons)", lambda d, r: "\n".join(r.reasons), 55, wrap=True),
    Column("Implementation status", lambda d, r: _STATUS.get(r.status, r.status), 21),
    Column("Owner", lambda d, r: r.owner or "", 14),
    Column("Current evidence", lambda d, r: r.evidence_current, 10),
    Column("Evidence total", lambda d, r: r.evidence_total, 10),
    Column("Flags", lambda d, r: "\n".join(flag_texts(d)), 42, wrap=True),
    Column("Catalog URN", lambda d, r: r.urn or "", 36),
    Column("AI systems", lambda d, r: "\n".join(r.systems), 30, wrap=True),
)


def table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """The header and the cell values shared by the CSV and XLSX files."""
    body = []
    for data in rows:
        row = row_from_dict(data)
        body.append([column.value(data, row) for column in COLUMNS])
    return [column.header for column in COLUMNS], body


def filename(meta: SoAMeta, extension: str) -> str:
    return f"soa-{meta.slug}-{meta.label}.{extension}"


def soa_csv(rows: list[dict], meta: SoAMeta) -> bytes:
    """Plain UTF-8, one header row; lists (reasons, flags) joined by newlines inside their cell."""
    return tables.table_csv(*table(rows))


def soa_json(rows: list[dict], meta: SoAMeta) -> bytes:
    """The rows unchanged (for a version: exactly what was published and hashed) behind the metadata."""
    document = {
        "organization": meta.organization,
        "version": meta.version,
        "approved_by": meta.approved_by,
        "approved_on": meta.approved_on,
        "status": meta.status,
        "content_hash": meta.content_hash,
        "generated_at": meta.generated_at,
        "rows": rows,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder).encode("utf-8")


def soa_xlsx(rows: list[dict], meta: SoAMeta) -> bytes:
    """One sheet: the header in row 1 (frozen, with an autofilter over the whole table), one row per control."""
    header, body = table(rows)
    return tables.table_xlsx(
        sheet_title=SHEET_TITLE,
        header=header,
        body=body,
        widths=[c.width for c in COLUMNS],
        wrap=[c.wrap for c in COLUMNS],
        title=f"{SHEET_TITLE} — {meta.organization} ({meta.label})",
        description=_describe(meta),
    )


def _describe(meta: SoAMeta) -> str:
    if meta.version is None:
        return f"Current, unpublished state, generated {meta.generated_at:%Y-%m-%d %H:%M} UTC."
    if not meta.approved:
        return (
            f"Version {meta.version}, {meta.status_label.lower()} (asked of {meta.approver}); not approved; "
            f"content hash {meta.content_hash}."
        )
    return (
        f"Version {meta.version}, approved by {meta.approved_by} on {meta.approved_on}; "
        f"content hash {meta.content_hash}."
    )


@dataclass(frozen=True)
class ExportFormat:
    key: str  # in the URL: …/export.<key>
    label: str
    content_type: str
    extension: str
    render: Callable[[list[dict], SoAMeta], bytes]


FORMATS: dict[str, ExportFormat] = {}


def register(export_format: ExportFormat) -> None:
    """Add a download format to the SoA and version pages (PDF and OSCAL register themselves here)."""
    FORMATS[export_format.key] = export_format


register(ExportFormat("csv", "CSV", "text/csv; charset=utf-8", "csv", soa_csv))
register(ExportFormat("json", "JSON", "application/json", "json", soa_json))
register(
    ExportFormat(
        "xlsx",
        "Excel (XLSX)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        soa_xlsx,
    )
)
