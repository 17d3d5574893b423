"""Personal API tokens on the web: shown once, stored as a hash, never with more rights than their owner."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from openaims.lib.errors import Forbidden
from openaims.tenancy.models import ApiToken, Tenant
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create
from tests.conftest import ApiClient
from tests.tenancy.rows import nothing_written

TOKENS = reverse("tenancy:tokens", args=["acme"])
# (who, role): each asks for a token the permission sets do not allow; they are not nested.
ABOVE = [("contributor", "auditor"), ("auditor", "contributor"), ("manager", "owner"), ("viewer", "contributor")]


def secret_on(page) -> str | None:
    found = re.search(rb'value="(aims_[0-9a-f]{12}_[A-Za-z0-9_-]+)"', page.content)
    return found.group(1).decode() if found else None


def offered_roles(page) -> list[str]:
    form = page.content.split(b"New token", 1)[1]
    return [value.decode() for value in re.findall(rb'<option value="(\w+)"', form)]


def test_it_shows_the_new_token_once_and_stores_only_its_hash(cast, client_for):
    client = client_for(cast.users["contributor"])

    response = client.post(TOKENS, {"name": "pipeline", "role": "viewer"})

    assert response.status_code == 200
    raw = secret_on(response)
    assert raw is not None
    token = ApiToken.objects.get(name="pipeline")
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    for row in ApiToken.objects.values():
        assert all(raw not in str(value) for value in row.values())
    for row in AuditEvent.objects.values():
        assert all(raw not in str(value) for value in row.values())
    assert secret_on(client.get(TOKENS)) is None, "the secret is not shown a second time"
    assert ApiClient(raw).get("/api/v1/me").json()["token_name"] == "pipeline"


def test_it_records_the_token_creation_without_the_secret(cast, client_for):
    client_for(cast.users["contributor"]).post(TOKENS, {"name": "pipeline", "role": "contributor"})

    token = ApiToken.objects.get(name="pipeline")
    event = AuditEvent.objects.get(organization=cast.org, object_type="tenancy.apitoken", object_id=str(token.pk))
    assert event.changes_dict == {
        "name": [None, "pipeline"],
        "role": [None, "contributor"],
        "user": [None, cast.users["contributor"].pk],
    }


@pytest.mark.parametrize(
    ("who", "offered"),
    [
        ("owner", ["owner", "manager", "contributor", "auditor", "viewer"]),
        ("manager", ["manager", "contributor", "auditor", "viewer"]),
        ("contributor", ["contributor", "viewer"]),
        ("auditor", ["auditor", "viewer"]),
        ("viewer", ["viewer"]),
    ],
)
def test_it_offers_only_roles_within_the_persons_own(cast, client_for, who, offered):
    assert offered_roles(client_for(cast.users[who]).get(TOKENS)) == offered


@pytest.mark.parametrize(("who", "role"), ABOVE)
def test_it_refuses_a_token_above_the_persons_role(cast, client_for, who, role):
    with nothing_written():
        response = client_for(cast.users[who]).post(TOKENS, {"name": "too much", "role": role})

    assert response.status_code == 400
    assert b"Select a valid choice." in response.content
    assert secret_on(response) is None


@pytest.mark.parametrize(("who", "role"), ABOVE)
def test_the_service_refuses_a_token_above_the_persons_role(cast, who, role):
    with nothing_written(), pytest.raises(Forbidden, match="a token cannot have more rights than you"):
        api_token_create(actor=cast.tenant(who), name="x", role=role)


def test_nobody_acts_in_an_organization_they_are_not_in(cast):
    # Services act for a Tenant; an outsider never gets one for acme, so cannot create a token there.
    with nothing_written(), pytest.raises(Forbidden, match="not a member of acme"):
        api_token_create(actor=tenant_of(cast.users["outsider"], cast.org), name="x", role="viewer")


def test_the_system_actor_holds_no_tokens(cast):
    with nothing_written(), pytest.raises(Forbidden, match="only a person holds API tokens"):
        api_token_create(actor=Tenant.system(cast.org), name="x", role="viewer")


def test_it_refuses_an_expiry_date_in_the_past(cast, client_for):
    with nothing_written():
        response = client_for(cast.users["viewer"]).post(
            TOKENS, {"name": "old", "role": "viewer", "expires_at": "2001-01-01"}
        )

    assert response.status_code == 400
    assert b"the expiry date must be in the future" in response.content


def test_a_revoked_token_stops_working(cast, client_for):
    token, raw = api_token_create(actor=cast.tenant("viewer"), name="ci", role="viewer")
    client = client_for(cast.users["viewer"])

    response = client.post(reverse("tenancy:token_revoke", args=["acme", token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.status == "revoked"
    assert ApiClient(raw).get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(object_type="tenancy.apitoken", object_id=str(token.pk), action="revoke").exists()


def test_people_see_only_their_own_tokens_and_owners_see_all(cast, client_for):
    api_token_create(actor=cast.tenant("viewer"), name="veras-token", role="viewer")
    api_token_create(actor=cast.tenant("auditor"), name="audes-token", role="auditor")

    vera_page = client_for(cast.users["viewer"]).get(TOKENS).content
    owner_page = client_for(cast.users["owner"]).get(TOKENS).content

    assert b"veras-token" in vera_page and b"audes-token" not in vera_page
    assert b"veras-token" in owner_page and b"audes-token" in owner_page
