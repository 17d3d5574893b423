"""Hostile input (issue 10, findings 3, 7 and 8): each is refused with a 4xx in the one error shape, never a 500.

NUL characters, integers beyond 64 bits, bodies that are not JSON objects or not JSON, numbers given as dates,
token expiries without a time zone; the role is checked before the body; schema names are unique in the OpenAPI
document; a refused web request logs one line.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict

import pydantic
import pytest

from openaims.api.main import api, api_operations, declared_permission
from openaims.tenancy.models import ApiToken, Organization
from openaims.tenancy.roles import ROLE_PERMISSIONS, Role
from tests.api.test_bad_input import assert_error, fields, send_raw
from tests.tenancy.rows import nothing_written

BIG = 2**63  # one past the largest id a database column holds
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def owner_api(cast, api_for):
    return api_for(cast.users["owner"], cast.org)


class TestNulCharacters:
    @pytest.mark.parametrize(
        ("method", "path", "body", "field"),
        [
            ("patch", "/api/v1/orgs/acme", {"name": "Acme\u0000"}, "name"),
            ("patch", "/api/v1/orgs/acme", {"description": "a\u0000b"}, "description"),
            ("post", "/api/v1/orgs/acme/tokens", {"name": "ci\u0000", "role": "viewer"}, "name"),
            ("post", "/api/v1/orgs/acme/suppliers", {"name": "S", "contact": ["x", "\u0000"]}, "contact.1"),
            ("post", "/api/v1/orgs/acme/risks", {"title": "T", "extra": {"k\u0000": 1}}, "extra"),
        ],
    )
    def test_it_refuses_nul_in_a_body_naming_the_field(self, owner_api, method, path, body, field):
        with nothing_written():
            response = owner_api.request(method, path, json=body)

        error = assert_error(response, 422, "validation_error")
        assert fields(error) == [field]
        assert "NUL" in error["message"]

    def test_it_strips_nul_from_a_search(self, cast, owner_api):
        response = owner_api.get("/api/v1/orgs/acme/members?q=ve%00ra")

        assert response.status_code == 200, response.content
        assert [item["username"] for item in response.json()["items"]] == ["vera"]

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/orgs/acme/risks?q=%00",
            "/api/v1/orgs/acme/systems?q=a%00b",
            "/api/v1/orgs/acme/audit/events?actor=%00",
            "/api/v1/orgs/acme/catalog/frameworks/nope/nodes?q=%00",
        ],
    )
    def test_a_nul_in_any_query_never_fails_the_server(self, owner_api, path):
        assert owner_api.get(path).status_code in (200, 404)

    def test_a_nul_in_a_path_answers_404(self, owner_api):
        assert_error(owner_api.get("/api/v1/orgs/acme/catalog/nodes/urn%00x"), 404, "not_found")


class TestIntegersBeyondTheDatabase:
    @pytest.mark.parametrize(
        ("method", "path", "body", "field"),
        [
            ("post", "/api/v1/orgs/acme/evidence", {"title": "E", "controls": [BIG]}, "controls.0"),
            ("post", "/api/v1/orgs/acme/risks", {"title": "T", "systems": [-BIG - 1]}, "systems.0"),
            ("post", "/api/v1/orgs/acme/systems", {"name": "S", "supplier_id": 10**30}, "supplier_id"),
        ],
    )
    def test_it_refuses_them_in_a_body(self, owner_api, method, path, body, field):
        with nothing_written():
            response = owner_api.request(method, path, json=body)

        assert fields(assert_error(response, 422, "validation_error")) == [field]

    @pytest.mark.parametrize(
        ("query", "field"),
        [("risks?il=9223372036854775808&ic=1", "il"), ("members?page=99999999999999999999", "page")],
    )
    def test_it_refuses_them_in_a_filter(self, owner_api, query, field):
        assert fields(assert_error(owner_api.get(f"/api/v1/orgs/acme/{query}"), 422, "validation_error")) == [field]

    @pytest.mark.parametrize("path", [f"/api/v1/orgs/acme/risks/{BIG}", f"/api/v1/orgs/acme/soa/versions/{10**40}"])
    def test_an_id_beyond_them_in_a_path_is_not_found(self, owner_api, path):
        assert_error(owner_api.get(path), 404, "not_found")

    @pytest.mark.parametrize("page", ["-5", "0", "1000000", str(BIG - 1)])
    def test_a_page_out_of_range_is_clamped(self, owner_api, page):
        response = owner_api.get(f"/api/v1/orgs/acme/members?page={page}&page_size=-3")

        assert response.status_code == 200, response.content
        assert response.json()["page_size"] == 1


class TestDatesAndTimes:
    @pytest.mark.parametrize("value", [0, "0", 1700000000, 1.5, True])
    def test_a_number_is_not_a_date(self, owner_api, value):
        with nothing_written():
            response = owner_api.post("/api/v1/orgs/acme/suppliers", json={"name": "S", "contract_ends": value})

        assert fields(assert_error(response, 422, "validation_error")) == ["contract_ends"]

    def test_a_number_is_not_a_date_in_a_filter_either(self, owner_api):
        response = owner_api.get("/api/v1/orgs/acme/audit/events?since=0")

        assert fields(assert_error(response, 422, "validation_error")) == ["since"]

    def test_an_iso_date_still_is(self, owner_api):
        response = owner_api.post("/api/v1/orgs/acme/suppliers", json={"name": "S", "contract_ends": "2031-03-31"})

        assert response.status_code == 201, response.content
        assert response.json()["contract_ends"] == "2031-03-31"

    @pytest.mark.parametrize("value", ["2031-01-01T00:00:00", "2031-01-01", 0])
    def test_a_token_expiry_needs_its_time_zone(self, owner_api, value):
        with nothing_written():
            response = owner_api.post(
                "/api/v1/orgs/acme/tokens", json={"name": "ci", "role": "viewer", "expires_at": value}
            )

        assert fields(assert_error(response, 422, "validation_error")) == ["expires_at"]

    def test_a_token_expiry_with_its_time_zone_is_kept(self, owner_api):
        response = owner_api.post(
            "/api/v1/orgs/acme/tokens", json={"name": "ci", "role": "viewer", "expires_at": "2031-01-01T00:00:00+02:00"}
        )

        assert response.status_code == 201, response.content
        assert ApiToken.objects.get(name="ci").expires_at.isoformat() == "2030-12-31T22:00:00+00:00"


class TestBodies:
    @pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
    def test_a_body_that_is_not_json_is_refused(self, owner_api, content_type):
        with nothing_written():
            response = owner_api.client.patch(
                "/api/v1/orgs/acme",
                data=json.dumps({"name": "Renamed"}),
                content_type=content_type,
                headers=owner_api.headers,
            )

        error = assert_error(response, 415, "unsupported_media_type")
        assert content_type in error["message"]
        assert Organization.objects.get(slug="acme").name == "Acme AI"

    def test_a_json_media_type_with_a_charset_is_json(self, owner_api):
        response = owner_api.client.patch(
            "/api/v1/orgs/acme",
            data=json.dumps({"name": "Renamed"}),
            content_type="application/json; charset=utf-8",
            headers=owner_api.headers,
        )

        assert response.status_code == 200, response.content

    def test_the_null_array_of_the_report_is_refused(self, owner_api):
        with nothing_written():
            response = send_raw(owner_api, "patch", "/api/v1/orgs/acme", "[null,null]")

        assert_error(response, 422, "validation_error")


def _concrete(path: str) -> str:
    """An operation's path with every parameter filled: the organization, and 1 for the rest."""
    parts = []
    for part in path.split("/"):
        if part == "{org}":
            parts.append("acme")
        elif part.startswith("{"):
            parts.append("1")
        else:
            parts.append(part)
    return "/".join(parts)


def _write_operations() -> list[tuple[str, str, str | None]]:
    return [
        (
            method,
            f"/api/v1{operation.path if operation.path.startswith('/') else '/' + operation.path}",
            declared_permission(operation.view_func),
        )
        for operation in api_operations()
        for method in operation.methods
        if method in UNSAFE
    ]


class TestRoleBeforeBody:
    def test_every_write_operation_declares_its_permission(self):
        missing = [f"{method} {path}" for method, path, permission in _write_operations() if permission is None]

        assert not missing, f"call tenant_for(request, org, Perm.X) once in these views: {missing}"

    def test_a_viewer_is_refused_before_its_body_is_read(self, cast, api_for):
        viewer = api_for(cast.users["viewer"], cast.org)
        checked = []
        for method, path, permission in _write_operations():
            if permission in ROLE_PERMISSIONS[Role.VIEWER]:
                continue  # viewers may do it (their own tokens): the body decides
            with nothing_written():
                response = send_raw(viewer, method.lower(), _concrete(path), '{"name": 5, "title": [], "role": {}}')
            assert response.status_code == 403, f"{method} {path}: {response.status_code} {response.content[:200]}"
            assert response.json()["error"]["code"] == "forbidden"
            checked.append(path)
        assert len(checked) > 50

    def test_an_auditor_may_comment_and_so_learns_what_is_wrong_with_the_comment(self, cast, api_for):
        auditor = api_for(cast.users["auditor"], cast.org)

        response = auditor.post(f"/api/v1/orgs/acme/comments/tenancy.organization/{cast.org.pk}", json={"body": 5})

        assert_error(response, 422, "validation_error")

    def test_another_organization_still_answers_404(self, cast, api_for):
        outsider = api_for(cast.users["outsider"], cast.other_org)

        assert_error(outsider.post("/api/v1/orgs/acme/risks", json={"title": 5}), 404, "not_found")


class TestOpenApiDocument:
    def test_no_two_schemas_share_a_component_name(self):
        by_name: dict[str, set[type]] = defaultdict(set)

        def collect(annotation) -> None:
            if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
                if annotation in by_name[annotation.__name__]:
                    return
                by_name[annotation.__name__].add(annotation)
                for field in annotation.model_fields.values():
                    collect(field.annotation)
                return
            for argument in getattr(annotation, "__args__", ()):
                collect(argument)

        for operation in api_operations():
            for model in [*operation.models, *operation.response_models.values()]:
                for field in getattr(model, "model_fields", {}).values():
                    collect(field.annotation)

        duplicates = {
            name: sorted(f"{model.__module__}.{model.__qualname__}" for model in models)
            for name, models in by_name.items()
            if len(models) > 1
        }
        assert not duplicates, f"ninja names components by class name; rename one of each: {duplicates}"
        assert {"RiskAssessmentOut", "ImpactAssessmentOut", "RiskSystemRefOut", "SystemRefOut"} <= set(by_name)

    def test_each_component_is_the_schema_of_its_model(self, cast):
        components = api.get_openapi_schema()["components"]["schemas"]

        assert "system_id" in components["ImpactAssessmentOut"]["properties"]
        assert "system_id" not in components["RiskAssessmentOut"]["properties"]
        assert "number" in components["RiskSystemRefOut"]["properties"]


class TestRefusalLogs:
    def test_a_web_403_logs_one_line_without_a_traceback(self, cast, client_for, caplog):
        with caplog.at_level(logging.WARNING, logger="django.request"):
            response = client_for(cast.users["viewer"]).get("/o/acme/risks/new/")

        assert response.status_code == 403
        records = [r for r in caplog.records if r.name == "django.request"]
        assert len(records) == 1
        record = records[0]
        assert record.exc_info is None and record.exc_text is None
        line = record.getMessage()
        assert "\n" not in line
        assert line.startswith("Forbidden: GET /o/acme/risks/new/ (user vera): ")
        assert "viewer" in line, "the reason is in the line"

    def test_a_server_error_keeps_its_traceback(self, caplog):
        from openaims.lib.logging import OneLineRefusals

        try:
            raise RuntimeError("boom")
        except RuntimeError:
            record = logging.getLogger("django.request").makeRecord(
                "django.request",
                logging.ERROR,
                __file__,
                1,
                "Internal Server Error: %s",
                ("/x",),
                __import__("sys").exc_info(),
                extra={"status_code": 500},
            )

        assert OneLineRefusals().filter(record)
        assert record.exc_info is not None
