"""The JSON API under /api/v1: token auth, one error shape for every 4xx, routers from each app."""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from functools import wraps

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from openaims import __version__
from openaims.api.auth import PERMISSION_ATTR, TokenAuth
from openaims.api.strict import StrictParser, refused_path_value
from openaims.audittrail.api import router as audit_router
from openaims.catalog.api import router as catalog_router
from openaims.comments.api import router as comments_router
from openaims.controls.api import router as controls_router
from openaims.impact.api import router as impact_router
from openaims.inventory.api import router as inventory_router
from openaims.lib.errors import ServiceError
from openaims.risk.api import router as risk_router
from openaims.signoff.api import router as signoff_router
from openaims.tenancy.api import router as tenancy_router
from openaims.tenancy.roles import Perm


class OpenAimsAPI(NinjaAPI):
    """Ninja's own fallbacks answer in the one error shape too: a wrong method (405, plain text in Ninja)
    and the bare /api/v1/ root (Ninja's placeholder raises Http404, which Django renders as HTML)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Built once per prefix: the document only changes with the code, and building it takes seconds."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache = self.__dict__.setdefault("_openapi_cache", {})
        if path_prefix not in cache:
            cache[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return copy.deepcopy(cache[path_prefix])

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = not_found_view if pattern.name == "api-root" else _json_405(pattern.callback)
        return patterns


def _json_405(view):
    @wraps(view)  # keeps csrf_exempt
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}")
            response["Allow"] = allowed
        return response

    return wrapper


api = OpenAimsAPI(
    title="OpenAIMS API",
    version=__version__,
    description="Manage an ISO/IEC 42001 AI management system. Authenticate with a personal API token: "
    '`Authorization: Bearer aims_...`. Every 4xx answer has the shape `{"error": {code, message, details}}`.',
    auth=TokenAuth(),
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": True}),
    parser=StrictParser(),
)


def error_response(
    status: int, code: str, message: str, details: list | None = None, extra: dict | None = None
) -> JsonResponse:
    body = {"code": code, "message": message, "details": details or []}
    # An error may add its own keys (e.g. a refused gate's `missing` items), never replace the three.
    body.update({key: value for key, value in (extra or {}).items() if key not in body})
    return JsonResponse({"error": body}, status=status)


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    details = getattr(exc, "details", None) or ([{"field": exc.field, "message": exc.message}] if exc.field else [])
    return error_response(exc.status, exc.code, exc.message, details, getattr(exc, "extra", None))


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    details = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", []) if part not in ("body", "payload", "query", "path")]
        details.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid")})
    summary = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details)
    return error_response(422, "validation_error", summary or "the request is not valid", details)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error_response(401, "unauthorized", "a valid API token is required (Authorization: Bearer aims_...)")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(404, "not_found", str(exc) or "not found")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error_response(403, "forbidden", str(exc) or "your role does not allow this")


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error_response(413, "too_large", "the request body is larger than this server accepts")


@api.exception_handler(BadRequest)
@api.exception_handler(MultiPartParserError)
def _bad_request(request, exc):
    return error_response(400, "bad_request", "the request could not be read (a malformed multipart body?)")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    return error_response(400, "bad_request", "the request could not be accepted")


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc: DjangoValidationError):
    return error_response(400, "invalid", " ".join(exc.messages))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code = {400: "bad_request", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "error")
    if isinstance(exc.__cause__, ServiceError):  # a refusal of api.strict's parser, wrapped by ninja
        return _service_error(request, exc.__cause__)
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        code, message = "malformed_json", "the request body is not valid JSON"
    return error_response(exc.status_code, code, message)


def _register_routers() -> None:
    api.add_router("/", tenancy_router)
    api.add_router("/", audit_router)
    api.add_router("/", comments_router)
    api.add_router("/", signoff_router)
    api.add_router("/", catalog_router)
    api.add_router("/", controls_router)
    api.add_router("/", risk_router)
    api.add_router("/", inventory_router)
    api.add_router("/", impact_router)


_register_routers()


def declared_permission(view) -> str | None:
    """The permission a view asks `tenant_for(request, org, Perm.X)` for, read once from its source.

    Operations name their permission once, where they resolve the tenant; reading it here lets the token's
    role be checked before ninja parses and validates the body (a viewer gets 403, not 422), with nothing
    to keep in step. None when the view asks for none or for several (the view's own check then decides).
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(view)))
    except (OSError, TypeError, SyntaxError):
        return None
    perms = {
        node.args[2].attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "tenant_for"
        and len(node.args) == 3
        and isinstance(node.args[2], ast.Attribute)
    }
    return getattr(Perm, perms.pop(), None) if len(perms) == 1 else None


def api_operations() -> list[Operation]:
    """Every operation as the API runs it (ninja binds a copy of each router's operations to the API)."""
    return [
        operation
        for bound in api._get_bound_routers()
        for path_view in bound.path_operations.values()
        for operation in path_view.operations
    ]


def _guard(run):
    """Around each operation, before ninja authenticates and parses: a path parameter that cannot name anything
    stored answers 404, and the operation's permission travels with the request to the token check."""
    permission = declared_permission(run.__self__.view_func)

    @wraps(run)
    def guarded(request, **kwargs):
        if refused_path_value(kwargs):
            return error_response(404, "not_found", "not found")
        setattr(request, PERMISSION_ATTR, permission)
        return run(request, **kwargs)

    return guarded


api.add_decorator(_guard, mode="view")  # "view": around the whole run, before validation


@csrf_exempt
def not_found_view(request, rest: str = ""):
    """Unknown paths under /api/v1 answer in the API's error shape, not with an HTML page."""
    return error_response(404, "not_found", f"no API endpoint at /api/v1/{rest}")
