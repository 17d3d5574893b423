"""Errors that services raise for the caller to show: form error, 4xx JSON or one CLI line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model


class ServiceError(Exception):
    """A request that breaks a rule of the domain; `message` is written for the person who made it."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        details: Iterable[Mapping[str, Any]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        # Several problems at once (e.g. every bad row of an import): [{"field", "message", ...}], in the API's details.
        self.details = list(details or [])
        if code:
            self.code = code


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Throttled(ServiceError):
    """Too many attempts in a short time (login, password reset); the message says when to try again."""

    status = 429
    code = "throttled"


def full_clean_or_raise(obj: Model, exclude: Iterable[str] | None = None) -> None:
    """Run the model's validation; report its first problem as a ServiceError naming the field."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(f"{field}: {' '.join(messages)}", field=field) from None
