from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from django.core.paginator import Paginator
from django.db.models import QuerySet
from ninja import Schema
from pydantic import AwareDatetime, BeforeValidator

T = TypeVar("T")

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_text(value: object) -> object:
    """Dates and times are ISO 8601 text: pydantic would read a number (`0`, `"0"`) as seconds since 1970."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("give an ISO 8601 date or date and time as text, e.g. 2026-03-31 or 2026-03-31T12:00:00Z")
    return value


# Input types for every schema and query parameter: a date as YYYY-MM-DD, a moment with its time zone.
Date = Annotated[date, BeforeValidator(_iso_text)]
AwareDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class ErrorDetail(Schema):
    field: str | None = None
    message: str
    row: int | None = None  # imports: the spreadsheet row (header = 1); absent elsewhere


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = []


class Error(Schema):
    """The one shape of every 4xx answer."""

    error: ErrorBody


# The documented 4xx answers of every operation (each in the one Error shape): one table for every router,
# so a new app's operations document the same answers as the others.
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error}


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    pages: int
    page_size: int


def paginate_queryset(
    queryset: QuerySet[Any, T], page: int, page_size: int, convert: Callable[[T], dict[str, Any]]
) -> dict[str, Any]:
    page_size = max(1, min(page_size, 500))
    paginator = Paginator(queryset, page_size)
    number = min(max(page, 1), paginator.num_pages)
    current = paginator.page(number)
    return {
        "items": [convert(obj) for obj in current.object_list],
        "count": paginator.count,
        "page": number,
        "pages": paginator.num_pages,
        "page_size": page_size,
    }
