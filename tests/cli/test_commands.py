"""The `aims` command as a user runs it: a real process, its own SQLite file, one readable line on failure."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.cli.conftest import DEMO, aims

pytestmark = pytest.mark.subprocess

SECRET = "x" * 40


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{result.stderr}"
    assert lines[0].startswith("error: ")
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_lists_every_command_in_help(tmp_path):
    result = aims("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in ["demo", "serve", "migrate", "createuser", "version", "audit", "org", "user"]:
        assert command in result.stdout


def test_it_prints_its_version(tmp_path):
    from openaims import __version__

    assert aims("version", data_dir=tmp_path).stdout.strip() == f"openaims {__version__}"


def test_it_refuses_to_serve_without_a_secret_key(tmp_path):
    line = one_error_line(aims("serve", data_dir=tmp_path))
    assert "AIMS_SECRET_KEY" in line


def test_it_refuses_a_short_secret_key(tmp_path):
    line = one_error_line(aims("serve", data_dir=tmp_path, AIMS_SECRET_KEY="short"))
    assert "at least 32 characters" in line


def test_it_refuses_an_unreadable_secret_key_file(tmp_path):
    line = one_error_line(aims("serve", data_dir=tmp_path, AIMS_SECRET_KEY_FILE=str(tmp_path / "missing")))
    assert "AIMS_SECRET_KEY_FILE" in line and "missing" in line


def test_it_says_in_one_line_that_the_database_is_unreachable(tmp_path):
    result = aims(
        "serve",
        data_dir=tmp_path,
        AIMS_SECRET_KEY=SECRET,
        AIMS_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/aims",
    )
    assert "cannot reach the database 127.0.0.1:" in one_error_line(result)


def test_it_refuses_an_unsupported_database_url(tmp_path):
    line = one_error_line(aims("migrate", data_dir=tmp_path, AIMS_DATABASE_URL="mysql://root@localhost/aims"))
    assert "unsupported scheme 'mysql'" in line


def test_it_refuses_a_malformed_boolean(tmp_path):
    result = aims("migrate", data_dir=tmp_path, AIMS_DEBUG="maybe")
    assert "AIMS_DEBUG must be true or false" in one_error_line(result)


def test_it_refuses_to_serve_an_unmigrated_database(tmp_path):
    line = one_error_line(aims("serve", data_dir=tmp_path, AIMS_SECRET_KEY=SECRET))
    assert "aims migrate" in line


@DEMO
def test_it_sets_up_the_demo_idempotently(demo_seeded, demo_dir):
    first, _template = demo_seeded
    assert first.returncode == 0, first.stderr
    assert "created 2 organizations, 5 users" in first.stdout
    assert "log in as demo / " in first.stdout
    assert (demo_dir / "aims.sqlite3").exists() and (demo_dir / "secret_key").exists()
    second = aims("demo", "--no-serve", data_dir=demo_dir)
    assert second.returncode == 0 and "created 0 organizations, 0 users" in second.stdout
    verify = aims("audit", "verify", data_dir=demo_dir)
    assert verify.returncode == 0, verify.stdout
    assert [line.split(":")[0] for line in verify.stdout.splitlines()] == [
        "(global)",
        "acme-health",
        "northwind-lending",
    ]
    assert all(": OK, " in line for line in verify.stdout.splitlines())


def test_it_creates_users_and_organizations_and_exports_the_trail(tmp_path):
    assert aims("migrate", data_dir=tmp_path).returncode == 0
    created = aims(
        "createuser",
        "erin",
        "--email",
        "erin@example.org",
        data_dir=tmp_path,
        AIMS_NEW_PASSWORD="a-long-password-for-erin",
    )
    assert created.returncode == 0, created.stderr
    assert (
        aims("org", "create", "Erin Labs", "--owner", "erin", "--slug", "erin-labs", data_dir=tmp_path).returncode == 0
    )
    weak = aims("createuser", "frank", data_dir=tmp_path, AIMS_NEW_PASSWORD="123")
    assert "too short" in one_error_line(weak)
    duplicate = aims("org", "create", "Again", "--owner", "erin", "--slug", "erin-labs", data_dir=tmp_path)
    assert "exists already" in one_error_line(duplicate)
    member = aims(
        "createuser",
        "gina",
        "--org",
        "erin-labs",
        "--role",
        "auditor",
        data_dir=tmp_path,
        AIMS_NEW_PASSWORD="a-long-password-for-gina",
    )
    assert "as auditor of erin-labs" in member.stdout

    out = tmp_path / "trail.jsonl"
    exported = aims("audit", "export", "--org", "erin-labs", "-o", str(out), data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert {e["action"] for e in events} >= {"create"}
    assert not (tmp_path / "trail.jsonl.part").exists()

    unwritable = aims(
        "audit", "export", "--org", "erin-labs", "-o", str(tmp_path / "no" / "dir.jsonl"), data_dir=tmp_path
    )
    assert "cannot write" in one_error_line(unwritable)
    unknown = aims("audit", "verify", "--org", "nope", data_dir=tmp_path)
    assert "no organization with the slug 'nope'" in one_error_line(unknown)


@DEMO
def test_it_serves_the_demo_with_a_real_server(demo_dir):
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIMS_")}
    environment["AIMS_DATA_DIR"] = str(demo_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "openaims.cli", "demo", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # A loaded machine can take long to migrate, seed and answer: poll with short requests up to one
    # overall deadline, rather than trusting any single request to answer in time.
    deadline = time.monotonic() + 180

    def fetch(path: str) -> bytes:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
                    assert response.status == 200
                    return response.read()
            except urllib.error.HTTPError:
                raise  # the server answered, and not with 200: no point in asking again
            except OSError:  # refused while starting, or timed out while busy
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, f"the demo server did not answer {path}"
                time.sleep(0.3)

    try:
        assert "Log in to OpenAIMS" in fetch("/accounts/login/").decode()
        assert b"--accent" in fetch("/static/openaims/app.css")
        assert "/api/v1/me" in json.loads(fetch("/api/v1/openapi.json"))["paths"]
    finally:
        process.terminate()
        process.wait(timeout=20)


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@DEMO
@pytest.mark.skipif(sys.platform == "win32" or not Path("/proc").is_dir(), reason="gunicorn and /proc: Linux")
def test_it_serves_with_several_worker_processes(demo_dir):
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIMS_")}
    environment.update(AIMS_DATA_DIR=str(demo_dir), AIMS_SECRET_KEY=SECRET)
    process = subprocess.Popen(
        [sys.executable, "-m", "openaims.cli", "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                    assert response.status == 200
                    assert "Log in to OpenAIMS" in response.read().decode()
                    break
            except urllib.error.HTTPError:
                raise
            except OSError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        while len(children_of(process.pid)) < 2:  # the second worker may still be starting
            assert time.monotonic() < deadline, f"workers: {children_of(process.pid)}"
            time.sleep(0.2)
        assert len(children_of(process.pid)) == 2
    finally:
        process.terminate()
        out, err = process.communicate(timeout=40)
    assert "(gunicorn, 2 workers x 2 threads)" in out
    assert process.returncode == 0, err
