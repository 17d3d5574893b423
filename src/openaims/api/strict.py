"""The API's one input normalisation: what every operation receives has passed here before its schema.

A body must be a JSON object sent as JSON; no text in it holds a NUL character (PostgreSQL cannot store one)
and no integer lies outside the database's signed 64 bits. A query string is a search or a filter: NUL is
stripped from it, and an out-of-range integer is refused the same way. Each refusal names the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from openaims.lib.errors import ServiceError

DB_INT_MIN = -(2**63)
DB_INT_MAX = 2**63 - 1
_INTEGER = re.compile(r"[+-]?\d+")


class Unprocessable(ServiceError):
    status = 422
    code = "validation_error"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


def in_db_range(value: int) -> bool:
    return DB_INT_MIN <= value <= DB_INT_MAX


def _problems(value: object, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(field path, message) for each NUL character and out-of-range integer inside `value`."""
    where = ".".join(path) or None
    if isinstance(value, str):
        if "\x00" in value:
            yield where or "", "text may not contain NUL characters"
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not in_db_range(value):
            yield where or "", "number out of range"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if "\x00" in key:
                yield where or "", "names may not contain NUL characters"
                continue
            yield from _problems(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, (*path, str(index)))


def _refuse(problems: list[tuple[str, str]]) -> Unprocessable:
    details = [{"field": field or None, "message": message} for field, message in problems]
    summary = "; ".join(f"{field}: {message}" if field else message for field, message in problems)
    return Unprocessable(summary, details=details)


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class StrictParser(Parser):
    """Ninja's JSON parser with the checks above; ninja wraps what parse_body raises in a 400, whose handler
    (api.main) answers with the refusal it carries."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if not is_json(request.content_type or ""):
            raise UnsupportedMediaType(
                f"send the body as application/json, not {request.content_type or 'without a content type'}"
            )
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise Unprocessable(
                "the request body must be a JSON object", details=[{"field": None, "message": "give a JSON object"}]
            )
        problems = list(_problems(data, ()))
        if problems:
            raise _refuse(problems)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        problems = []
        for key in data:
            # The same parser reads form fields and uploaded files (request.POST, request.FILES): only text is checked.
            values = [value.replace("\x00", "") if isinstance(value, str) else value for value in data.getlist(key)]
            for value in values:
                if isinstance(value, str) and _INTEGER.fullmatch(value.strip()) and not in_db_range(int(value)):
                    problems.append((key, "number out of range"))
            result[key] = values if key in list_fields else values[-1]
        if problems:
            raise _refuse(problems)
        return result


def refused_path_value(kwargs: Mapping[str, object]) -> bool:
    """Whether a path parameter cannot name anything stored: NUL in it, or an integer beyond 64 bits."""
    for value in kwargs.values():
        if isinstance(value, str) and ("\x00" in value or (_INTEGER.fullmatch(value) and not in_db_range(int(value)))):
            return True
        if isinstance(value, int) and not isinstance(value, bool) and not in_db_range(value):
            return True
    return False
