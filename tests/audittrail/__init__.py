"""Helpers for the audit-trail tests: build a chain through the services, then tamper with it in SQL.

Every tamper helper writes to the table directly, never through the services, so the chain head is left
as the application last wrote it; and it does so as a superuser must, since the database refuses UPDATE
and DELETE on audit events: drop the append-only triggers, change the rows, recreate the triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from typer.testing import CliRunner

from openaims.audittrail.chain import event_hash, verify_chain
from openaims.audittrail.models import AuditEvent
from openaims.tenancy.models import Membership
from openaims.tenancy.roles import Role
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import membership_change_role

TABLE = "audittrail_auditevent"
OFFSET = 1_000_000_000  # moves rows out of the way of the unique (organization, seq) constraint
ROLE_CHANGES = [("mona", Role.CONTRIBUTOR), ("carl", Role.VIEWER), ("aude", Role.MANAGER), ("vera", Role.AUDITOR)]
CHAIN_LENGTH = 10


def build_chain(cast) -> None:
    """Give cast.org a chain of 10 events: the 6 the cast makes plus 4 role changes."""
    owner = cast.user(Role.OWNER)
    for username, role in ROLE_CHANGES:
        membership = Membership.objects.get(organization=cast.org, user__username=username)
        membership_change_role(actor=tenant_of(owner), membership=membership, role=role)
    assert list(AuditEvent.objects.filter(organization=cast.org).order_by("seq").values_list("seq", flat=True)) == list(
        range(1, CHAIN_LENGTH + 1)
    )


def trigger_definitions() -> list[tuple[str, str]]:
    """(name, CREATE statement) of each trigger on the audit events table, as the database holds them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        else:
            cursor.execute(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLE],
            )
        return cursor.fetchall()


@contextmanager
def as_superuser() -> Iterator[None]:
    """What someone who may alter the schema can do: drop the triggers, change rows, put the triggers back."""
    triggers = trigger_definitions()
    assert triggers, "the append-only triggers are missing"
    with connection.cursor() as cursor:
        for name, _definition in triggers:
            cursor.execute(f"DROP TRIGGER {name}" + (f" ON {TABLE}" if connection.vendor == "postgresql" else ""))
        yield
        for _name, definition in triggers:
            cursor.execute(definition)


def sql(query: str, params=()) -> int:
    with as_superuser(), connection.cursor() as cursor:
        cursor.execute(query, list(params))
        return cursor.rowcount


def where(org) -> tuple[str, list]:
    return ("organization_id IS NULL", []) if org is None else ("organization_id = %s", [org.pk])


def row(org, seq: int) -> AuditEvent:
    return AuditEvent.objects.get(organization=org, seq=seq)


def edit(org, seq: int, **fields) -> None:
    """Overwrite fields of event `seq` in place, leaving its stored hash alone."""
    with as_superuser():
        assert AuditEvent.objects.filter(organization=org, seq=seq).update(**fields) == 1


def content_hash(event: AuditEvent) -> str:
    return event_hash(
        event.organization_id,
        event.occurred_at_us,
        event.actor_id,
        event.actor_label,
        event.object_type,
        event.object_id,
        event.object_repr,
        event.action,
        event.changes,
        event.context,
        event.prev_hash,
    )


def rehash(org, seq: int) -> str:
    """Recompute and store the hash of event `seq` from its (possibly edited) content."""
    event = row(org, seq)
    digest = content_hash(event)
    clause, params = where(org)
    assert sql(f"UPDATE {TABLE} SET hash = %s WHERE {clause} AND seq = %s", [digest, *params, seq]) == 1
    return digest


def delete(org, seq: int) -> None:
    clause, params = where(org)
    assert sql(f"DELETE FROM {TABLE} WHERE {clause} AND seq = %s", [*params, seq]) == 1


def shift(org, first: int, by: int) -> None:
    """Move events `first`.. by `by` places, in two steps so no two rows ever share a seq."""
    clause, params = where(org)
    sql(f"UPDATE {TABLE} SET seq = seq + %s WHERE {clause} AND seq >= %s", [OFFSET, *params, first])
    sql(f"UPDATE {TABLE} SET seq = seq - %s + %s WHERE {clause} AND seq >= %s", [OFFSET, by, *params, OFFSET])


def set_seq(org, old: int, new: int) -> None:
    clause, params = where(org)
    assert sql(f"UPDATE {TABLE} SET seq = %s WHERE {clause} AND seq = %s", [new, *params, old]) == 1


def swap(org, a: int, b: int) -> None:
    set_seq(org, a, OFFSET)
    set_seq(org, b, a)
    set_seq(org, OFFSET, b)


def insert(org, seq: int, *, prev_hash: str, digest: str | None = None, **fields) -> str:
    """Insert a forged event at `seq`; with digest=None its hash is computed correctly from its content."""
    content = {
        "occurred_at_us": AuditEvent.objects.filter(organization=org).order_by("seq")[0].occurred_at_us + 1,
        "actor_label": "mallory",
        "object_type": "tenancy.membership",
        "object_id": "999",
        "object_repr": "mallory in Acme AI",
        "action": "create",
        "changes": '{"role":[null,"owner"]}',
        "context": '{"via":"web"}',
    }
    event = AuditEvent(organization=org, seq=seq, prev_hash=prev_hash, **{**content, **fields})
    event.hash = digest if digest is not None else content_hash(event)
    columns = [
        "organization_id",
        "seq",
        "occurred_at_us",
        "actor_id",
        "actor_label",
        "object_type",
        "object_id",
        "object_repr",
        "action",
        "changes",
        "context",
        "prev_hash",
        "hash",
    ]
    values = [getattr(event, name) for name in columns]
    sql(f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", values)
    return event.hash


def run_verify(*args: str):
    from openaims.cli import app

    return CliRunner().invoke(app, ["audit", "verify", *args])


def assert_broken(org, problem: str, seq: int) -> None:
    """verify_chain and `aims audit verify --org SLUG` both report `problem` at event `seq`."""
    result = verify_chain(org.pk)
    assert (result.ok, result.problem, result.seq) == (False, problem, seq), result.line()
    cli = run_verify("--org", org.slug)
    assert cli.exit_code == 1, cli.output
    assert cli.stdout.strip() == result.line().replace(f"chain {result.chain}", org.slug, 1)
    assert f"{org.slug}: BROKEN at event #{seq}: {problem}: " in cli.stdout


def assert_ok(org, count: int) -> None:
    result = verify_chain(None if org is None else org.pk)
    assert result.ok, result.line()
    assert (result.checked, result.head_seq) == (count, count)
