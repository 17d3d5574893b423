"""Filling the register in bulk: import a CSV/XLSX file of AI systems, sync models from an MLflow registry."""

from __future__ import annotations

from typing import Annotated

from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import ConfigDict, Field

from openaims.api.auth import tenant_for
from openaims.api.schemas import ERRORS
from openaims.inventory import imports
from openaims.inventory.mlflow_sync import mlflow_sync, system_by_ref
from openaims.lib.errors import ServiceError
from openaims.tenancy.roles import Perm

router = Router(tags=["inventory"])


class ImportedSystemsOut(Schema):
    created: list[str] = Field(..., description="AIS-<n> of the systems created")
    updated: list[str]
    unchanged: list[str]


class ImportOut(Schema):
    rows: int = Field(..., description="Rows read (blank rows are left out)")
    dry_run: bool = Field(..., description="True: everything was checked and nothing written")
    created: int
    updated: int
    unchanged: int
    systems: ImportedSystemsOut


class MlflowSyncIn(Schema):
    model_config = ConfigDict(extra="forbid")

    tracking_uri: str = Field(..., min_length=1, max_length=500, description="e.g. https://mlflow.example.org")
    registry_uri: str | None = Field(None, max_length=500, description="Only if the model registry is elsewhere")
    system: str | None = Field(None, max_length=20, description="AIS-<n>: receives models with no other target")
    mapping: dict[str, str] = Field(
        {}, description="Registered model name → AIS-<n>; wins over the model's openaims.system tag", max_length=2000
    )


class SyncItemOut(Schema):
    name: str
    version: str
    outcome: str = Field(..., description="created, updated, unchanged or skipped")
    system: str = Field(..., description="AIS-<n>, empty when skipped for want of a target")
    reason: str


class SyncOut(Schema):
    registry: str = Field(..., description="The registry read, without credentials")
    created: int
    updated: int
    unchanged: int
    skipped: int
    items: list[SyncItemOut]


@router.post(
    "/orgs/{org}/systems/import",
    response={200: ImportOut, 201: ImportOut, **ERRORS},
    summary="Import AI systems from a CSV or XLSX file",
    description="Multipart upload, field `file`. Every row is checked first; if any is bad nothing is written "
    "and the 422 answer lists each problem in `details` as {row, field, column, message} (the header is row 1). "
    "`dry_run=true` checks and answers 200 without writing; a real import answers 201. Rows naming an existing "
    "system are refused unless `update_existing=true`.",
)
def systems_import(
    request,
    org: str,
    file: Annotated[UploadedFile | None, File(None)] = None,
    dry_run: bool = False,
    update_existing: bool = False,
):
    tenant = tenant_for(request, org, Perm.WRITE)
    if file is None:
        raise ServiceError("attach the CSV or XLSX file as the multipart form field 'file'", field="file")
    if file.size and file.size > imports.max_bytes():
        raise ServiceError(
            f"the file is larger than {imports.max_bytes() // (1024 * 1024)} MB; split it into several files",
            field="file",
            code="too_large",
        )
    report = imports.systems_import(
        actor=tenant,
        content=file.read(),
        file_name=file.name or "",
        update_existing=update_existing,
        dry_run=dry_run,
    )
    return Status(200 if dry_run else 201, report.as_dict())


@router.post(
    "/orgs/{org}/systems/mlflow-sync",
    response={200: SyncOut, **ERRORS},
    summary="Sync models from an MLflow model registry",
    description="Owners and managers. Each registered model version becomes a model of its target system "
    "(mapping, else the model's `openaims.system` tag, else `system`); a second run updates, never duplicates. "
    "Only http(s) and databricks URIs unless the server sets AIMS_MLFLOW_LOCAL_STORES=1; the server connects only "
    "to the hosts AIMS_MLFLOW_ALLOWED_HOSTS lists (none listed: any) at public addresses, unless "
    "AIMS_MLFLOW_ALLOW_PRIVATE=true. A failed read names the HTTP status, never the remote answer.",
)
def systems_mlflow_sync(request, org: str, payload: MlflowSyncIn):
    tenant = tenant_for(request, org, Perm.APPROVE)
    organization = tenant.organization
    mapping = {name: system_by_ref(organization, ref) for name, ref in payload.mapping.items()}
    default = system_by_ref(organization, payload.system) if payload.system else None
    report = mlflow_sync(
        actor=tenant,
        tracking_uri=payload.tracking_uri,
        registry_uri=payload.registry_uri,
        mapping=mapping,
        default_system=default,
    )
    return report.as_dict()
