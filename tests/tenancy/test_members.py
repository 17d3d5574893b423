"""Adding members, changing roles and removing members, on the web and the API; the last owner stays."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from openaims.audittrail.models import AuditEvent
from openaims.tenancy.models import ApiToken, Membership
from openaims.tenancy.selectors import tenant_of
from openaims.tenancy.services import api_token_create, membership_add, membership_change_role
from tests.conftest import ApiClient, make_user
from tests.revisions import revision_of
from tests.tenancy.rows import nothing_written

ADD = reverse("tenancy:member_add", args=["acme"])


def membership(cast, who) -> Membership:
    return Membership.objects.get(organization=cast.org, user=cast.users[who])


def member_url(cast, who) -> str:
    return reverse("tenancy:member", args=["acme", membership(cast, who).pk])


def remove_url(cast, who) -> str:
    return reverse("tenancy:member_remove", args=["acme", membership(cast, who).pk])


def api_member(cast, who) -> str:
    return f"/api/v1/orgs/acme/members/{membership(cast, who).pk}"


def last_event(cast) -> AuditEvent:
    return AuditEvent.objects.filter(organization=cast.org).order_by("-seq").first()


class TestAdd:
    @pytest.mark.parametrize("named_by", ["nina", "NINA", "nina@example.org", "Nina@Example.ORG"])
    def test_it_adds_an_existing_account_by_username_or_email(self, cast, client_for, named_by):
        nina = make_user("nina")

        response = client_for(cast.users["owner"]).post(ADD, {"user": named_by, "role": "auditor"})

        assert response.status_code == 302
        added = Membership.objects.get(organization=cast.org, user=nina)
        assert added.role == "auditor"
        event = last_event(cast)
        assert (event.action, event.object_type, event.object_id) == ("create", "tenancy.membership", str(added.pk))
        assert json.loads(event.changes) == {"user": [None, "nina"], "role": [None, "auditor"]}
        assert event.actor_id == cast.users["owner"].pk

    def test_the_new_member_sees_the_organization(self, cast, client_for):
        nina = make_user("nina")
        client_for(cast.users["owner"]).post(ADD, {"user": "nina", "role": "viewer"})

        assert client_for(nina).get("/o/acme/").status_code == 200

    def test_it_refuses_an_unknown_account_with_a_form_error(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(ADD, {"user": "nobody@example.org", "role": "viewer"})

        assert response.status_code == 400
        assert b"no account has this username or email; send an invitation instead" in response.content

    def test_it_refuses_to_add_someone_who_is_a_member_already(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(ADD, {"user": "vera", "role": "manager"})

        assert response.status_code == 400
        assert b"vera is already a member" in response.content
        assert membership(cast, "viewer").role == "viewer"

    def test_it_refuses_an_unknown_role(self, cast, client_for):
        make_user("nina")

        with nothing_written():
            response = client_for(cast.users["owner"]).post(ADD, {"user": "nina", "role": "admin"})

        assert response.status_code == 400
        assert b"Select a valid choice." in response.content

    def test_the_api_answers_409_for_an_existing_member(self, cast, api_for):
        api = api_for(cast.users["owner"], cast.org)

        with nothing_written():
            response = api.post("/api/v1/orgs/acme/members", json={"user": "vera@example.org", "role": "manager"})

        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
        assert response.json()["error"]["details"] == [{"field": "user", "message": "vera is already a member"}]

    def test_the_api_adds_by_email_and_answers_the_new_member(self, cast, api_for):
        make_user("nina", full_name="Nina N")
        api = api_for(cast.users["owner"], cast.org)

        response = api.post("/api/v1/orgs/acme/members", json={"user": "nina@example.org", "role": "contributor"})

        assert response.status_code == 201
        body = response.json()
        assert (body["username"], body["full_name"], body["role"]) == ("nina", "Nina N", "contributor")
        assert Membership.objects.get(pk=body["id"]).organization == cast.org

    def test_the_api_answers_404_for_an_unknown_account(self, cast, api_for):
        api = api_for(cast.users["owner"], cast.org)

        with nothing_written():
            response = api.post("/api/v1/orgs/acme/members", json={"user": "nobody", "role": "viewer"})

        assert response.status_code == 404
        assert "send an invitation" in response.json()["error"]["message"]


class TestRoleChange:
    def test_it_records_the_role_before_and_after(self, cast, client_for):
        response = client_for(cast.users["owner"]).post(
            member_url(cast, "viewer"), {"role": "contributor", "revision": revision_of(membership(cast, "viewer"))}
        )

        assert response.status_code == 302
        assert membership(cast, "viewer").role == "contributor"
        event = last_event(cast)
        assert (event.action, event.object_id) == ("update", str(membership(cast, "viewer").pk))
        assert json.loads(event.changes) == {"role": ["viewer", "contributor"]}

    def test_it_records_nothing_when_the_role_stays_the_same(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(
                member_url(cast, "viewer"), {"role": "viewer", "revision": revision_of(membership(cast, "viewer"))}
            )

        assert response.status_code == 302

    def test_the_api_changes_a_role_and_records_it(self, cast, api_for):
        api = api_for(cast.users["owner"], cast.org)

        response = api.patch(api_member(cast, "auditor"), json={"role": "manager"})

        assert response.status_code == 200
        assert response.json()["role"] == "manager"
        assert json.loads(last_event(cast).changes) == {"role": ["auditor", "manager"]}

    def test_the_new_role_takes_effect_at_once(self, cast, client_for):
        vera = client_for(cast.users["viewer"])
        assert vera.get("/o/acme/audit/").status_code == 403

        client_for(cast.users["owner"]).post(
            member_url(cast, "viewer"), {"role": "auditor", "revision": revision_of(membership(cast, "viewer"))}
        )

        assert vera.get("/o/acme/audit/").status_code == 200


class TestLastOwner:
    def test_the_web_refuses_to_demote_the_last_owner(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(
                member_url(cast, "owner"), {"role": "viewer", "revision": revision_of(membership(cast, "owner"))}
            )

        assert response.status_code == 400
        assert b"an organization needs at least one owner; make someone else owner first" in response.content
        assert membership(cast, "owner").role == "owner"

    def test_the_web_refuses_to_remove_the_last_owner(self, cast, client_for):
        client = client_for(cast.users["owner"])

        with nothing_written():
            response = client.post(remove_url(cast, "owner"))

        assert response.status_code == 302
        assert response["Location"] == member_url(cast, "owner")
        page = client.get(response["Location"])
        assert b"the last owner cannot be removed; make someone else owner first" in page.content
        assert membership(cast, "owner").role == "owner"

    def test_the_api_answers_409_to_demoting_the_last_owner(self, cast, api_for):
        api = api_for(cast.users["owner"], cast.org)

        with nothing_written():
            response = api.patch(api_member(cast, "owner"), json={"role": "manager"})

        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
        assert "at least one owner" in response.json()["error"]["message"]

    def test_the_api_answers_409_to_removing_the_last_owner(self, cast, api_for):
        api = api_for(cast.users["owner"], cast.org)

        with nothing_written():
            response = api.delete(api_member(cast, "owner"))

        assert response.status_code == 409
        assert response.json()["error"]["message"] == "the last owner cannot be removed; make someone else owner first"

    def test_an_owner_may_step_down_once_there_is_another(self, cast, client_for):
        membership_change_role(actor=cast.tenant("owner"), membership=membership(cast, "manager"), role="owner")

        response = client_for(cast.users["owner"]).post(
            member_url(cast, "owner"), {"role": "viewer", "revision": revision_of(membership(cast, "owner"))}
        )

        assert response.status_code == 302
        assert membership(cast, "owner").role == "viewer"
        assert membership(cast, "manager").role == "owner"


class TestRemove:
    def test_it_removes_the_member_and_records_what_they_were(self, cast, client_for):
        pk = membership(cast, "viewer").pk

        response = client_for(cast.users["owner"]).post(remove_url(cast, "viewer"))

        assert response.status_code == 302
        assert response["Location"] == reverse("tenancy:members", args=["acme"])
        assert not Membership.objects.filter(pk=pk).exists()
        event = last_event(cast)
        assert (event.action, event.object_id) == ("delete", str(pk))
        assert json.loads(event.changes) == {"user": ["vera", None], "role": ["viewer", None]}

    def test_a_removed_member_no_longer_sees_the_organization(self, cast, client_for):
        vera = client_for(cast.users["viewer"])

        client_for(cast.users["owner"]).post(remove_url(cast, "viewer"))

        assert vera.get("/o/acme/").status_code == 404

    def test_it_revokes_their_tokens_for_this_organization_only(self, cast, client_for):
        vera = cast.users["viewer"]
        membership_add(actor=cast.tenant("outsider"), user=vera, role="contributor")
        acme_token, acme_raw = api_token_create(actor=tenant_of(vera, cast.org), name="ci", role="viewer")
        globex_token, globex_raw = api_token_create(actor=tenant_of(vera, cast.other_org), name="ci", role="viewer")
        assert ApiClient(acme_raw).get("/api/v1/me").status_code == 200

        client_for(cast.users["owner"]).post(remove_url(cast, "viewer"))

        acme_token.refresh_from_db()
        globex_token.refresh_from_db()
        assert acme_token.status == "revoked"
        assert globex_token.status == "active"
        assert ApiClient(acme_raw).get("/api/v1/me").status_code == 401
        assert ApiClient(globex_raw).get("/api/v1/me").status_code == 200

    def test_the_api_removes_a_member_and_their_tokens(self, cast, api_for):
        _token, raw = api_token_create(actor=cast.tenant("auditor"), name="ci", role="auditor")
        api = api_for(cast.users["owner"], cast.org)

        response = api.delete(api_member(cast, "auditor"))

        assert response.status_code == 204
        assert not Membership.objects.filter(organization=cast.org, user=cast.users["auditor"]).exists()
        assert ApiToken.objects.get(user=cast.users["auditor"]).status == "revoked"
        assert ApiClient(raw).get("/api/v1/orgs/acme/audit/events").status_code == 401

    def test_it_answers_404_for_a_member_of_another_organization(self, cast, client_for):
        other = Membership.objects.get(organization=cast.other_org)

        with nothing_written():
            response = client_for(cast.users["owner"]).post(reverse("tenancy:member_remove", args=["acme", other.pk]))

        assert response.status_code == 404
