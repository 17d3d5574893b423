"""The cast every test uses, built through the services (as in production), plus the role matrix.

`cast` gives one organization ("acme") with a member in each of the five roles and an outsider who
belongs only to another organization ("globex"). Later capabilities reuse it: add rows to a
matrix table in your test module and call `check_web` / `check_api` (see tests/matrix.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from openaims.accounts.services import user_create
from openaims.audittrail.context import audit_context
from openaims.tenancy.roles import Role
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create, membership_add, organization_create

ROLES = [Role.OWNER, Role.MANAGER, Role.CONTRIBUTOR, Role.AUDITOR, Role.VIEWER]
PASSWORD = "a-long-test-password-1"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at its production cost takes ~0.3 s per user; the cast creates six per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.fixture
def cast(db) -> Cast:
    with audit_context(via="test"):
        owner = make_user("alice", full_name="Alice Owner")
        org = organization_create(actor=owner, owner=owner, name="Acme AI", slug="acme")
        users = {Role.OWNER: owner}
        for role, name in [
            (Role.MANAGER, "mona"),
            (Role.CONTRIBUTOR, "carl"),
            (Role.AUDITOR, "aude"),
            (Role.VIEWER, "vera"),
        ]:
            user = make_user(name)
            membership_add(actor=tenant_of(owner, org), user=user, role=role)
            users[role] = user
        outsider = make_user("oscar", full_name="Oscar Outsider")
        other = organization_create(actor=outsider, owner=outsider, name="Globex", slug="globex")
        users["outsider"] = outsider
    return Cast(org=org, other_org=other, users=users)


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
