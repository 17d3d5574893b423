"""Role-matrix checks: each endpoint is called as each role and as an outsider.

An `Endpoint` says who is allowed. Allowed roles must get `ok` statuses; other members 403; the
outsider (member of another organization only) 404 — the organization's existence is not revealed.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROLES

WHO = [*ROLES, "outsider"]
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class Endpoint:
    name: str  # URL name (web) or a label (API), used in test ids and the coverage check
    method: str
    path: Callable  # (cast) -> str
    allowed: frozenset
    data: Callable | None = None  # (cast) -> dict (form data or JSON body)
    ok: tuple = (200, 302)
    denied: int = 403  # what a member without the permission gets (404 where the object is private to its owner)

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


def expected_status(endpoint: Endpoint, who: str) -> tuple:
    if who == "outsider":
        return (404,)
    return endpoint.ok if who in endpoint.allowed else (endpoint.denied,)


def check_web(cast, client_for, endpoint: Endpoint, who: str):
    client = client_for(cast.user(who))
    path = endpoint.path(cast)
    data = endpoint.data(cast) if endpoint.data else {}
    response = client.get(path, data) if endpoint.method == "GET" else client.post(path, data)
    expected = expected_status(endpoint, who)
    assert response.status_code in expected, (
        f"{endpoint} as {who}: got {response.status_code}, expected {expected}\n{response.content[:400]!r}"
    )
    return response


def check_api(cast, api_for, endpoint: Endpoint, who: str):
    user = cast.user(who)
    # The outsider's token belongs to their own organization; the path names acme's.
    organization = cast.other_org if who == "outsider" else cast.org
    api = api_for(user, organization)
    body = endpoint.data(cast) if endpoint.data else None
    response = api.request(endpoint.method, endpoint.path(cast), json=body)
    expected = expected_status(endpoint, who)
    assert response.status_code in expected, (
        f"{endpoint} as {who}: got {response.status_code}, expected {expected}\n{response.content[:400]!r}"
    )
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"], "every 4xx carries the one error shape"
    return response


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
