"""The system card rendered: Markdown (user text escaped), HTML and PDF, and what a rendering says about itself."""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from openaims.inventory.card.content import MARKDOWN_TEMPLATE, PDF_TEMPLATE
from openaims.inventory.models import SystemCardVersion
from openaims.lib import pdf

# --- rendering -----------------------------------------------------------------------------------

# Characters that can start Markdown syntax anywhere in a line (emphasis, code, links, raw HTML,
# entities, tables, strikethrough); backslash first so the escapes themselves are not escaped again.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|#~&])")
# Line starts that make a heading, quote, list, rule or setext underline.
_MD_LINE_START = re.compile(r"^(\s*)([-+=>])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def _escape_line(line: str) -> str:
    line = _MD_INLINE.sub(r"\\\1", line)
    line = _MD_LINE_START.sub(r"\1\\\2", line)
    return _MD_ORDERED.sub(r"\1\\\2", line)


def md_escape(text: str, *, block: bool = False) -> str:
    """User text as literal Markdown: every character that could start syntax is backslash-escaped.

    Inline text (titles, list entries) is folded into one line; block text keeps its lines as hard
    breaks inside one paragraph, so it cannot end the surrounding structure.
    """
    lines = [line.strip() for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    escaped = [_escape_line(line) for line in lines]
    return "\\\n".join(escaped) if block else " ".join(escaped)


def _escape_content(content: dict) -> dict:
    def field(f: dict) -> dict:
        value = f["value"]
        if isinstance(value, list):
            value = [md_escape(v) for v in value]
        elif value is not None:
            value = md_escape(value, block=True)
        return {**f, "label": md_escape(f["label"]), "value": value, "missing": md_escape(f["missing"])}

    sections = []
    for s in content["sections"]:
        sections.append(
            {
                **s,
                "title": md_escape(s["title"]),
                "notes": [md_escape(n, block=True) for n in s["notes"]],
                "fields": [field(f) for f in s["fields"]],
                "items": [
                    {"title": md_escape(i["title"]), "fields": [field(f) for f in i["fields"]]} for i in s["items"]
                ],
                "empty": md_escape(s["empty"]),
            }
        )
    system = {k: md_escape(v) if isinstance(v, str) else v for k, v in content["system"].items()}
    gaps = [{**g, "text": md_escape(g["text"])} for g in content["gaps"]]
    return {**content, "system": system, "sections": sections, "gaps": gaps}


def card_meta(
    *, version: SystemCardVersion | None = None, number=None, published_by=None, published_at=None, digest=""
) -> dict:
    """What the rendered card says about itself: a published version, or the live draft."""
    if version is not None:
        number, published_by, published_at, digest = (
            version.number,
            version.published_by.display_name,
            version.published_at,
            version.content_hash,
        )
    if number is None:
        return {"published": False, "label": "Draft (not published)", "generated_at": timezone.now()}
    return {
        "published": True,
        "label": f"Version {number}",
        "number": number,
        "published_by": published_by,
        "published_at": published_at,
        "content_hash": digest,
        "generated_at": timezone.now(),
    }


def card_markdown(content: dict, meta: dict | None = None) -> str:
    """The card as Markdown; user text is escaped so it reads as written and cannot inject structure."""
    meta = meta or card_meta()
    safe_meta = {**meta, "published_by": md_escape(meta.get("published_by") or "")}
    text = render_to_string(MARKDOWN_TEMPLATE, {"card": _escape_content(content), "meta": safe_meta})
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def card_html(content: dict, meta: dict | None = None) -> str:
    return render_to_string(PDF_TEMPLATE, {"card": content, "meta": meta or card_meta()})


def card_pdf(content: dict, meta: dict | None = None) -> bytes:
    return pdf.render_pdf(card_html(content, meta), what="system card")


def card_filename(content: dict, extension: str, number: int | None = None) -> str:
    system = content["system"]
    name = slugify(system["name"])[:60].strip("-") or "system"
    return f"{system['ref']}-{name}-card-{f'v{number}' if number else 'draft'}.{extension}"


def version_meta(version: SystemCardVersion) -> dict:
    return card_meta(version=version)
