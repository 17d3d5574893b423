"""Checks services share on free-text input, so a field's problem reads the same in every app."""

from __future__ import annotations

from openaims.lib.errors import ServiceError


def clean_text(value: object, field: str, *, limit: int | None = None, required: bool = False) -> str:
    """`value` stripped; a ServiceError on `field` when it is not text, missing while required, or too long."""
    label = field.replace("_", " ")
    if value is not None and not isinstance(value, str):
        raise ServiceError(f"{label}: give text", field=field)
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(f"{label} is required", field=field)
    if limit is not None and len(text) > limit:
        raise ServiceError(f"{label}: at most {limit} characters", field=field)
    return text
