"""Role-matrix checks: each endpoint is called as each role and as an outsider.

An `Endpoint` says who is allowed. Allowed roles get exactly `ok` (by default: a web GET 200, a web POST
302, an API GET/PATCH/PUT 200, POST 201, DELETE 204); other members 403; the outsider (member of another
organization only) 404 — the organization's existence is not revealed. An allowed web POST must redirect
where the row says (`redirect`, a regular expression for the Location) and leave the change the row's
`effect(cast, response)` checks; an allowed API write records its change in the audit trail, and its
`effect`, where the row has one, is checked too.

The scenario of a row (its `path` and `data` builders) is built once per endpoint; each caller then acts
inside a savepoint that is rolled back, so every role meets the same state.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from tests.conftest import ROLES

WHO = [*ROLES, "outsider"]
EVERYONE = frozenset(ROLES)
API_OK = {"GET": (200,), "PATCH": (200,), "PUT": (200,), "POST": (201,), "DELETE": (204,)}


@dataclass(frozen=True)
class Endpoint:
    name: str  # URL name (web) or a label (API), used in test ids and the coverage check
    method: str
    path: Callable  # (cast) -> str
    allowed: frozenset
    data: Callable | None = None  # (cast) -> dict (form data or JSON body)
    ok: tuple | None = None  # what an allowed caller gets, exactly; None: the default for the method (above)
    denied: int = 403  # what a member without the permission gets (404 where the object is private to its owner)
    redirect: str | Callable | None = None  # web POST: regex (or (cast) -> regex) the Location must match in full
    effect: Callable | None = None  # (cast, response) -> None, raising AssertionError when the change is missing

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


def allowed_status(endpoint: Endpoint, api: bool) -> tuple:
    if endpoint.ok is not None:
        return endpoint.ok
    if api:
        return API_OK[endpoint.method]
    return (200,) if endpoint.method == "GET" else (302,)


def expected_status(endpoint: Endpoint, who: str, api: bool = False) -> tuple:
    if who == "outsider":
        return (404,)
    return allowed_status(endpoint, api) if who in endpoint.allowed else (endpoint.denied,)


def _check_effect(endpoint: Endpoint, cast, response, who: str, api: bool) -> None:
    if response.status_code >= 400 or who not in endpoint.allowed:
        return
    if not api and response.status_code == 302:
        pattern = endpoint.redirect(cast) if callable(endpoint.redirect) else endpoint.redirect
        assert pattern, f"{endpoint}: an allowed POST row names where it redirects (redirect=)"
        location = response["Location"]
        assert re.fullmatch(pattern, location), f"{endpoint} as {who}: redirected to {location}, expected {pattern}"
    if endpoint.effect is not None:
        endpoint.effect(cast, response)
    elif endpoint.method != "GET" and not api:
        raise AssertionError(f"{endpoint}: an allowed POST row checks its change (effect=)")
    elif endpoint.method != "GET":
        # Every write goes through a service that records its event in the same transaction.
        assert response.events, f"{endpoint} as {who}: answered {response.status_code} but recorded no change"


def _call(endpoint: Endpoint, cast, who: str, request: Callable, api: bool) -> str | None:
    """One caller inside a rolled-back savepoint; returns what went wrong, or None."""
    try:
        with transaction.atomic():
            last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            response = request(who)
            # What the request recorded in the audit trail, for effects that check the audited change.
            since = getattr(response, "events_after", last)  # the API's token is set-up, not the request's effect
            response.events = list(AuditEvent.objects.filter(pk__gt=since).values_list("object_type", "action"))
            expected = expected_status(endpoint, who, api)
            assert response.status_code in expected, (
                f"got {response.status_code}, expected {expected}\n{response.content[:400]!r}"
            )
            if api and response.status_code >= 400:
                error = response.json()["error"]
                assert error["code"] and error["message"], "every 4xx carries the one error shape"
            _check_effect(endpoint, cast, response, who, api)
            transaction.set_rollback(True)
    except AssertionError as problem:
        return f"{endpoint} as {who}: {problem}"
    return None


def _run(endpoint: Endpoint, cast, request: Callable, api: bool, subtests) -> None:
    problems = []
    for who in WHO:
        # One reported subtest per caller, so the counts and the failures still name each role.
        with subtests.test(msg=str(who)):  # a plain str: xdist sends the report between processes
            problem = _call(endpoint, cast, who, request, api)
            if problem:
                problems.append(problem)
            assert problem is None, problem
    assert not problems, "\n".join(problems)


def check_web(cast, client_for, endpoint: Endpoint, subtests) -> None:
    """Every caller in WHO on one endpoint; the scenario is built once, each call rolled back."""
    path = endpoint.path(cast)
    data = endpoint.data(cast) if endpoint.data else {}

    def request(who):
        for value in data.values():
            if hasattr(value, "seek"):
                value.seek(0)  # an uploaded file is read again by each caller
        client = client_for(cast.user(who))
        return client.get(path, data) if endpoint.method == "GET" else client.post(path, data)

    _run(endpoint, cast, request, api=False, subtests=subtests)


def check_api(cast, api_for, endpoint: Endpoint, subtests) -> None:
    path = endpoint.path(cast)
    body = endpoint.data(cast) if endpoint.data else None

    def request(who):
        # The outsider's token belongs to their own organization; the path names acme's.
        organization = cast.other_org if who == "outsider" else cast.org
        client = api_for(cast.user(who), organization)
        after = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.request(endpoint.method, path, json=body)
        response.events_after = after
        return response

    _run(endpoint, cast, request, api=True, subtests=subtests)


# Effects shared by many rows.
def exists(model, **lookups) -> Callable:
    """The row is there after the request (lookup values may be (cast) -> value)."""

    def effect(cast, response):
        values = {k: v(cast) if callable(v) else v for k, v in lookups.items()}
        assert model._base_manager.filter(**values).exists(), f"no {model.__name__} with {values}"

    return effect


def gone(model, **lookups) -> Callable:
    def effect(cast, response):
        values = {k: v(cast) if callable(v) else v for k, v in lookups.items()}
        assert not model._base_manager.filter(**values).exists(), f"{model.__name__} with {values} still there"

    return effect


def audited(object_type: str, action: str) -> Callable:
    """The request recorded this audit event (a service writes the change and its event together)."""

    def effect(cast, response):
        assert (object_type, action) in response.events, f"no {object_type} {action} event in {response.events}"

    return effect


def page_of(url_name: str, model, anchor: str = "", **lookups) -> Callable:
    """redirect= for "the page of the object with these fields" (found after the request), plus an anchor."""

    def pattern(cast):
        obj = model._base_manager.get(organization=cast.org, **lookups)
        return re.escape(reverse(url_name, args=[cast.org.slug, obj.pk]) + anchor)

    return pattern


def both(*effects: Callable) -> Callable:
    def effect(cast, response):
        for each in effects:
            each(cast, response)

    return effect


def collect(name: str) -> list[Endpoint]:
    """Endpoints that apps' test packages declare in `tests/<app>/matrix_*.py` as WEB_ENDPOINTS / API_ENDPOINTS.

    Each capability keeps its rows next to its tests; the two role-matrix modules run them all and
    still fail when a page or an operation is in no list.
    """
    root = Path(__file__).parent
    found: list[Endpoint] = []
    for package in sorted(p for p in root.iterdir() if (p / "__init__.py").exists()):
        for info in pkgutil.iter_modules([str(package)]):
            if info.name.startswith("matrix_"):
                module = importlib.import_module(f"tests.{package.name}.{info.name}")
                found.extend(getattr(module, name, []))
    return found
