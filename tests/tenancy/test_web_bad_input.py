"""Bad requests to the web pages: a clear 400 or 404 page and nothing written."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from openaims.tenancy.models import Membership
from tests.conftest import PASSWORD
from tests.revisions import revision_of
from tests.tenancy.rows import nothing_written


def without_csrf_token(response) -> bytes:
    content = re.sub(rb'"X-CSRFToken": "[^"]*"', b"", response.content)
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


class TestOversizedForm:
    @pytest.fixture(autouse=True)
    def small_limit(self, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    def test_a_settings_post_over_the_limit_gets_the_400_page(self, cast, client_for):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(
                reverse("tenancy:settings", args=["acme"]), {"name": "Acme AI", "description": "d" * 5000}
            )

        assert response.status_code == 400
        assert b"<h1>Bad request</h1>" in response.content
        assert b"it may be too large" in response.content
        cast.org.refresh_from_db()
        assert cast.org.description == ""

    def test_a_comment_over_the_limit_gets_the_400_page(self, cast, client_for):
        url = reverse("comments:add", args=["acme", "tenancy.organization", cast.org.pk])

        with nothing_written():
            response = client_for(cast.users["auditor"]).post(url, {"body": "b" * 5000})

        assert response.status_code == 400
        assert b"it may be too large" in response.content

    def test_a_login_over_the_limit_gets_the_400_page_and_logs_nobody_in(self, cast, client):
        with nothing_written():
            response = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD + "x" * 5000})

        assert response.status_code == 400
        assert "_auth_user_id" not in client.session

    def test_a_form_within_the_limit_is_accepted(self, cast, client_for):
        response = client_for(cast.users["owner"]).post(
            reverse("tenancy:settings", args=["acme"]),
            {"name": "Acme AI", "description": "d" * 500, "revision": revision_of(cast.org)},
        )

        assert response.status_code == 302
        cast.org.refresh_from_db()
        assert cast.org.description == "d" * 500

    def test_too_many_fields_get_the_400_page(self, cast, client_for, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
        data = {f"f{i}": "x" for i in range(50)} | {"name": "Renamed"}

        with nothing_written():
            response = client_for(cast.users["owner"]).post(reverse("tenancy:settings", args=["acme"]), data)

        assert response.status_code == 400


class TestUnknownOrganization:
    @pytest.mark.parametrize(
        "path",
        [
            "/o/nope/",
            "/o/nope/settings/",
            "/o/nope/members/",
            "/o/nope/tokens/",
            "/o/nope/audit/",
            "/o/nope/audit/export.jsonl",
            "/o/nope/history/tenancy.organization/1/",
        ],
    )
    def test_a_page_of_an_unknown_organization_is_not_found(self, cast, client_for, path):
        response = client_for(cast.users["owner"]).get(path)

        assert response.status_code == 404
        assert b"<h1>Not found</h1>" in response.content

    def test_the_404_page_looks_the_same_as_for_an_organization_one_is_not_in(self, cast, client_for):
        client = client_for(cast.users["outsider"])

        unknown = client.get("/o/nope/members/")
        hidden = client.get("/o/acme/members/")

        assert unknown.status_code == hidden.status_code == 404
        assert without_csrf_token(unknown) == without_csrf_token(hidden)

    @pytest.mark.parametrize(
        ("path", "data"),
        [
            ("/o/nope/settings/", {"name": "x"}),
            ("/o/nope/members/add/", {"user": "vera", "role": "viewer"}),
            ("/o/nope/members/invite/", {"email": "a@example.org", "role": "viewer"}),
            ("/o/nope/tokens/", {"name": "t", "role": "viewer"}),
        ],
    )
    def test_a_post_to_an_unknown_organization_writes_nothing(self, cast, client_for, path, data):
        with nothing_written():
            response = client_for(cast.users["owner"]).post(path, data)

        assert response.status_code == 404


class TestUnknownObjects:
    def test_an_unknown_member_is_not_found(self, cast, client_for):
        assert client_for(cast.users["owner"]).get("/o/acme/members/999999/").status_code == 404

    def test_a_member_of_another_organization_cannot_be_changed(self, cast, client_for):
        other = Membership.objects.get(organization=cast.other_org)

        with nothing_written():
            response = client_for(cast.users["owner"]).post(f"/o/acme/members/{other.pk}/", {"role": "viewer"})

        assert response.status_code == 404
        other.refresh_from_db()
        assert other.role == "owner"

    @pytest.mark.parametrize(
        "path",
        [
            "/o/acme/history/no.such/1/",
            "/o/acme/history/tenancy.membership/abc/",
            "/o/acme/history/tenancy.membership/999999/",
            "/o/acme/history/tenancy.apitoken/999999/",
        ],
    )
    def test_an_unknown_history_is_not_found(self, cast, client_for, path):
        assert client_for(cast.users["owner"]).get(path).status_code == 404

    def test_an_unknown_page_is_not_found(self, cast, client_for):
        assert client_for(cast.users["owner"]).get("/no/such/page/").status_code == 404

    def test_a_non_slug_organization_is_not_found(self, cast, client_for):
        assert client_for(cast.users["owner"]).get("/o/ac%20me/").status_code == 404


def test_a_page_of_an_organization_asks_anonymous_visitors_to_log_in(cast):
    response = Client().get("/o/nope/members/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
