"""Edit revisions: a stale form or `If-Match` is refused with what changed, never silently overwritten.

The one idiom for every editable object:

- the model mixes in `Revisioned` (a `revision` counter, 1 at creation);
- its update service takes `expected_revision: int | None` (None: the caller does not care — the CLI,
  an import, an API client that sent no If-Match) and calls `audittrail.revisions.claim_revision(obj,
  expected_revision)` inside its transaction before writing: the row is locked, a different revision
  raises `StaleEdit` (who changed it, when, and what, read from the audit trail), else the counter moves on;
- web forms carry the revision in a hidden `RevisionField`; the API reads `If-Match` with `if_match`
  and sends `ETag: "<revision>"` (`etag`) for any answer that carries a `revision`.

Plain helpers: no app is imported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest

from openaims.lib.errors import Conflict, ServiceError


class Revisioned(models.Model):
    """An object people edit: `revision` counts its edits, so a stale edit can be told and refused."""

    revision = models.PositiveIntegerField(default=1, help_text="Counts the edits; a stale edit is refused.")

    class Meta:
        abstract = True


class StaleEdit(Conflict):
    """Someone else changed the object since the editor read revision `expected`.

    Rendered as a 409 form error (summary, then one line per changed field) and as 412 by the API.
    `changes` is [(label, before, after)] for every field changed since `expected`.
    """

    code = "stale_edit"

    def __init__(
        self,
        *,
        expected: int,
        current: int,
        changed_by: str,
        changed_at: datetime | None,
        changes: Iterable[tuple[str, Any, Any]] = (),
    ):
        self.expected = expected
        self.current = current
        self.changed_by = changed_by or "someone"
        self.changed_at = changed_at
        self.changes = list(changes)
        when = f" at {changed_at:%Y-%m-%d %H:%M} UTC" if changed_at else ""
        message = f"Changed by {self.changed_by}{when} since you opened it; nothing was saved."
        details = [
            {"field": None, "message": f"{label}: {_shown(before)} → {_shown(after)}"}
            for label, before, after in self.changes
        ]
        super().__init__(message, details=details)
        self.extra = {"revision": current}


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


# --- HTTP: ETag and If-Match -----------------------------------------------------------------------------

_TAG = re.compile(r'\s*(W/)?"(\d{1,18})"\s*')


def etag(revision: int) -> str:
    """The strong ETag of an object at `revision` (it names the editable state, not the bytes)."""
    return f'"{revision}"'


def if_match(request: HttpRequest) -> int | None:
    """The revision an API client's `If-Match` expects; None when absent or `*` (no precondition).

    A malformed header, a weak tag or several tags are refused (400): send back the ETag you received.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    found = _TAG.fullmatch(header)
    if found is None or found.group(1):
        raise ServiceError(
            'If-Match must be one ETag as this API sent it (e.g. "3") or *', code="bad_precondition", field=None
        )
    return int(found.group(2))


# --- Web forms -------------------------------------------------------------------------------------------


class RevisionField(forms.IntegerField):
    """The hidden revision an edit form was opened at; missing means the page is out of date."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault(
            "error_messages",
            {
                "required": "This page is out of date: reload it and make your change again.",
                "invalid": "This page is out of date: reload it and make your change again.",
                "min_value": "This page is out of date: reload it and make your change again.",
            },
        )
        super().__init__(**kwargs)


def add_revision(form: forms.BaseForm, obj: Any) -> None:
    """Give an edit form the hidden revision of `obj` (what the page was opened at)."""
    form.fields["revision"] = RevisionField(initial=obj.revision)


def take_revision(form: forms.BaseForm) -> int | None:
    """The revision a valid edit form was opened at, removed from `cleaned_data` (services take it apart)."""
    value = form.cleaned_data.pop("revision", None)
    return value if isinstance(value, int) else None


def show_stale(form: forms.BaseForm, exc: StaleEdit) -> None:
    """Put a refused stale edit on the form: the summary and each change on top, the person's input kept.

    The hidden revision moves to the current one, so saving again after reading the list is a deliberate
    overwrite of what was shown, not a silent one.
    """
    form.add_error(None, exc.message)
    for detail in exc.details:
        form.add_error(None, str(detail["message"]))
    if "revision" in form.fields and hasattr(form.data, "copy"):
        data = form.data.copy()
        data[form.add_prefix("revision")] = str(exc.current)
        form.data = data
    form.refused_stale = True  # type: ignore[attr-defined]  # read by lib.forms.form_status


def form_status(form: forms.BaseForm) -> int:
    """The status of a re-rendered form: 409 for a refused stale edit, else 400."""
    return 409 if getattr(form, "refused_stale", False) else 400
