from __future__ import annotations

from django import forms

from openaims.lib.concurrency import StaleEdit, show_stale
from openaims.lib.errors import ServiceError


def add_service_error(form: forms.BaseForm, exc: ServiceError) -> None:
    """Show a service's refusal on the form: on the field it names when the form has it, else on top.

    A stale edit shows who changed what since the page was opened (lib/concurrency.show_stale).
    """
    if isinstance(exc, StaleEdit):
        show_stale(form, exc)
        return
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
