"""The database refuses UPDATE and DELETE on audit events: triggers on SQLite and PostgreSQL.

The hash chain *detects* a change; the triggers *refuse* one made through SQL by anyone who does not
first drop them (a table owner or superuser can, and then only the chain and its head, recorded
outside the system, catch it). `aims audit verify` also says when a trigger is missing.

PostgreSQL: one row trigger with no bypass. TRUNCATE fires no row trigger; it is a privilege of its
own (the table owner's), which a deployment running the application as a non-owner role withholds.

SQLite: the trigger asks `aims_audit_rewrite()`, a function this module registers on every connection
Django opens; it answers 0 unless code in the process has explicitly set `rewrite_allowed` on that
connection — only the test suite's database flush does, which empties the tables with DELETE. A tool
without the function (the `sqlite3` shell) fails on "no such function", which refuses the change too.
Django rebuilds a SQLite table to alter it (new table, copy, drop, rename), which drops its triggers:
a later migration that alters AuditEvent must install them again (the refusal tests would fail).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TABLE = "audittrail_auditevent"
MESSAGE = "audit events are append-only: they are never updated or deleted"
FUNCTION = "aims_audit_rewrite"

SQLITE_TRIGGERS = {
    f"{TABLE}_no_{verb.lower()}": (
        f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
        f"WHEN NOT {FUNCTION}() BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    for verb in ("UPDATE", "DELETE")
}
PG_FUNCTION = "audittrail_refuse_change"
PG_TRIGGER = f"{TABLE}_append_only"
PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END $$""",
    f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
]
PG_REMOVE = [f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE}", f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"]


def install(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create the triggers (the migration's forward step)."""
    vendor = schema_editor.connection.vendor
    statements = list(SQLITE_TRIGGERS.values()) if vendor == "sqlite" else PG_INSTALL if vendor == "postgresql" else []
    for statement in statements:
        schema_editor.execute(statement)


def remove(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Drop the triggers (the migration's backward step)."""
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif vendor == "postgresql":
        for statement in PG_REMOVE:
            schema_editor.execute(statement)


def missing_triggers(connection: BaseDatabaseWrapper) -> list[str]:
    """The append-only triggers that are not in the database (empty when all are in place)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            expected = list(SQLITE_TRIGGERS)
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
                [TABLE],
            )
            expected = [PG_TRIGGER]
        else:
            return []
        present = {name for (name,) in cursor.fetchall()}
    return [name for name in expected if name not in present]


def register_sqlite_function(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: give the SQLite trigger the function it asks (0 unless allowed)."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(FUNCTION, 0, lambda: int(getattr(connection, "audit_rewrite_allowed", False)))


@contextmanager
def rewrite_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let this SQLite connection delete audit events, for the test database flush only; no-op elsewhere."""
    previous = getattr(connection, "audit_rewrite_allowed", False)
    connection.audit_rewrite_allowed = True  # type: ignore[attr-defined]  # our own flag on the wrapper
    try:
        yield
    finally:
        connection.audit_rewrite_allowed = previous  # type: ignore[attr-defined]  # see above
