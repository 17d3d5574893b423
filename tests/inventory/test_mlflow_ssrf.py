"""The MLflow sync may not be turned against the server's own network (SSRF).

A real HTTP server on loopback stands in for an internal service: it records every request, so each
test can say not only what the sync answered but that nothing reached the service. Name resolution is
faked only where a test needs a name to change its answer (DNS rebinding).
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from openaims.inventory.mlflow_sync import mlflow_sync
from openaims.lib import outbound
from openaims.lib.errors import ServiceError
from tests.inventory.conftest import make_system

pytest.importorskip("mlflow.tracking", reason="the MLflow client (openaims[mlflow]) is not installed")

SECRET = "SECRET-INTERNAL-PAGE"


class Internal:
    """An HTTP service on 127.0.0.1 that answers every request with `status`, `body` (or a redirect)."""

    def __init__(self, status=500, body=SECRET, content_type="text/plain", location=""):
        self.hits: list[str] = []
        self.status, self.body, self.content_type, self.location = status, body, content_type, location
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                service.hits.append(self.path)
                self.send_response(service.status)
                if service.location:
                    self.send_header("Location", service.location)
                payload = service.body.encode()
                self.send_header("Content-Type", service.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal():
    services: list[Internal] = []

    def start(**options) -> Internal:
        services.append(Internal(**options))
        return services[-1]

    yield start
    for service in services:
        service.close()


@pytest.fixture(autouse=True)
def quick(monkeypatch, settings):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    settings.AIMS_MLFLOW_ALLOWED_HOSTS = []
    settings.AIMS_MLFLOW_ALLOW_PRIVATE = False


def sync(cast, uri, **options):
    return mlflow_sync(actor=cast.tenant("manager"), tracking_uri=uri, **options)


def refused(cast, uri) -> str:
    with pytest.raises(ServiceError) as caught:
        sync(cast, uri)
    assert "\n" not in caught.value.message and SECRET not in caught.value.message
    return caught.value.message


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("2130706433", "loopback"),  # 127.0.0.1 as one decimal number
        ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped IPv6
        ("0.0.0.0", "unspecified"),
    ],
)
def test_it_refuses_loopback_addresses_and_never_connects(cast, internal, host, kind):
    service = internal()

    message = refused(cast, f"http://{host}:{service.port}")

    assert f" {kind} address" in message and "AIMS_MLFLOW_ALLOW_PRIVATE=true" in message
    assert service.hits == []


@pytest.mark.parametrize(
    "uri",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1:5000", "https://192.168.1.10", "http://[fd00::1]/"],
)
def test_it_refuses_private_and_link_local_addresses(cast, uri):
    assert "address, which this server does not connect to" in refused(cast, uri)


def test_it_classifies_addresses_after_unwrapping_what_ipv6_carries():
    refused_addresses = [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "::1", "::", "fe80::1%eth0", "fc00::1", "::ffff:10.0.0.1", "64:ff9b::a00:1",
        "2002:a00:1::1", "240.0.0.1",
    ]  # fmt: skip
    assert [a for a in refused_addresses if outbound.not_public(a) is None] == []
    assert outbound.not_public("93.184.216.34") is None
    assert outbound.not_public("2606:2800:220:1:248:1893:25c8:1946") is None


def test_an_allowed_internal_server_is_read_but_its_answers_are_never_echoed(cast, internal, settings):
    settings.AIMS_MLFLOW_ALLOW_PRIVATE = True
    plain = internal(status=500)
    json_error = internal(status=403, body=f'{{"error_code": "PERMISSION_DENIED", "message": "{SECRET}"}}')
    html = internal(status=200, body=f"<html>{SECRET}</html>", content_type="text/html")

    assert refused(cast, f"http://127.0.0.1:{plain.port}").endswith(": the server answered with HTTP 500")
    assert refused(cast, f"http://127.0.0.1:{json_error.port}").endswith("(HTTP 403)")
    assert refused(cast, f"http://127.0.0.1:{html.port}").endswith("is not one of an MLflow model registry")
    assert plain.hits and json_error.hits and html.hits  # it did connect: the opt-in works


def test_refused_closed_and_unknown_hosts_read_the_same(cast, internal, settings):
    settings.AIMS_MLFLOW_ALLOW_PRIVATE = True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens here once the socket is closed
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    hang_up = threading.Thread(target=lambda: silent.accept()[0].close(), daemon=True)
    hang_up.start()
    try:
        messages = {
            refused(cast, f"http://127.0.0.1:{closed}").rpartition(": ")[2],
            refused(cast, f"http://127.0.0.1:{silent.getsockname()[1]}").rpartition(": ")[2],
            refused(cast, "http://no-such-host.invalid").rpartition(": ")[2],
        }
    finally:
        silent.close()
    assert messages == {"the server does not answer"}


def test_only_the_configured_hosts_are_read(cast, internal, settings):
    settings.AIMS_MLFLOW_ALLOW_PRIVATE = True
    settings.AIMS_MLFLOW_ALLOWED_HOSTS = ["mlflow.example.org"]
    service = internal()

    message = refused(cast, f"http://127.0.0.1:{service.port}")

    assert "the host 127.0.0.1 is not one this server may connect to" in message
    assert "AIMS_MLFLOW_ALLOWED_HOSTS" in message and service.hits == []
    settings.AIMS_MLFLOW_ALLOWED_HOSTS = ["LOCALHOST"]
    assert refused(cast, f"http://localhost:{service.port}").endswith("HTTP 500") and service.hits


def test_a_redirect_to_a_host_not_allowed_is_not_followed(cast, internal, settings):
    settings.AIMS_MLFLOW_ALLOW_PRIVATE = True
    settings.AIMS_MLFLOW_ALLOWED_HOSTS = ["localhost"]
    target = internal(status=200, body="{}", content_type="application/json")
    redirector = internal(status=302, body="", location=f"http://127.0.0.1:{target.port}/")

    message = refused(cast, f"http://localhost:{redirector.port}")

    assert "the host 127.0.0.1 is not one this server may connect to" in message
    assert redirector.hits and target.hits == []


def test_it_connects_to_the_address_it_checked_whatever_the_name_resolves_to_later(cast, internal, monkeypatch):
    service = internal(status=200, body="{}", content_type="application/json")
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])  # public on the first look-up, loopback on every later one (rebinding)

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            return real(next(answers, "127.0.0.1"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    message = refused(cast, f"http://rebind.example:{service.port}")

    assert "is at a loopback address" in message
    assert service.hits == []


def test_the_command_line_on_the_server_is_not_limited(cast, internal):
    service = internal()

    with pytest.raises(ServiceError, match="the server answered with HTTP 500"):
        sync(cast, f"http://127.0.0.1:{service.port}", on_server=True)
    assert service.hits


def test_the_api_refuses_a_loopback_tracking_uri(cast, api_for, internal):
    service = internal()
    make_system(cast)

    response = api_for(cast.users["manager"], cast.org).post(
        "/api/v1/orgs/acme/systems/mlflow-sync", json={"tracking_uri": f"http://127.0.0.1:{service.port}"}
    )

    assert response.status_code == 400
    assert "loopback address" in response.json()["error"]["message"] and service.hits == []


def test_the_web_page_refuses_a_loopback_tracking_uri(cast, client_for, internal):
    service = internal()
    response = client_for(cast.users["manager"]).post(
        reverse("inventory:mlflow_sync", args=["acme"]), {"tracking_uri": f"http://localhost:{service.port}"}
    )

    assert response.status_code == 400 and "loopback address" in response.content.decode()
    assert service.hits == []
