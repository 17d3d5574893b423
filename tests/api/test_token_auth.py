"""Bearer tokens on the API: each acts in one organization with its own role, capped by its owner's role today."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from openaims.tenancy.models import ApiToken, Membership
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create, api_token_revoke, membership_add, membership_change_role
from tests.conftest import ApiClient
from tests.tenancy.rows import nothing_written


def token_for(user, organization, role, **kwargs) -> tuple[ApiToken, ApiClient]:
    token, raw = api_token_create(actor=tenant_of(user, organization), name="t", role=role, **kwargs)
    return token, ApiClient(raw)


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["details"], list)
    return error


class TestMe:
    def test_it_says_who_the_token_acts_as(self, cast):
        _token, api = token_for(cast.users["auditor"], cast.org, "viewer")

        response = api.get("/api/v1/me")

        assert response.status_code == 200
        body = response.json()
        assert (body["username"], body["role"], body["token_name"]) == ("aude", "viewer", "t")
        assert body["organization"]["slug"] == "acme"
        assert body["organization"]["name"] == "Acme AI"

    def test_it_notes_when_a_token_was_last_used(self, cast):
        token, api = token_for(cast.users["viewer"], cast.org, "viewer")
        assert token.last_used_at is None

        api.get("/api/v1/me")

        token.refresh_from_db()
        assert token.last_used_at is not None


class TestTokenCreation:
    def test_it_returns_the_secret_once_and_stores_only_its_hash(self, cast, api_for):
        api = api_for(cast.users["manager"], cast.org)

        created = api.post("/api/v1/orgs/acme/tokens", json={"name": "nightly", "role": "auditor"})

        assert created.status_code == 201
        raw = created.json()["secret"]
        token = ApiToken.objects.get(pk=created.json()["id"])
        assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        for row in ApiToken.objects.values():
            assert all(raw not in str(value) for value in row.values())
        listed = api.get("/api/v1/orgs/acme/tokens")
        assert raw not in listed.content.decode()
        assert all("secret" not in item for item in listed.json()["items"])
        assert ApiClient(raw).get("/api/v1/me").json()["role"] == "auditor"

    @pytest.mark.parametrize(("who", "role"), [("contributor", "auditor"), ("auditor", "contributor")])
    def test_it_refuses_a_token_with_rights_its_owner_lacks(self, cast, api_for, who, role):
        api = api_for(cast.users[who], cast.org)

        with nothing_written():
            response = api.post("/api/v1/orgs/acme/tokens", json={"name": "more", "role": role})

        error = assert_error(response, 403, "forbidden")
        assert error["details"][0]["field"] == "role"

    def test_a_weaker_token_cannot_mint_a_stronger_one(self, cast):
        _token, api = token_for(cast.users["owner"], cast.org, "viewer")

        with nothing_written():
            response = api.post("/api/v1/orgs/acme/tokens", json={"name": "escalate", "role": "owner"})

        assert_error(response, 403, "forbidden")


class TestTokenRole:
    def test_a_token_acts_with_its_own_role_not_its_owners(self, cast):
        _token, api = token_for(cast.users["owner"], cast.org, "viewer")

        assert api.get("/api/v1/orgs/acme").status_code == 200
        with nothing_written():
            response = api.patch("/api/v1/orgs/acme", json={"name": "Renamed"})

        assert_error(response, 403, "forbidden")
        cast.org.refresh_from_db()
        assert cast.org.name == "Acme AI"

    def test_demoting_the_owner_caps_their_existing_tokens(self, cast):
        alice = cast.users["owner"]
        _token, api = token_for(alice, cast.org, "owner")
        assert api.patch("/api/v1/orgs/acme", json={"description": "before"}).status_code == 200
        mona = Membership.objects.get(organization=cast.org, user=cast.users["manager"])
        membership_change_role(actor=tenant_of(alice), membership=mona, role="owner")
        mine = Membership.objects.get(organization=cast.org, user=alice)
        membership_change_role(actor=cast.tenant("manager"), membership=mine, role="viewer")

        with nothing_written():
            patch = api.patch("/api/v1/orgs/acme", json={"description": "after"})
            add = api.post("/api/v1/orgs/acme/invitations", json={"email": "x@example.org", "role": "viewer"})

        assert_error(patch, 403, "forbidden")
        assert_error(add, 403, "forbidden")
        assert api.get("/api/v1/me").json()["role"] == "viewer"
        assert api.get("/api/v1/orgs/acme").status_code == 200

    def test_a_token_cannot_exceed_a_role_that_is_not_nested_in_its_own(self, cast):
        # An auditor token of someone who is now a contributor keeps only what both roles allow.
        aude = cast.users["auditor"]
        _token, api = token_for(aude, cast.org, "auditor")
        assert api.get("/api/v1/orgs/acme/audit/events").status_code == 200
        membership_change_role(
            actor=cast.tenant("owner"),
            membership=Membership.objects.get(organization=cast.org, user=aude),
            role="contributor",
        )

        assert_error(api.get("/api/v1/orgs/acme/audit/events"), 403, "forbidden")
        assert api.get("/api/v1/orgs/acme/members").status_code == 200


class TestRefusedTokens:
    def test_a_revoked_token_gets_401(self, cast):
        token, api = token_for(cast.users["viewer"], cast.org, "viewer")
        api_token_revoke(actor=cast.tenant("viewer"), token=token)

        assert_error(api.get("/api/v1/me"), 401, "unauthorized")
        assert_error(api.get("/api/v1/orgs/acme"), 401, "unauthorized")

    def test_an_expired_token_gets_401(self, cast):
        token, api = token_for(cast.users["viewer"], cast.org, "viewer", expires_at=timezone.now() + timedelta(days=1))
        assert api.get("/api/v1/me").status_code == 200
        # Time passes beyond the expiry date.
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

        assert_error(api.get("/api/v1/me"), 401, "unauthorized")

    def test_a_token_with_a_wrong_secret_gets_401(self, cast):
        token, _api = token_for(cast.users["viewer"], cast.org, "viewer")
        forged = ApiClient(f"aims_{token.prefix}_{'A' * 43}")

        assert_error(forged.get("/api/v1/me"), 401, "unauthorized")

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "",
            "Bearer",
            "Bearer ",
            "Bearer garbage",
            "Bearer aims_",
            "Bearer aims_000000000000_nothing-like-it",
            "Basic YWxpY2U6cGFzc3dvcmQ=",
            "Token aims_000000000000_x",
        ],
    )
    def test_garbage_or_absent_authorization_gets_401_in_the_error_shape(self, cast, header):
        headers = {} if header is None else {"Authorization": header}

        with nothing_written():
            response = Client().get("/api/v1/orgs/acme/members", headers=headers)

        assert_error(response, 401, "unauthorized")

    def test_a_token_needs_no_csrf_form_token(self, cast):
        _token, api = token_for(cast.users["owner"], cast.org, "owner")
        api.client = Client(enforce_csrf_checks=True)

        response = api.patch("/api/v1/orgs/acme", json={"description": "from a pipeline"})

        assert response.status_code == 200
        assert response.json()["description"] == "from a pipeline"

    def test_a_logged_in_browser_session_is_not_an_api_credential(self, cast, client_for):
        response = client_for(cast.users["owner"]).get("/api/v1/me")

        assert_error(response, 401, "unauthorized")


class TestTokenScope:
    def test_a_token_works_only_in_its_own_organization(self, cast):
        vera = cast.users["viewer"]
        membership_add(actor=cast.tenant("outsider"), user=vera, role="owner")
        _acme, acme_api = token_for(vera, cast.org, "viewer")
        _globex, globex_api = token_for(vera, cast.other_org, "owner")

        assert_error(acme_api.get("/api/v1/orgs/globex"), 404, "not_found")
        assert_error(acme_api.get("/api/v1/orgs/globex/members"), 404, "not_found")
        with nothing_written():
            patch = acme_api.patch("/api/v1/orgs/globex", json={"name": "Taken over"})
        assert_error(patch, 404, "not_found")
        assert globex_api.get("/api/v1/orgs/globex").status_code == 200
        assert_error(globex_api.get("/api/v1/orgs/acme"), 404, "not_found")

    def test_an_outsiders_token_cannot_see_the_organization(self, cast):
        _token, api = token_for(cast.users["outsider"], cast.other_org, "owner")

        error = assert_error(api.get("/api/v1/orgs/acme/members"), 404, "not_found")
        assert error["message"] == "No such organization for this token"

    def test_a_member_of_another_organization_cannot_be_reached_by_id(self, cast, api_for):
        other = Membership.objects.get(organization=cast.other_org)
        api = api_for(cast.users["owner"], cast.org)

        with nothing_written():
            assert_error(api.get(f"/api/v1/orgs/acme/members/{other.pk}"), 404, "not_found")
            assert_error(api.patch(f"/api/v1/orgs/acme/members/{other.pk}", json={"role": "viewer"}), 404, "not_found")
            assert_error(api.delete(f"/api/v1/orgs/acme/members/{other.pk}"), 404, "not_found")

    def test_revoking_another_organizations_token_is_not_found(self, cast, api_for):
        theirs, their_api = token_for(cast.users["outsider"], cast.other_org, "owner")
        api = api_for(cast.users["owner"], cast.org)

        with nothing_written():
            assert_error(api.delete(f"/api/v1/orgs/acme/tokens/{theirs.pk}"), 404, "not_found")

        assert their_api.get("/api/v1/me").status_code == 200
