"""The cast every test uses, built through the services (as in production), plus the role matrix.

`cast` gives one organization ("acme") with a member in each of the five roles and an outsider who
belongs only to another organization ("globex"). Later capabilities reuse it: add rows to a
matrix table in your test module and call `check_web` / `check_api` (see tests/matrix.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import Client, override_settings

from openaims.accounts.services import user_create
from openaims.audittrail.context import audit_context
from openaims.tenancy.roles import Role
from openaims.tenancy.services import api_token_create, membership_add, organization_create

ROLES = [Role.OWNER, Role.MANAGER, Role.CONTRIBUTOR, Role.AUDITOR, Role.VIEWER]
PASSWORD = "a-long-test-password-1"


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at its production cost takes ~0.3 s per user; tests create users by the dozen.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@dataclass
class Cast:
    org: object
    other_org: object
    users: dict = field(default_factory=dict)  # role (or "outsider") -> user

    def user(self, who: str):
        return self.users[who]


def make_user(username: str, **kwargs):
    return user_create(actor=None, username=username, password=PASSWORD, email=f"{username}@example.org", **kwargs)


class Snapshot:
    """The rows a builder wrote, captured once per test process and put back with a few INSERTs per test.

    Building the cast through the services costs ~118 queries (and hashing) before every test; inserting
    the same rows costs one INSERT per table. The rows are the services' own output, audit chain included.
    """

    def __init__(self, build: Callable[[], object]):
        models = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
        before = {m: set(m._base_manager.values_list("pk", flat=True)) for m in models}
        with transaction.atomic():
            self.result = build()
            self.rows = {}
            for model in models:
                new = [obj for obj in model._base_manager.order_by("pk") if obj.pk not in before[model]]
                if new:
                    self.rows[model] = new
            transaction.set_rollback(True)  # the database stays as migrations left it

    def restore(self) -> dict:
        """Insert the captured rows again; returns {model: {pk: fresh instance}}."""
        restored = {}
        for model, objs in self.rows.items():
            fresh = [copy.copy(obj) for obj in objs]  # tests may change their instances; the originals stay clean
            fields = model._meta.local_concrete_fields
            for start in range(0, len(fresh), 200):  # SQLite caps the number of parameters of one statement
                model._base_manager._insert(fresh[start : start + 200], fields=fields, raw=True)
            for obj in fresh:
                obj._state.adding = False
                obj._state.db = "default"
            restored[model] = {obj.pk: obj for obj in fresh}
        if connection.vendor == "postgresql":
            # Explicit ids do not move PostgreSQL's sequences; the next service insert must not collide.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(self.rows)):
                    cursor.execute(sql)
        return restored


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
            membership_add(actor=owner, organization=org, user=user, role=role)
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
        _token, raw = api_token_create(actor=user, organization=organization, name="test", role=role)
        return ApiClient(raw)

    return make
