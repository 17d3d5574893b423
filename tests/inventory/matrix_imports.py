"""Role-matrix rows for the import and MLflow pages and operations.

The import is open to writers; the MLflow sync to owners and managers (it makes the server open the
URI it is given). The matrix cannot enable local MLflow stores (AIMS_MLFLOW_LOCAL_STORES) nor send a
multipart body through the API client, so those rows stop at the service's refusal (400) once the
permission check has passed; the successful runs are in test_import_views/test_import_api/test_mlflow_sync.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from openaims.inventory.models import AISystem
from tests.matrix import EVERYONE, Endpoint, audited, both, exists

WRITERS = frozenset({"owner", "manager", "contributor"})
APPROVERS = frozenset({"owner", "manager"})
API = "/api/v1/orgs/{org}/systems"
LOCAL_STORE = "file:///nonexistent/mlruns"


def page(name, *args):
    return lambda cast: reverse(f"inventory:{name}", args=[cast.org.slug, *args])


def a_file(cast) -> dict:
    content = b"name,purpose,role,technique\nSupport chatbot,Answers customer questions,deployer,llm\n"
    return {"file": SimpleUploadedFile("systems.csv", content, content_type="text/csv")}


WEB_ENDPOINTS = [
    Endpoint("inventory:import_systems", "GET", page("import_systems"), WRITERS),
    Endpoint(
        "inventory:import_systems",
        "POST",
        page("import_systems"),
        WRITERS,
        data=a_file,
        redirect="/o/acme/systems/",
        effect=both(
            exists(AISystem, organization__slug="acme", name="Support chatbot", role="deployer"),
            audited("tenancy.organization", "import_systems"),
        ),
    ),
    Endpoint("inventory:import_template", "GET", page("import_template", "xlsx"), EVERYONE),
    Endpoint("inventory:import_template", "GET", page("import_template", "csv"), EVERYONE),
    Endpoint("inventory:mlflow_sync", "GET", page("mlflow_sync"), WRITERS),
    Endpoint(
        "inventory:mlflow_sync",
        "POST",
        page("mlflow_sync"),
        APPROVERS,
        data=lambda c: {"tracking_uri": LOCAL_STORE},
        ok=(400,),
    ),
]

API_ENDPOINTS = [
    Endpoint(
        "POST /orgs/{org}/systems/import",
        "POST",
        lambda c: API.format(org=c.org.slug) + "/import",
        WRITERS,
        ok=(400,),  # no multipart file from the matrix's JSON client: "attach the file"
    ),
    Endpoint(
        "POST /orgs/{org}/systems/mlflow-sync",
        "POST",
        lambda c: API.format(org=c.org.slug) + "/mlflow-sync",
        APPROVERS,
        data=lambda c: {"tracking_uri": LOCAL_STORE},
        ok=(400,),
    ),
]
