"""`aims audit verify [--org SLUG]`: one line per chain, exit code 1 when any chain is broken."""

from __future__ import annotations

import pytest

from openaims.audittrail.models import AuditEvent
from tests.audittrail import CHAIN_LENGTH, build_chain, delete, edit, row, run_verify, swap

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(cast):
    build_chain(cast)
    return cast.org


def lines(result) -> dict[str, str]:
    """{chain label: rest of its line} from the command's output."""
    out = {}
    for line in result.stdout.splitlines():
        label, _, rest = line.partition(": ")
        out[label] = rest
    return out


def test_one_intact_organization(org):
    result = run_verify("--org", "acme")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"acme: OK, {CHAIN_LENGTH} events, head #{CHAIN_LENGTH} {row(org, CHAIN_LENGTH).hash}\n"


def test_all_chains_intact(org, cast):
    result = run_verify()
    assert result.exit_code == 0, result.output
    got = lines(result)
    assert list(got) == ["(global)", "acme", "globex"]
    assert got["acme"].startswith(f"OK, {CHAIN_LENGTH} events, head #{CHAIN_LENGTH} ")
    assert got["globex"].startswith(f"OK, {AuditEvent.objects.filter(organization=cast.other_org).count()} events")
    assert got["(global)"].startswith(f"OK, {AuditEvent.objects.filter(organization=None).count()} events")


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda org: edit(org, 3, changes="{}"), "BROKEN at event #3: edited: "),
        (lambda org: delete(org, 6), "BROKEN at event #6: deleted: "),
        (lambda org: delete(org, CHAIN_LENGTH), f"BROKEN at event #{CHAIN_LENGTH}: deleted: "),
        (lambda org: swap(org, 2, 8), "BROKEN at event #2: reordered: "),
    ],
)
def test_one_broken_chain_fails_the_run_and_names_the_event(org, tamper, expected):
    tamper(org)
    result = run_verify()
    assert result.exit_code == 1, result.output
    got = lines(result)
    assert got["acme"].startswith(expected)
    assert got["globex"].startswith("OK, ") and got["(global)"].startswith("OK, ")
    only = run_verify("--org", "globex")
    assert only.exit_code == 0 and only.stdout.startswith("globex: OK, ")


def test_a_broken_global_chain_fails_the_run(org):
    edit(None, 1, actor_label="mallory")
    result = run_verify()
    assert result.exit_code == 1, result.output
    got = lines(result)
    assert got["(global)"].startswith("BROKEN at event #1: edited: ")
    assert got["acme"].startswith("OK, ") and got["globex"].startswith("OK, ")
    assert run_verify("--org", "acme").exit_code == 0


def test_an_unknown_organization_is_an_error(org):
    result = run_verify("--org", "initech")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no organization with the slug 'initech'" in result.stderr
