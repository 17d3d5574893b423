"""Creating an organization (the creator becomes its owner) and editing its settings, each audited."""

from __future__ import annotations

import json

from django.urls import reverse

from openaims.audittrail.chain import verify_chain
from openaims.audittrail.models import AuditEvent
from openaims.tenancy.models import Membership, Organization
from tests.revisions import revision_of
from tests.tenancy.rows import nothing_written

NEW = reverse("tenancy:organization_new")
SETTINGS = reverse("tenancy:settings", args=["acme"])


def changes(event) -> dict:
    return json.loads(event.changes)


class TestCreate:
    def test_it_makes_the_creator_owner_and_records_both_events(self, cast, client_for):
        vera = cast.users["viewer"]

        response = client_for(vera).post(NEW, {"name": "Initech Labs", "slug": "initech", "description": "R&D"})

        assert response.status_code == 302
        assert response["Location"] == "/o/initech/"
        org = Organization.objects.get(slug="initech")
        assert Membership.objects.get(organization=org).user == vera
        assert Membership.objects.get(organization=org).role == "owner"
        created_org, created_membership = AuditEvent.objects.filter(organization=org).order_by("seq")
        assert (created_org.seq, created_org.action, created_org.object_type) == (1, "create", "tenancy.organization")
        assert changes(created_org) == {
            "name": [None, "Initech Labs"],
            "slug": [None, "initech"],
            "description": [None, "R&D"],
        }
        assert (created_membership.seq, created_membership.object_type) == (2, "tenancy.membership")
        assert changes(created_membership) == {"user": [None, "vera"], "role": [None, "owner"]}
        assert {created_org.actor_id, created_membership.actor_id} == {vera.pk}
        assert verify_chain(org.pk).ok

    def test_it_opens_the_new_organization_for_its_owner(self, cast, client_for):
        client = client_for(cast.users["viewer"])
        client.post(NEW, {"name": "Initech Labs", "slug": "initech"})

        response = client.get("/o/initech/members/")

        assert response.status_code == 200
        assert b"Add an existing account" in response.content

    def test_it_makes_a_free_slug_from_the_name_when_none_is_given(self, cast, client_for):
        client = client_for(cast.users["viewer"])

        first = client.post(NEW, {"name": "Acme", "slug": ""})
        second = client.post(NEW, {"name": "Initech Labs", "slug": ""})

        assert first["Location"] == "/o/acme-2/", "acme is taken"
        assert second["Location"] == "/o/initech-labs/"

    def test_it_refuses_a_taken_slug_with_a_form_error(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["viewer"]).post(NEW, {"name": "Another Acme", "slug": "acme"})

        assert response.status_code == 400
        assert b"this slug is taken" in response.content

    def test_it_refuses_a_slug_that_is_not_a_slug(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["viewer"]).post(NEW, {"name": "Initech", "slug": "not a slug!"})

        assert response.status_code == 400
        assert b"has-error" in response.content

    def test_it_refuses_an_organization_without_a_name(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["viewer"]).post(NEW, {"name": "", "slug": "nameless"})

        assert response.status_code == 400
        assert b"This field is required." in response.content

    def test_it_refuses_creation_when_the_server_switched_it_off(self, cast, client_for, settings):
        settings.AIMS_ALLOW_SIGNUP_ORGS = False

        with nothing_written():
            response = client_for(cast.users["viewer"]).post(NEW, {"name": "Initech", "slug": "initech"}, follow=True)

        assert b"Creating organizations is switched off on this server." in response.content


class TestSettings:
    def last_update(self, cast):
        return AuditEvent.objects.filter(organization=cast.org, action="update").order_by("-seq").first()

    def test_it_records_only_the_changed_field(self, cast, client_for):
        client = client_for(cast.users["owner"])

        response = client.post(
            SETTINGS, {"revision": revision_of(cast.org), "name": "Acme AI", "description": "We build models."}
        )

        assert response.status_code == 302
        event = self.last_update(cast)
        assert event.object_type == "tenancy.organization"
        assert event.object_id == str(cast.org.pk)
        assert event.actor_id == cast.users["owner"].pk
        assert changes(event) == {"description": [None, "We build models."]}

    def test_it_records_before_and_after_of_a_rename(self, cast, client_for):
        client_for(cast.users["owner"]).post(
            SETTINGS, {"revision": revision_of(cast.org), "name": "Acme Intelligence", "description": ""}
        )

        assert changes(self.last_update(cast)) == {"name": ["Acme AI", "Acme Intelligence"]}
        cast.org.refresh_from_db()
        assert cast.org.name == "Acme Intelligence"
        assert cast.org.slug == "acme", "the slug is not editable"

    def test_it_records_nothing_when_nothing_changed(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(
                SETTINGS, {"revision": revision_of(cast.org), "name": "Acme AI", "description": ""}
            )

        assert response.status_code == 302

    def test_it_refuses_an_empty_name(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(
                SETTINGS, {"revision": revision_of(cast.org), "name": "  ", "description": "x"}
            )

        assert response.status_code == 400
        assert b"This field is required." in response.content

    def test_it_records_a_patch_through_the_api_with_the_changed_field_only(self, cast, api_for):
        api = api_for(cast.users["owner"], cast.org)

        response = api.patch("/api/v1/orgs/acme", json={"description": "Via the API"})

        assert response.status_code == 200
        assert response.json()["description"] == "Via the API"
        assert response.json()["name"] == "Acme AI"
        event = self.last_update(cast)
        assert changes(event) == {"description": [None, "Via the API"]}
        assert json.loads(event.context)["via"] == "api"
