"""The Statement of Applicability as a PDF (WeasyPrint): a title page, then one table row per control.

Rendering never leaves the machine: the stylesheet is inline, fonts come from the system (fontconfig:
DejaVu / Liberation when present, else any sans-serif), and the URL fetcher refuses everything except
`data:` URLs, so a link or image in user text cannot make the server fetch anything.

WeasyPrint takes about a second to import; it is imported when a PDF is made, not with this module.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from openaims.controls.exports import ExportFormat, SoAMeta, flag_texts, register, row_from_dict
from openaims.controls.models import Applicability, ImplementationStatus
from openaims.controls.selectors import soa_summary
from openaims.lib import pdf

TEMPLATE = "controls/pdf/soa.html"
_APPLICABILITY = dict(Applicability.choices)
_STATUS = dict(ImplementationStatus.choices)


def soa_html(rows: list[dict], meta: SoAMeta) -> str:
    table = []
    soa_rows = []
    for data in rows:
        row = row_from_dict(data)
        soa_rows.append(row)
        table.append(
            {
                "row": row,
                "applicability": _APPLICABILITY.get(row.applicability, row.applicability),
                "status": _STATUS.get(row.status, row.status),
                "flags": flag_texts(data),
            }
        )
    return render_to_string(
        TEMPLATE,
        {
            "meta": meta,
            "version_label": f"Version {meta.version}" if meta.version is not None else "current (unpublished)",
            "rows": table,
            "summary": soa_summary(soa_rows),
        },
    )


def render_document(rows: list[dict], meta: SoAMeta):
    """The laid-out WeasyPrint document (pages and boxes), before it becomes PDF bytes."""
    return pdf.render_document(soa_html(rows, meta), what="SoA PDF")


def soa_pdf(rows: list[dict], meta: SoAMeta) -> bytes:
    return render_document(rows, meta).write_pdf()


register(ExportFormat("pdf", "PDF", "application/pdf", "pdf", soa_pdf))
