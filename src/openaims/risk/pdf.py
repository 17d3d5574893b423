"""The risk treatment plan as a PDF (6.1.3 g), 8.3): per risk, its levels, the treatment option and plan,
the actions with owner, due date and status, the controls selected and the residual risk's acceptance.

Rendered with WeasyPrint through `openaims.lib.pdf` (machine fonts, no URL fetched). A plan is for people
to read and sign: it is limited to `MAX_RISKS` risks — narrow the register's filters for more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone

from openaims.lib import pdf

TEMPLATE = "risk/pdf/treatment_plan.html"
MAX_RISKS = 200  # WeasyPrint lays out about 20 risks a second on a laptop-class core


@dataclass(frozen=True)
class PlanMeta:
    organization: str
    slug: str
    criteria_version: int | None
    filter_summary: str = ""
    generated_at: datetime = field(default_factory=timezone.now)


def treatment_plan_html(risks: list, meta: PlanMeta, levels) -> str:
    return render_to_string(
        TEMPLATE,
        {
            "meta": meta,
            "risks": risks,
            "levels": levels.data.levels,
            "open_actions": sum(r.open_actions for r in risks),
            "overdue_actions": sum(1 for r in risks for a in r.action_rows if a.overdue),
        },
    )


def treatment_plan_pdf(risks: list, meta: PlanMeta, levels) -> bytes:
    return pdf.render_pdf(treatment_plan_html(risks, meta, levels), what="risk treatment plan PDF")
