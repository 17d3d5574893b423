"""The database itself refuses UPDATE and DELETE on audit events; what a superuser can still do is caught by verify."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from openaims.audittrail import append_only
from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import AuditEvent
from tests.audittrail import CHAIN_LENGTH, TABLE, as_superuser, build_chain, run_verify, trigger_definitions

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(cast):
    build_chain(cast)
    return cast.org


def refused(statement: str, params: list) -> str:
    """Run raw SQL through the connection in a savepoint; return the database's refusal."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return str(caught.value)


def test_it_refuses_a_raw_sql_update(org):
    message = refused(f"UPDATE {TABLE} SET object_repr = %s WHERE organization_id = %s AND seq = %s", ["x", org.pk, 3])
    assert "append-only" in message
    assert AuditEvent.objects.get(organization=org, seq=3).object_repr != "x"


def test_it_refuses_a_raw_sql_delete(org):
    message = refused(f"DELETE FROM {TABLE} WHERE organization_id = %s", [org.pk])
    assert "append-only" in message
    assert AuditEvent.objects.filter(organization=org).count() == CHAIN_LENGTH


def test_it_refuses_updates_and_deletes_through_the_orm_too(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(organization=org, seq=1).update(action="delete")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(organization=org).delete()
    assert verify_chain(org.pk).ok


def test_it_still_appends(org):
    assert AuditEvent.objects.filter(organization=org).count() == CHAIN_LENGTH
    assert verify_chain(org.pk).ok


def test_every_trigger_is_in_place_after_the_migrations():
    assert append_only.missing_triggers(connection) == []
    assert len(trigger_definitions()) == (2 if connection.vendor == "sqlite" else 1)


def test_verify_catches_an_edit_made_with_the_triggers_dropped_and_recreated(org):
    with as_superuser():
        AuditEvent.objects.filter(organization=org, seq=4).update(object_repr="rewritten by a superuser")
    assert append_only.missing_triggers(connection) == []  # put back: nothing shows but the chain
    result = run_verify("--org", org.slug)
    assert result.exit_code == 1
    assert f"{org.slug}: BROKEN at event #4: edited" in result.stdout


def test_verify_says_when_the_triggers_are_missing(org):
    with connection.cursor() as cursor:
        for name, _definition in trigger_definitions():
            cursor.execute(f"DROP TRIGGER {name}" + (f" ON {TABLE}" if connection.vendor == "postgresql" else ""))
    result = run_verify("--org", org.slug)
    assert result.exit_code == 1
    assert f"{org.slug}: OK" in result.stdout  # the chain itself is intact
    assert "append-only triggers are missing" in result.stdout


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite's trigger asks the connection; PG has no bypass")
def test_only_an_explicitly_allowed_sqlite_connection_may_delete(org):
    with append_only.rewrite_allowed(connection), transaction.atomic():
        assert AuditEvent.objects.filter(organization=org).delete()[0] == CHAIN_LENGTH
        transaction.set_rollback(True)
    assert not getattr(connection, "audit_rewrite_allowed", False)
    refused(f"DELETE FROM {TABLE} WHERE organization_id = %s", [org.pk])


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_still_flush_a_database_holding_events(org):
    """Its teardown flushes (SQLite: DELETE, allowed for the flush only; PostgreSQL: TRUNCATE, no row trigger)."""
    assert AuditEvent.objects.filter(organization=org).count() == CHAIN_LENGTH
