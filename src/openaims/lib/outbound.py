"""Requests the server makes to a URL a user gave (the MLflow sync): only to allowed hosts at public addresses.

Without a guard, anyone allowed to start a sync could make the server fetch from itself, from the
cloud metadata address or from any machine of the internal network (SSRF). `check_url` refuses such a
URL up front, with a clear message; `guarded(policy)` then holds for every connection the HTTP client
opens in this thread (redirects included): each host name is resolved once, every address it resolves
to is checked, and the socket connects to exactly those checked addresses, so a DNS answer that
changes between the check and the connection (DNS rebinding) gains nothing.

The hook sits in urllib3 (which requests, and so MLflow's client, uses for every connection) and is
active only inside `guarded`, per thread and per context, so other requests of the process are
untouched. urllib3 arrives with the optional MLflow client; without it nothing here connects anywhere.
"""

from __future__ import annotations

import inspect
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from openaims.lib.errors import ServiceError

try:
    from urllib3.util import connection as _urllib3_connection
except ImportError:  # pragma: no cover - urllib3 comes with the optional MLflow client
    _urllib3_connection = None  # type: ignore[assignment]  # absent: there is no client to guard

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ServiceError):
    """The URL names a host the server may not connect to for this purpose."""

    code = "address_refused"


@dataclass(frozen=True)
class Policy:
    """`allowed_hosts`: names (or `.example.org` for every subdomain) the server may connect to, empty = any;
    `allow_private`: also loopback, private and link-local addresses (an MLflow inside the network)."""

    allowed_hosts: tuple[str, ...] = ()
    allow_private: bool = False
    # Where to say how to widen the policy, in refusals ("set AIMS_MLFLOW_ALLOWED_HOSTS ...").
    hosts_setting: str = ""
    private_setting: str = ""


@dataclass
class _Guard:
    policy: Policy
    refusals: list[AddressRefused] = field(default_factory=list)


_active: ContextVar[_Guard | None] = ContextVar("openaims_outbound_guard", default=None)
_install_lock = threading.Lock()
_installed = False


def _bare(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def host_allowed(host: str, policy: Policy) -> bool:
    if not policy.allowed_hosts:
        return True
    name = _bare(host)
    for entry in policy.allowed_hosts:
        allowed = _bare(entry.strip())
        if allowed.startswith("*."):
            allowed = allowed[1:]
        if name == allowed or (allowed.startswith(".") and name.endswith(allowed)):
            return True
    return False


def _embedded(ip: ipaddress.IPv6Address) -> list[IPAddress]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64): each reaches that IPv4 host."""
    found: list[IPAddress] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def not_public(address: str) -> str | None:
    """Why `address` is no public internet address ("loopback", "private", …), or None when it is one."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unreadable"
    # What an IPv6 address carries first: ::ffff:127.0.0.1 is a loopback address before it is a "private" one.
    candidates = [*(_embedded(ip) if isinstance(ip, ipaddress.IPv6Address) else []), ip]
    for candidate in candidates:
        for kind, test in (
            ("unspecified", candidate.is_unspecified),
            ("loopback", candidate.is_loopback),
            ("link-local", candidate.is_link_local),
            ("multicast", candidate.is_multicast),
            ("private", candidate.is_private),
            ("reserved", candidate.is_reserved),
            ("non-public", not candidate.is_global),
        ):
            if test:
                return kind
    return None


def _refusal(message: str, hint: str) -> AddressRefused:
    return AddressRefused(f"{message}; {hint}" if hint else message)


def resolve(host: str, port: int, policy: Policy, *, family: int = socket.AF_UNSPEC) -> list[tuple[Any, ...]]:
    """getaddrinfo for `host`, every answer checked against `policy`; the answers to connect to, as checked."""
    name = _bare(host)
    if not host_allowed(name, policy):
        hint = f"the server's {policy.hosts_setting} lists the hosts it may read" if policy.hosts_setting else ""
        raise _refusal(f"the host {name} is not one this server may connect to", hint)
    try:
        answers = socket.getaddrinfo(name, port, family, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ServiceError("the server does not answer") from None
    if not policy.allow_private:
        for *_rest, sockaddr in answers:
            kind = not_public(str(sockaddr[0]))
            if kind is not None:
                hint = (
                    f"set {policy.private_setting}=true on the server to read an MLflow inside your network"
                    if policy.private_setting
                    else ""
                )
                article = "an" if kind[0] in "aeiou" else "a"
                raise _refusal(
                    f"the host {name} is at {article} {kind} address, which this server does not connect to", hint
                )
    return answers


def check_url(url: str, policy: Policy) -> None:
    """Refuse an http(s) URL whose host the policy does not allow or that resolves to a refused address."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise AddressRefused("only http and https addresses are read")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise ServiceError("the port of the address is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ServiceError("the address names no host")
    resolve(parts.hostname, port, policy)


def _connect(
    answers: Sequence[tuple[Any, ...]],
    timeout: object,
    default_timeout: object,
    source_address: tuple[str, int] | None,
    socket_options: Sequence[tuple[int, int, int | bytes]] | None,
) -> socket.socket:
    """Connect to the first of the checked answers that takes the connection (as socket.create_connection)."""
    error: OSError | None = None
    for family, kind, proto, _canonical, sockaddr in answers:
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not default_timeout:
                sock.settimeout(timeout)  # type: ignore[arg-type]  # urllib3 passes a float or None here
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError("the host name resolves to no address")


def _install() -> None:
    """Put the guard's hook into urllib3 once per process; it does nothing outside `guarded`."""
    global _installed
    if _urllib3_connection is None:
        return
    with _install_lock:
        if _installed:
            return
        original: Callable[..., socket.socket] = _urllib3_connection.create_connection
        default_timeout = inspect.signature(original).parameters["timeout"].default
        gai_family = _urllib3_connection.allowed_gai_family

        def create_connection(
            address: tuple[str, int],
            timeout: Any = default_timeout,
            source_address: tuple[str, int] | None = None,
            socket_options: Any = None,
        ) -> socket.socket:
            guard = _active.get()
            if guard is None:
                return original(address, timeout, source_address, socket_options)
            host, port = address
            try:
                answers = resolve(host, port, guard.policy, family=gai_family())
            except AddressRefused as exc:
                guard.refusals.append(exc)  # the client may wrap it; the caller reports this one
                raise
            except ServiceError:
                raise socket.gaierror("the host name cannot be resolved") from None
            return _connect(answers, timeout, default_timeout, source_address, socket_options)

        _urllib3_connection.create_connection = create_connection
        _installed = True


@contextmanager
def guarded(policy: Policy) -> Iterator[list[AddressRefused]]:
    """Every HTTP connection this thread opens inside the block follows `policy`; yields the refusals made."""
    _install()
    guard = _Guard(policy)
    token = _active.set(guard)
    try:
        yield guard.refusals
    finally:
        _active.reset(token)
