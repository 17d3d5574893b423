"""Append N audit events to one organization's chain, then verify the chain, and report the rates.

    python benchmarks/audit_chain.py                     # 1,000,000 events, SQLite in a temp dir
    python benchmarks/audit_chain.py --events 100000
    python benchmarks/audit_chain.py --database-url postgresql://postgres@127.0.0.1:5432/bench_audit

The verification figure has its floor beside it: the raw SQL (`connection.cursor()`) that reads the same rows
(every event of the chain, in order), timed the same way, and the ratio verify/floor — what hashing and
checking add to reading. (This script has no page; appending has no read to compare with.)

Everything happens in a throw-away database: a fresh SQLite file in a temporary directory, or, with
--database-url, a PostgreSQL database that the script creates first and drops at the end (so point it
at a scratch name, never at a database you care about).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROTECTED = {"postgres", "template0", "template1", "test"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="how many events to append (default 1,000,000)")
    parser.add_argument("--chunk", type=int, default=50_000, help="events per record_events_bulk call (transaction)")
    parser.add_argument("--batch", type=int, default=5_000, help="rows per INSERT inside record_events_bulk")
    parser.add_argument("--database-url", help="a PostgreSQL URL; the database is created and dropped by the script")
    parser.add_argument("--verify-runs", type=int, default=3, help="how many times to verify the chain (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory / database afterwards")
    return parser.parse_args()


def admin_url(url: str) -> tuple[str, str]:
    """(URL of the maintenance database on the same server, name of the benchmark database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in PROTECTED:
        sys.exit(f"refusing to create and drop the database {name!r}: pass a scratch name such as bench_audit")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_postgres_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the verification may fork)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.1f} {unit}"
        size /= 1024
    raise AssertionError


def database_size() -> tuple[int, str]:
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(connection.settings_dict["NAME"])
        files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        return sum(p.stat().st_size for p in files), str(path)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database()), current_database()")
        size, name = cursor.fetchone()
    return size, f"PostgreSQL database {name}"


def main() -> None:
    args = parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="aims-bench-"))
    os.environ["AIMS_DATA_DIR"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "openaims.settings"
    os.environ.pop("AIMS_DATABASE_URL", None)
    if args.database_url:
        recreate_postgres_database(args.database_url)
        os.environ["AIMS_DATABASE_URL"] = args.database_url
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept {tmp}" + (f" and {args.database_url}" if args.database_url else ""))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if args.database_url:
                recreate_postgres_database(args.database_url, drop_only=True)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from openaims.accounts.services import user_create
    from openaims.audittrail.chain import verify_chain
    from openaims.audittrail.services import EventSpec, record_events_bulk
    from openaims.tenancy.services import organization_create

    call_command("migrate", verbosity=0)
    user = user_create(actor=None, username="bench", password="bench-password-1", validate_password=False)
    org = organization_create(actor=user, owner=user, name="Benchmark Org", slug="bench")
    already = 2  # organization_create records the organization and its first membership

    def specs(start: int, stop: int):
        for i in range(start, stop):
            yield EventSpec(
                object_type="aisystem.risk",
                object_id=str(i),
                object_repr=f"Risk {i}: model drift on the scoring service",
                action="update",
                changes={"likelihood": [i % 5, (i + 1) % 5], "status": ["open", "treated"]},
                actor=user,
            )

    n = args.events
    print(
        f"database: {connection.vendor} ({connection.settings_dict['NAME']}), python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cpus, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"appending {n:,} events to one chain: record_events_bulk, {args.chunk:,} events per call")
    t0 = time.perf_counter()
    done = 0
    last_report = t0
    while done < n:
        stop = min(n, done + args.chunk)
        record_events_bulk(organization=org, specs=specs(done, stop), batch_size=args.batch)
        done = stop
        now = time.perf_counter()
        if now - last_report >= 5 or done == n:
            print(f"  {done:>12,} / {n:,}  {done / (now - t0):>10,.0f} events/s", flush=True)
            last_report = now
    append_s = time.perf_counter() - t0

    size, where = database_size()
    print(f"verifying chain of {n + already:,} events")
    runs = []
    for _ in range(args.verify_runs):
        cpu0 = cpu_seconds()
        t0 = time.perf_counter()
        result = verify_chain(org.pk)
        runs.append((time.perf_counter() - t0, cpu_seconds() - cpu0))
        if not result.ok or result.checked != n + already:
            sys.exit(f"verification failed: {result.line()}")

    print()
    print(f"append : {n:>12,} events in {append_s:8.2f} s = {n / append_s:>12,.0f} events/s")
    for i, (wall, cpu) in enumerate(runs, 1):
        print(
            f"verify : {result.checked:>12,} events in {wall:8.2f} s = {result.checked / wall:>12,.0f} events/s"
            f"  (run {i}; {cpu:.2f} cpu-seconds, this process and its children)"
        )
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _floor import floor_ms

    # The same columns the verifier hashes, every event of the chain in order, through one cursor.
    floor_sql = [
        (
            "SELECT seq, occurred_at_us, actor_id, actor_label, object_type, object_id, object_repr, action, "
            "changes, context, prev_hash, hash FROM audittrail_auditevent WHERE organization_id = %s ORDER BY seq",
            [org.pk],
        )
    ]
    floor, rows = floor_ms(floor_sql, args.verify_runs)
    best = min(wall for wall, _cpu in runs) * 1000
    print(
        f"floor  : {rows:>12,} events in {floor / 1000:8.2f} s (raw SQL read of the same rows, median of "
        f"{args.verify_runs}); verify/floor {best / floor:.1f}x (fastest verify run)"
    )
    print(f"load   : {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min; other processes share the cpus)")
    print(f"size   : {human_bytes(size)} ({size / max(n, 1):,.0f} bytes/event) in {where}")
    print(result.line())


if __name__ == "__main__":
    main()
