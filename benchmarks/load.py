"""Load: simulated users against a real `aims serve` on PostgreSQL, then a check that nothing was lost.

    python benchmarks/load.py                               # 50 users, 60 s, one worker per core
    python benchmarks/load.py --workers 1                   # the single-process (waitress) server, to compare
    python benchmarks/load.py --users 50 --duration 60 --think 1.0 \\
        --database-url postgresql://postgres@127.0.0.1:5432/openaims_load

Set-up: a fresh PostgreSQL database (dropped and created; `--keep` leaves it afterwards), migrated and seeded
as `aims demo` seeds (catalogs, two organizations, systems, controls, risks, impact assessments), plus
`--users` contributors of acme-health, each with a personal API token (the service `aims token create` calls).
Then `aims serve --workers N` starts as a separate process, every user logs in through the login form
(a session, as a browser does), and for `--duration` seconds each user, in its own thread, repeats: pick
one request (weights below), send it over its own keep-alive connection, wait a think time (uniform,
`--think` s on average; 0 = back to back, which measures saturation rather than a user's experience).

  pages (session):  risk register, SoA, heat map, an AI system's page
  API (token):      create a risk (POST /risks), update a system (PATCH /systems/{id})

Printed: requests per second, p50/p95/p99/max latency and errors per kind (an error is any status other than
the one expected, or no answer within 30 s); then that the risks in the database are exactly the successful
creates (numbers distinct), that each create and each update recorded its audit event, and that every audit
chain verifies. Exit code 1 when the target (0 errors, p95 under `--target-ms` for every kind) or a check
fails. Takes ~2-3 minutes; not part of .ci/run. Figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
ORG = "acme-health"
PASSWORD = "load-test-password-2026"
TITLE = "Load test risk"
# kind -> weight; pages are read by session, writes go through the API with a token.
MIX = {"register": 20, "soa": 15, "heatmap": 15, "system": 20, "create risk": 15, "update system": 15}
EXPECTED = {"create risk": 201}  # every other kind answers 200
TIMEOUT = 30  # seconds without an answer: an error
IDLE_CLOSE = 4.0  # seconds; gunicorn closes a keep-alive connection idle for 5 s (`aims serve`), waitress later


@dataclass
class Plan:
    port: int
    paths: dict[str, str]  # page kind -> path
    system_ids: list[int]
    users: list[tuple[str, str]]  # (username, token)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in MIX})
    errors: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in MIX})
    created: int = 0
    updated: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- set-up ---------------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def seed(users: int) -> tuple[dict[str, str], list[int], list[tuple[str, str]]]:
    """Migrate, load the catalogs and the demo data, add the load users with their tokens (in this process)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections
    from django.test import override_settings
    from django.urls import reverse

    from openaims.accounts.models import User
    from openaims.accounts.services import user_create
    from openaims.audittrail.context import audit_context
    from openaims.catalog.loader import load_catalog
    from openaims.demo import seed_demo
    from openaims.inventory.models import AISystem
    from openaims.tenancy.models import Organization
    from openaims.tenancy.roles import Role
    from openaims.tenancy.selectors import tenant_of
    from openaims.tenancy.services import api_token_create, membership_add

    call_command("migrate", verbosity=0)
    with audit_context(via="cli"):
        load_catalog()
        seed_demo()
        org = Organization.objects.get(slug=ORG)
        owner = User.objects.get(username="demo")
        accounts = []
        # A fast hasher while creating the accounts, then one real (PBKDF2) hash shared by all: logging in
        # costs what it costs in production, setting up does not cost 50 hashes.
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            for i in range(1, users + 1):
                user = user_create(actor=None, username=f"load{i:02d}", password=PASSWORD, validate_password=False)
                membership_add(actor=tenant_of(owner, org), user=user, role=Role.CONTRIBUTOR)
                _token, raw = api_token_create(actor=tenant_of(user, org), name="load test", role=Role.CONTRIBUTOR)
                accounts.append((user.username, raw))
        User.objects.filter(username__startswith="load").update(password=make_password(PASSWORD))
    system_ids = list(AISystem.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True))
    paths = {
        "register": reverse("risk:register", args=[ORG]),
        "soa": reverse("controls:soa", args=[ORG]),
        "heatmap": reverse("risk:heatmap", args=[ORG]),
        "system": reverse("inventory:system", args=[ORG, system_ids[0]]),
    }
    connections.close_all()
    return paths, system_ids, accounts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(args: argparse.Namespace, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "openaims.cli", "serve", "--port", str(port), "--threads", str(args.threads)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    with log.open("wb") as out:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.3)


# --- one simulated user --------------------------------------------------------------------------------


class User:
    def __init__(self, plan: Plan, username: str, token: str, rng: random.Random):
        self.plan, self.username, self.token, self.rng = plan, username, token, rng
        self.conn = http.client.HTTPConnection("127.0.0.1", plan.port, timeout=TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.last_used = 0.0

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if time.monotonic() - self.last_used > IDLE_CLOSE:
            self.conn.close()  # the server closes idle keep-alive connections: start a fresh one, as browsers do
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            self.last_used = time.monotonic()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next request
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def log_in(self) -> None:
        self.request("GET", "/accounts/login/")
        form = urlencode(
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/"}
        status, _ = self.request("POST", "/accounts/login/", form.encode(), headers)
        if status != 302 or "sessionid" not in self.cookies:
            raise OSError(f"{self.username} could not log in (status {status})")

    def one(self, kind: str, number: int) -> tuple[int, bytes]:
        api = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if kind == "create risk":
            body = json.dumps({"title": f"{TITLE} {self.username}-{number}", "description": "created under load"})
            return self.request("POST", f"/api/v1/orgs/{ORG}/risks", body.encode(), api)
        if kind == "update system":
            system = self.rng.choice(self.plan.system_ids)
            body = json.dumps({"geography": f"EU ({self.username} #{number})"})
            return self.request("PATCH", f"/api/v1/orgs/{ORG}/systems/{system}", body.encode(), api)
        return self.request("GET", self.plan.paths[kind])


def run_user(user: User, tally: Tally, start: float, end: float, think: float) -> None:
    kinds, weights = list(MIX), list(MIX.values())
    number = 0
    time.sleep(max(0.0, start - time.monotonic() + user.rng.uniform(0, think)))  # users do not start in step
    while (now := time.monotonic()) < end:
        number += 1
        kind = user.rng.choices(kinds, weights)[0]
        try:
            status, data = user.one(kind, number)
            problem = None if status == EXPECTED.get(kind, 200) else f"{status} {data[:120]!r}"
        except (OSError, http.client.HTTPException) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - now
        with tally.lock:
            tally.latencies[kind].append(elapsed)
            if problem:
                tally.errors[kind].append(problem)
            elif kind == "create risk":
                tally.created += 1
            elif kind == "update system":
                tally.updated += 1
        if think:
            time.sleep(user.rng.uniform(0.5 * think, 1.5 * think))


def log_in_all(users: list[User]) -> None:
    """Log every user in, a few at a time: each login runs the password hasher (PBKDF2) on the server."""
    pending = list(users)
    lock = threading.Lock()
    failed: list[str] = []

    def work() -> None:
        while True:
            with lock:
                if not pending:
                    return
                user = pending.pop()
            for _attempt in range(3):
                try:
                    user.log_in()
                    break
                except (OSError, http.client.HTTPException):
                    user.conn.close()
            else:
                failed.append(user.username)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise SystemExit(f"could not log in: {', '.join(failed)}")


# --- report and checks ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(tally: Tally, seconds: float, target_ms: float) -> bool:
    print(f"\n{'kind':<15}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    met = True
    every = [x for values in tally.latencies.values() for x in values]
    for kind in [*MIX, "all"]:
        values = every if kind == "all" else tally.latencies[kind]
        errors = sum(len(e) for e in tally.errors.values()) if kind == "all" else len(tally.errors[kind])
        if not values:
            print(f"{kind:<15}{0:>9}")
            met = False
            continue
        p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
        print(
            f"{kind:<15}{len(values):>9}{len(values) / seconds:>8.1f}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}"
            f"{max(values) * 1000:>9.0f}{errors:>8}"
        )
        met &= errors == 0 and (kind == "all" or p95 < target_ms)
    for kind, problems in tally.errors.items():
        for problem in sorted(set(problems))[:3]:
            print(f"  {kind}: {problem}")
    print(f"\ntarget (0 errors, p95 < {target_ms:.0f} ms for every kind): {'MET' if met else 'NOT MET'}")
    return met


def check_nothing_lost(tally: Tally, risks_before: int) -> bool:
    from django.db.models import Count

    from openaims.audittrail.chain import verify_chain
    from openaims.audittrail.models import AuditEvent
    from openaims.risk.models import Risk
    from openaims.tenancy.models import Organization

    org = Organization.objects.get(slug=ORG)
    risks = Risk.objects.filter(organization=org, title__startswith=TITLE)
    rows = risks.count()
    duplicates = risks.values("number").annotate(n=Count("pk")).filter(n__gt=1).count()
    created_events = AuditEvent.objects.filter(organization=org, object_type="risk.risk", action="create").count()
    updated_events = AuditEvent.objects.filter(
        organization=org, object_type="inventory.aisystem", action="update", context__contains='"via":"api"'
    ).count()
    chains = [verify_chain(None)] + [verify_chain(pk) for pk in Organization.objects.values_list("pk", flat=True)]
    checks = [
        (f"risk rows created {rows} = successful creates {tally.created}", rows == tally.created),
        (f"risk numbers distinct ({duplicates} shared)", duplicates == 0),
        (
            f"risk create events {created_events - risks_before} = successful creates {tally.created}",
            created_events - risks_before == tally.created,
        ),
        (
            f"system update events {updated_events} = successful updates {tally.updated}",
            updated_events == tally.updated,
        ),
        *((result.line(), result.ok) for result in chains),
    ]
    for line, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'}  {line}")
    return all(ok for _line, ok in checks)


# --- main ------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/openaims_load")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds of measured load")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a user waits between requests")
    parser.add_argument("--workers", type=int, default=None, help="`aims serve --workers` (default: one per core)")
    parser.add_argument("--threads", type=int, default=8, help="`aims serve --threads` (per worker)")
    parser.add_argument("--target-ms", type=float, default=500)
    parser.add_argument("--keep", action="store_true", help="leave the database for inspection")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="aims-bench-load-"))
    os.environ.update(
        AIMS_DATABASE_URL=args.database_url,
        AIMS_DATA_DIR=str(workdir),
        AIMS_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="openaims.settings",
    )
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(ROOT / "src"))
    t0 = time.monotonic()
    recreate_database(args.database_url)
    paths, system_ids, accounts = seed(args.users)
    from openaims.audittrail.models import AuditEvent

    creates_before = AuditEvent.objects.filter(object_type="risk.risk", action="create", organization__slug=ORG).count()
    took = time.monotonic() - t0
    print(f"seeded {args.database_url} in {took:.0f} s ({len(system_ids)} systems, {args.users} users)")
    plan = Plan(free_port(), paths, system_ids, accounts)
    server = start_server(args, plan.port, workdir / "server.log")
    try:
        print((workdir / "server.log").read_text().strip())
        users = [User(plan, name, token, random.Random(i)) for i, (name, token) in enumerate(accounts)]
        log_in_all(users)
        offered = f"~{args.users / args.think:.0f} req/s offered" if args.think else "back to back"
        print(f"{args.users} users logged in; {args.duration:.0f} s of load, think time {args.think} s ({offered})")
        tally = Tally()
        start = time.monotonic() + 1
        end = start + args.duration
        threads = [threading.Thread(target=run_user, args=(u, tally, start, end, args.think)) for u in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - start
    finally:
        server.terminate()
        server.wait(timeout=60)
    met = report(tally, seconds, args.target_ms)
    print()
    intact = check_nothing_lost(tally, creates_before)
    from django.db import connections

    connections.close_all()
    if not args.keep:
        drop_database(args.database_url)
    sys.exit(0 if met and intact else 1)


if __name__ == "__main__":
    main()
