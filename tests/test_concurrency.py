"""Concurrent writers against a real server on PostgreSQL: numbers never collide, edits never get lost.

The server is Django's live server (a threaded WSGI server, one database connection per request thread),
so every request is its own transaction on PostgreSQL, as in production. SQLite serialises writers by
design, so these run in the PostgreSQL pass of .ci/run only.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from openaims.inventory.models import AISystem
from openaims.risk.models import Risk
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]

CLIENTS = 30


def _send(method: str, url: str, token: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _body(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _body(error.read())


def _body(raw: bytes):
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return raw[:200].decode(errors="replace")  # a 500 page: shown by the failing assertion


def _all_at_once(count: int, act) -> list:
    """Run `act(i)` in `count` threads released together; returns their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = act(i)
        except Exception as exc:  # a transport failure is a result too: the assertions show it
            results[i] = (0, repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


class _Server(ThreadedWSGIServer):
    request_queue_size = 128  # every client connects at once; socketserver's default backlog (5) resets some


class _ServerThread(LiveServerThread):
    server_class = _Server


@pytest.fixture
def server(settings):
    """A real server in a thread of this process: each request runs in its own thread and connection."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    thread = _ServerThread("127.0.0.1", _StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture
def token(cast):
    _token, raw = api_token_create(actor=tenant_of(cast.users["owner"], cast.org), name="load", role="owner")
    return raw


def test_thirty_simultaneous_risk_and_system_creates_all_succeed_with_distinct_numbers(cast, token, server):
    base = f"{server}/api/v1/orgs/acme"

    risks = _all_at_once(CLIENTS, lambda i: _send("POST", f"{base}/risks", token, {"title": f"Concurrent risk {i}"}))
    assert [status for status, _ in risks] == [201] * CLIENTS, [r for r in risks if r[0] != 201][:3]
    numbers = sorted(body["number"] for _, body in risks)
    assert numbers == list(range(1, CLIENTS + 1))
    assert Risk.objects.filter(organization=cast.org).count() == CLIENTS

    system = {"purpose": "Scores", "role": "provider", "technique": "ml", "criticality": "low"}
    systems = _all_at_once(
        CLIENTS, lambda i: _send("POST", f"{base}/systems", token, {**system, "name": f"Concurrent system {i}"})
    )
    assert [status for status, _ in systems] == [201] * CLIENTS, [s for s in systems if s[0] != 201][:3]
    assert sorted(body["number"] for _, body in systems) == list(range(1, CLIENTS + 1))
    assert AISystem.objects.filter(organization=cast.org).count() == CLIENTS


def test_simultaneous_edits_with_the_same_if_match_let_exactly_one_through(cast, token, server):
    base = f"{server}/api/v1/orgs/acme"
    status, risk = _send("POST", f"{base}/risks", token, {"title": "Shared"})
    assert status == 201
    url = f"{base}/risks/{risk['id']}"
    tag = f'"{risk["revision"]}"'

    answers = _all_at_once(10, lambda i: _send("PATCH", url, token, {"title": f"Edit {i}"}, {"If-Match": tag}))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [412] * 9, statuses
    winner = next(body for status, body in answers if status == 200)
    stored = Risk.objects.get(pk=risk["id"])
    assert (stored.title, stored.revision) == (winner["title"], risk["revision"] + 1)
