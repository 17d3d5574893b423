"""The cast every test uses, built through the services (as in production), plus the role matrix.

`cast` gives one organization ("acme") with a member in each of the five roles and an outsider who
belongs only to another organization ("globex"). Later capabilities reuse it: add rows to a
matrix table in your test module and call `check_web` / `check_api` (see tests/matrix.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings

from openaims.accounts.services import user_create
from openaims.audittrail.append_only import rewrite_allowed
from openaims.audittrail.context import audit_context
from openaims.catalog.loader import DATA_DIR, load_catalog
from openaims.tenancy.roles import Role
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create, membership_add, organization_create

ROLES = [Role.OWNER, Role.MANAGER, Role.CONTRIBUTOR, Role.AUDITOR, Role.VIEWER]
PASSWORD = "a-long-test-password-1"


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at its production cost takes ~0.3 s per user; tests create users by the dozen.
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _flushes_the_database(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return transactional or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with Django's flush, which on SQLite empties tables with DELETE: the one place
    the append-only triggers let audit events go (audittrail/append_only.py). PostgreSQL flushes with TRUNCATE."""
    if not _flushes_the_database(item):
        yield
        return
    with rewrite_allowed(connection):
        yield


@dataclass
class Cast:
    org: object
    other_org: object
    users: dict = field(default_factory=dict)  # role (or "outsider") -> user

    def user(self, who: str):
        return self.users[who]

    def tenant(self, who: str):
        """The Tenant `who` acts as (the actor services take): in acme, or in globex for the outsider."""
        return tenant_of(self.users[who], self.other_org if who == "outsider" else self.org)


def make_user(username: str, **kwargs):
    return user_create(actor=None, username=username, password=PASSWORD, email=f"{username}@example.org", **kwargs)


def _values(obj) -> tuple:
    return tuple(getattr(obj, f.attname) for f in obj._meta.local_concrete_fields)


class Snapshot:
    """The rows a builder wrote, captured once per test process and put back with a few INSERTs per test.

    Building the cast through the services costs ~118 queries (and hashing) before every test; inserting
    the same rows costs one INSERT per table. The rows are the services' own output, audit chain included.

    With `base`, the snapshot is a layer on top of another one (a shipped catalog on top of the cast): it
    records the rows the builder added and the rows it changed (the global audit chain head), and
    `try_restore` puts it back only where the database still holds what the builder saw.
    """

    def __init__(self, build: Callable[[], object], *, base: Snapshot | None = None):
        models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
        referenced = {f.related_model for m in models for f in m._meta.concrete_fields if f.is_relation}
        # Rows no other row points at (audit events) go in under fresh ids, so a layer fits after a test's own rows.
        self.movable = {m for m in models if m not in referenced} if base is not None else set()
        with transaction.atomic():
            if base is not None:
                base.restore()
            before = {m: {obj.pk: obj for obj in m._base_manager.all()} for m in models}
            self.result = build()
            self.rows: dict = {}
            self.changed: dict = {}  # model -> [(row as the builder found it, row as it left it)]
            for model in models:
                for obj in model._base_manager.order_by("pk"):
                    old = before[model].get(obj.pk)
                    if old is None:
                        self.rows.setdefault(model, []).append(obj)
                    elif _values(old) != _values(obj):
                        self.changed.setdefault(model, []).append((old, obj))
            transaction.set_rollback(True)  # the database stays as migrations left it

    def restore(self) -> dict:
        """Insert the captured rows again; returns {model: {pk: fresh instance}}."""
        restored = {}
        for model, objs in self.rows.items():
            fresh = [copy.copy(obj) for obj in objs]  # tests may change their instances; the originals stay clean
            fields = model._meta.local_concrete_fields
            if model in self.movable:
                fields = [f for f in fields if not f.primary_key]
            for start in range(0, len(fresh), 200):  # SQLite caps the number of parameters of one statement
                model._base_manager._insert(fresh[start : start + 200], fields=fields, raw=True)
            for obj in fresh:
                obj._state.adding = False
                obj._state.db = "default"
            restored[model] = {obj.pk: obj for obj in fresh}
        for model, pairs in self.changed.items():
            for _old, new in pairs:
                model._base_manager.filter(pk=new.pk).update(
                    **{f.attname: getattr(new, f.attname) for f in model._meta.local_concrete_fields}
                )
        if connection.vendor == "postgresql":
            # Explicit ids do not move PostgreSQL's sequences; the next service insert must not collide.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(self.rows)):
                    cursor.execute(sql)
        return restored

    def try_restore(self) -> bool:
        """Restore a layer if the rows it changed are as the builder found them and nothing clashes."""
        for model, pairs in self.changed.items():
            current = model._base_manager.in_bulk([old.pk for old, _new in pairs])
            if any(old.pk not in current or _values(current[old.pk]) != _values(old) for old, _new in pairs):
                return False  # e.g. another global audit event since: the layer's chain links would be wrong
        try:
            with transaction.atomic():  # a savepoint: a clash leaves nothing half-inserted
                self.restore()
        except IntegrityError:
            return False
        return True


# Shipped catalog files -> their snapshot on top of the cast, for the processes whose tests asked for one.
CATALOG_SNAPSHOTS: dict[tuple[Path, ...], Snapshot] = {}
ISO42001 = DATA_DIR / "frameworks" / "iso42001-2023.yaml"
EU_AI_ACT = DATA_DIR / "frameworks" / "eu-ai-act.yaml"


def load_shipped(*paths: Path) -> None:
    """Load shipped catalog files as `load_catalog` does: from this process's snapshot when one was built
    (request `iso42001_snapshot` / `eu_ai_act_snapshot`) and the database still fits it, else through the loader.
    """
    snapshot = CATALOG_SNAPSHOTS.get(paths)
    if snapshot is None or not snapshot.try_restore():
        load_catalog(list(paths))


def _catalog_snapshot(paths: tuple[Path, ...], cast_snapshot: Snapshot, django_db_blocker) -> Snapshot:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        CATALOG_SNAPSHOTS[paths] = Snapshot(lambda: load_catalog(list(paths)), base=cast_snapshot)
    return CATALOG_SNAPSHOTS[paths]


@pytest.fixture(scope="session")
def iso42001_snapshot(cast_snapshot, django_db_blocker) -> Snapshot:
    return _catalog_snapshot((ISO42001,), cast_snapshot, django_db_blocker)


@pytest.fixture(scope="session")
def eu_ai_act_snapshot(cast_snapshot, django_db_blocker) -> Snapshot:
    return _catalog_snapshot((EU_AI_ACT,), cast_snapshot, django_db_blocker)


def build_cast() -> dict:
    with audit_context(via="test"):
        owner = make_user("alice", full_name="Alice Owner")
        org = organization_create(actor=owner, owner=owner, name="Acme AI", slug="acme")
        users = {Role.OWNER: owner.pk}
        for role, name in [
            (Role.MANAGER, "mona"),
            (Role.CONTRIBUTOR, "carl"),
            (Role.AUDITOR, "aude"),
            (Role.VIEWER, "vera"),
        ]:
            user = make_user(name)
            membership_add(actor=tenant_of(owner, org), user=user, role=role)
            users[role] = user.pk
        outsider = make_user("oscar", full_name="Oscar Outsider")
        other = organization_create(actor=outsider, owner=outsider, name="Globex", slug="globex")
        users["outsider"] = outsider.pk
    return {"org": org.pk, "other_org": other.pk, "users": users}


@pytest.fixture(scope="session")
def cast_snapshot(django_db_setup, django_db_blocker) -> Snapshot:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        return Snapshot(build_cast)


@pytest.fixture
def cast(db, cast_snapshot) -> Cast:
    from openaims.tenancy.models import Organization

    rows = cast_snapshot.restore()
    keys = cast_snapshot.result
    organizations, users = rows[Organization], rows[get_user_model()]
    return Cast(
        org=organizations[keys["org"]],
        other_org=organizations[keys["other_org"]],
        users={who: users[pk] for who, pk in keys["users"].items()},
    )


@pytest.fixture
def client_for(db):
    """client_for(user) -> a Django test client logged in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, json=None, **extra):
        import json as _json

        kwargs = {"headers": self.headers, **extra}
        if json is not None:
            kwargs["data"] = _json.dumps(json)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api_for(db):
    """api_for(user, organization, role=None) -> ApiClient with a fresh token of that role (default: the user's)."""

    def make(user, organization, role: str | None = None) -> ApiClient:
        from openaims.tenancy.models import Membership

        if role is None:
            role = Membership.objects.get(user=user, organization=organization).role
        _token, raw = api_token_create(actor=tenant_of(user, organization), name="test", role=role)
        return ApiClient(raw)

    return make
