"""Bad requests to the API: every refusal has the one error shape and nothing is written."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from openaims.api.main import api as ninja_api
from openaims.tenancy.models import Organization
from tests.tenancy.rows import nothing_written


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error


def fields(error) -> list:
    return [detail["field"] for detail in error["details"]]


@pytest.fixture
def owner_api(cast, api_for):
    return api_for(cast.users["owner"], cast.org)


def send_raw(api, method, path, body: str | bytes):
    return getattr(api.client, method)(path, data=body, content_type="application/json", headers=api.headers)


class TestMalformedJson:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("post", "/api/v1/orgs/acme/members"),
            ("patch", "/api/v1/orgs/acme"),
            ("post", "/api/v1/orgs/acme/tokens"),
            ("post", "/api/v1/orgs/acme/invitations"),
        ],
    )
    @pytest.mark.parametrize("body", ['{"user": "vera",', "{'role': 'viewer'}", "not json at all", b"\xff\xfe\x00"])
    def test_it_answers_400_malformed_json(self, owner_api, method, path, body):
        with nothing_written():
            response = send_raw(owner_api, method, path, body)

        error = assert_error(response, 400, "malformed_json")
        assert error["message"] == "the request body is not valid JSON"


class TestValidation:
    def test_it_names_each_missing_field(self, owner_api):
        with nothing_written():
            response = owner_api.post("/api/v1/orgs/acme/members", json={})

        error = assert_error(response, 422, "validation_error")
        assert fields(error) == ["user", "role"]
        assert error["message"] == "user: Field required; role: Field required"

    def test_it_names_a_field_of_the_wrong_type(self, owner_api):
        with nothing_written():
            response = owner_api.patch("/api/v1/orgs/acme", json={"name": 123, "description": ["a"]})

        error = assert_error(response, 422, "validation_error")
        assert sorted(fields(error)) == ["description", "name"]

    def test_it_refuses_an_unknown_role(self, owner_api):
        with nothing_written():
            response = owner_api.post("/api/v1/orgs/acme/members", json={"user": "vera", "role": "admin"})

        error = assert_error(response, 422, "validation_error")
        assert fields(error) == ["role"]
        assert "'owner'" in error["details"][0]["message"], "the message lists the roles there are"

    @pytest.mark.parametrize(
        ("method", "path", "body", "field"),
        [
            ("patch", "/api/v1/orgs/acme", {"name": ""}, "name"),
            ("patch", "/api/v1/orgs/acme", {"name": "x" * 121}, "name"),
            ("patch", "/api/v1/orgs/acme/members/1", {"role": "superuser"}, "role"),
            ("post", "/api/v1/orgs/acme/tokens", {"name": "", "role": "viewer"}, "name"),
            ("post", "/api/v1/orgs/acme/tokens", {"name": "ci", "role": "viewer", "expires_at": "soon"}, "expires_at"),
            ("post", "/api/v1/orgs/acme/invitations", {"email": "new@example.org", "role": "root"}, "role"),
            ("post", "/api/v1/orgs/acme/invitations", {"role": "viewer"}, "email"),
        ],
    )
    def test_it_names_the_field_that_is_wrong(self, owner_api, method, path, body, field):
        with nothing_written():
            response = owner_api.request(method, path, json=body)

        assert field in fields(assert_error(response, 422, "validation_error"))

    @pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "42", "null", "[null, null]"])
    @pytest.mark.parametrize(
        ("method", "path"), [("post", "/api/v1/orgs/acme/members"), ("patch", "/api/v1/orgs/acme")]
    )
    def test_json_that_is_not_an_object_is_refused(self, owner_api, method, path, body):
        with nothing_written():
            response = send_raw(owner_api, method, path, body)

        error = assert_error(response, 422, "validation_error")
        assert error["message"] == "the request body must be a JSON object"

    def test_an_empty_body_is_refused(self, owner_api):
        with nothing_written():
            response = send_raw(owner_api, "post", "/api/v1/orgs/acme/members", "")

        assert_error(response, 422, "validation_error")

    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/api/v1/orgs/acme/members?page=abc", "page"),
            ("/api/v1/orgs/acme/members?role=admin", "role"),
            ("/api/v1/orgs/acme/members/abc", "member_id"),
            ("/api/v1/orgs/acme/audit/events?since=yesterday", "since"),
        ],
    )
    def test_it_names_a_bad_query_or_path_parameter(self, owner_api, path, field):
        assert fields(assert_error(owner_api.get(path), 422, "validation_error")) == [field]

    def test_a_whitespace_comment_is_refused_by_the_service(self, cast, owner_api):
        with nothing_written():
            response = owner_api.post(
                f"/api/v1/orgs/acme/comments/tenancy.organization/{cast.org.pk}", json={"body": " "}
            )

        error = assert_error(response, 400, "invalid")
        assert error["details"] == [{"field": "body", "message": "a comment cannot be empty"}]


class TestOversizedBody:
    def test_it_answers_413_before_parsing(self, owner_api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
        body = json.dumps({"name": "x", "description": "d" * 5000})
        assert len(body) > 5000

        with nothing_written():
            response = send_raw(owner_api, "patch", "/api/v1/orgs/acme", body)

        assert_error(response, 413, "too_large")

    def test_a_body_within_the_limit_is_accepted(self, owner_api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

        response = owner_api.patch("/api/v1/orgs/acme", json={"description": "d" * 900})

        assert response.status_code == 200
        assert Organization.objects.get(slug="acme").description == "d" * 900

    def test_an_oversized_body_gets_413_even_when_it_is_not_json(self, owner_api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

        with nothing_written():
            response = send_raw(owner_api, "post", "/api/v1/orgs/acme/members", b"{" * 5000)

        assert_error(response, 413, "too_large")


class TestNotFound:
    @pytest.mark.parametrize(
        "path",
        ["/api/v1/", "/api/v1/nope", "/api/v1/orgs/acme/nope", "/api/v1/orgs/acme/members/1/extra", "/api/v1/v2/me"],
    )
    def test_an_unknown_path_answers_404_json(self, owner_api, path):
        assert_error(owner_api.get(path), 404, "not_found")

    def test_an_unknown_path_answers_404_json_without_a_token(self, cast):
        assert_error(Client().post("/api/v1/nope", data="{}", content_type="application/json"), 404, "not_found")

    @pytest.mark.parametrize("path", ["/api/v1/orgs/nope", "/api/v1/orgs/nope/members", "/api/v1/orgs/globex/tokens"])
    def test_an_unknown_organization_answers_404(self, owner_api, path):
        assert_error(owner_api.get(path), 404, "not_found")

    def test_an_unknown_member_answers_404(self, owner_api):
        with nothing_written():
            assert_error(owner_api.patch("/api/v1/orgs/acme/members/999999", json={"role": "viewer"}), 404, "not_found")

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/orgs/acme/history/nope.nope/1",
            "/api/v1/orgs/acme/history/tenancy.membership/abc",
            "/api/v1/orgs/acme/history/tenancy.membership/999999",
        ],
    )
    def test_an_unknown_history_object_answers_404(self, owner_api, path):
        assert_error(owner_api.get(path), 404, "not_found")


class TestWrongMethod:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("put", "/api/v1/orgs/acme"), ("post", "/api/v1/orgs/acme"), ("delete", "/api/v1/orgs/acme/members")],
    )
    def test_it_answers_405_in_the_error_shape(self, owner_api, method, path):
        with nothing_written():
            response = send_raw(owner_api, method, path, "{}")

        error = assert_error(response, 405, "method_not_allowed")
        assert method.upper() in error["message"]
        assert "GET" in response["Allow"]


class TestDocumentation:
    def test_the_openapi_document_is_json_listing_every_path(self, cast):
        response = Client().get("/api/v1/openapi.json")

        assert response.status_code == 200
        document = json.loads(response.content)
        assert document["openapi"].startswith("3.")
        assert document["info"]["title"] == "OpenAIMS API"
        paths = set(document["paths"])
        assert {
            "/api/v1/me",
            "/api/v1/orgs/{org}",
            "/api/v1/orgs/{org}/members",
            "/api/v1/orgs/{org}/members/{member_id}",
            "/api/v1/orgs/{org}/invitations",
            "/api/v1/orgs/{org}/tokens",
            "/api/v1/orgs/{org}/tokens/{token_id}",
            "/api/v1/orgs/{org}/audit/events",
            "/api/v1/orgs/{org}/audit/events.jsonl",
            "/api/v1/orgs/{org}/audit/verify",
            "/api/v1/orgs/{org}/history/{object_type}/{object_id}",
            "/api/v1/orgs/{org}/comments/{object_type}/{object_id}",
        } <= paths
        assert paths == set(ninja_api.get_openapi_schema()["paths"])

    def test_the_openapi_document_declares_the_bearer_token_and_the_error_shape(self, cast):
        document = Client().get("/api/v1/openapi.json").json()

        schemes = document["components"]["securitySchemes"]
        assert [s["scheme"] for s in schemes.values()] == ["bearer"]
        refused = document["paths"]["/api/v1/orgs/{org}/members"]["post"]["responses"]["422"]
        assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/Error")

    def test_the_docs_page_uses_no_external_host(self, cast):
        response = Client().get("/api/v1/docs")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        html = response.content.decode()
        assert "swagger-ui" in html
        assert "cdn" not in html.lower()
        assert "https://" not in html and "http://" not in html
        assert not re.search(r"""(src|href)=["']//""", html), "no protocol-relative URLs either"
        for asset in re.findall(r"""(?:src|href)=["']([^"']+)["']""", html):
            assert asset.startswith("/static/"), asset
            assert Client().get(asset).status_code == 200, f"{asset} is served locally"
