"""Models of the AI system register from an MLflow model registry (A.4.3, A.6.2.3: the models a system uses).

Each version of each registered model becomes an `AIModel` of the system it is mapped to, keyed by
`external_id = mlflow:<registry URI>#<name>/<version>`: a second sync updates what changed (through
`part_update`, so the audit trail shows it) and adds new versions; it never makes a duplicate.
Versions with no target system are reported as skipped. The MLflow client is optional
(`openaims[mlflow]`) and imported only here, when a sync runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction

from openaims.audittrail.services import record_event
from openaims.inventory.models import AIModel, AISystem
from openaims.inventory.services import PART_SPECS, part_create, part_update, state
from openaims.lib import outbound, uris
from openaims.lib.errors import ServiceError
from openaims.tenancy.models import Tenant

logger = logging.getLogger(__name__)

SYSTEM_TAG = "openaims.system"
MODEL_TYPE_TAGS = ("openaims.model_type", "model_type")
REMOTE_SCHEMES = {"http", "https", "databricks", "databricks-uc", "uc"}
HTTP_SCHEMES = {"http", "https"}
LIMITS = PART_SPECS[AIModel]["text"]
EXTERNAL_ID_MAX = AIModel._meta.get_field("external_id").max_length
PAGE = 200
_REF = re.compile(r"^\s*(?:AIS-?)?(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class FetchedVersion:
    version: str
    description: str
    source: str
    stage: str
    aliases: tuple[str, ...]
    tags: dict


@dataclass(frozen=True)
class FetchedModel:
    name: str
    description: str
    tags: dict
    versions: tuple[FetchedVersion, ...]


@dataclass
class SyncItem:
    name: str
    version: str
    outcome: str  # created | updated | unchanged | skipped
    system: str = ""  # AIS-n
    reason: str = ""


@dataclass
class SyncReport:
    registry: str  # the registry's URI as shown (no credentials)
    items: list[SyncItem] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    def summary(self) -> str:
        return (
            f"{len(self.items)} model versions in {self.registry}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped"
        )

    def as_dict(self) -> dict:
        return {
            "registry": self.registry,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "items": [item.__dict__ for item in self.items],
        }


# ------------------------------------------------------------------------------------------------ URIs


def display_uri(uri: str) -> str:
    """The URI without user name, password, query or fragment: safe for reports, ids and the audit trail."""
    parts = urlsplit(uri)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/") or uri


def is_remote(uri: str) -> bool:
    scheme = urlsplit(uri).scheme.lower()
    return scheme in REMOTE_SCHEMES or uri.lower() in REMOTE_SCHEMES


def _local_path(uri: str) -> Path | None:
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return Path(unquote(parts.path))
    if scheme == "sqlite":
        return Path(unquote(parts.path[1:] if parts.path.startswith("/") else parts.path))
    if scheme == "" or len(scheme) == 1:  # a plain path (or a Windows drive letter)
        return Path(uri)
    return None


def check_uri(uri: str | None, what: str, *, allow_local: bool, policy: outbound.Policy | None = None) -> str:
    """The URI stripped, or a ServiceError: malformed, a local store the caller may not read, a host refused.

    `policy` None means a caller on the server (the CLI): any store and any address.
    """
    uri = (uri or "").strip()
    field_name = what.replace(" ", "_").lower()
    if not uri:
        raise ServiceError(f"the {what} is required", field=field_name)
    if len(uri) > 500 or any(ch.isspace() or ord(ch) < 32 for ch in uri):
        raise ServiceError(f"the {what} is not a valid URI", field=field_name)
    if is_remote(uri):
        if policy is not None and urlsplit(uri).scheme.lower() in HTTP_SCHEMES:
            try:
                outbound.check_url(uri, policy)
            except ServiceError as exc:
                raise ServiceError(
                    f"cannot read the MLflow model registry at {display_uri(uri)}: {exc.message}", field=field_name
                ) from None
        return uri
    if not allow_local:
        raise ServiceError(
            f"the {what} {display_uri(uri)!r} is a store on this server; from the web and the API only http(s) and "
            "databricks URIs are read (run `aims inventory mlflow-sync`, or set AIMS_MLFLOW_LOCAL_STORES=1)",
            field=field_name,
        )
    path = _local_path(uri)
    if path is None and policy is not None:
        # A database URI makes the server connect to that database's host: the command line only.
        raise ServiceError(
            f"the {what} {display_uri(uri)!r} names a database; only the command line reads those", field=field_name
        )
    # MLflow creates a missing store; a sync only reads, so a wrong path is an error, not a new folder.
    if path is not None and not path.exists():
        raise ServiceError(f"there is no MLflow store at {path}", field=field_name)
    return uri


def network_policy() -> outbound.Policy:
    """What a sync started from the web or the API may connect to (AIMS_MLFLOW_ALLOWED_HOSTS, _ALLOW_PRIVATE)."""
    return outbound.Policy(
        allowed_hosts=tuple(settings.AIMS_MLFLOW_ALLOWED_HOSTS),
        allow_private=settings.AIMS_MLFLOW_ALLOW_PRIVATE,
        hosts_setting="AIMS_MLFLOW_ALLOWED_HOSTS",
        private_setting="AIMS_MLFLOW_ALLOW_PRIVATE",
    )


# ------------------------------------------------------------------------------------------------ reading MLflow


_CREDENTIALS = re.compile(r"//[^/@\s]*@")
_HTTP_STATUS = re.compile(r"error code (\d{3})\b")
_CONNECTION_FAILED = (
    "Max retries exceeded",
    "Failed to establish",
    "Failed to resolve",
    "Connection refused",
    "Connection aborted",
    "Connection reset",
    "RemoteDisconnected",
    "timed out",
    "timeout",
    "does not answer",
)


def _failure(exc: Exception, *, remote: bool) -> str:
    """What went wrong, in one line without credentials.

    A remote server's answer is never echoed (it could be any internal page the URI pointed at): a
    failed connection reads the same whatever the cause (refused, closed, filtered, unresolvable), and
    an error answer gives its HTTP status only. A local store's message comes from this server and is shown.
    """
    text = str(getattr(exc, "message", "") or exc).strip() or type(exc).__name__
    text = _CREDENTIALS.sub("//", text)
    if "Model registry functionality is unavailable" in text:
        return "MLflow cannot read a model registry at such a URI (database URIs need the full mlflow package)"
    if remote:
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text:
            return "its TLS certificate cannot be verified"
        if any(marker in text for marker in _CONNECTION_FAILED):
            return "the server does not answer"
        status = getattr(exc, "get_http_status_code", None)
        found = _HTTP_STATUS.search(text)
        if found:
            return f"the server answered with HTTP {found.group(1)}"
        if type(exc).__name__ == "RestException" and callable(status):
            return f"the server answered with an MLflow error (HTTP {status()})"
        return "the server's answer is not one of an MLflow model registry"
    line = text.splitlines()[0]
    return line if len(line) <= 300 else line[:297] + "..."


def _aliases(registered, version) -> tuple[str, ...]:
    own = getattr(version, "aliases", None)
    if own:
        return tuple(sorted(own))
    mapping = getattr(registered, "aliases", None) or {}
    return tuple(sorted(alias for alias, number in mapping.items() if str(number) == str(version.version)))


def _tags(entity) -> dict:
    tags = getattr(entity, "tags", None) or {}
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t.key): str(t.value) for t in tags}  # older clients give a list of tag objects


def _client_class():
    try:
        from mlflow.tracking import MlflowClient  # the optional extra, imported only when a sync runs
    except ImportError:
        raise ServiceError(
            "the MLflow client is not installed on this server; install openaims[mlflow]", code="unavailable"
        ) from None
    return MlflowClient


def _client(tracking_uri: str, registry_uri: str | None):
    client_class = _client_class()
    # A web request should not wait minutes on MLflow's default retry schedule; settings given win.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    if not is_remote(registry_uri or tracking_uri):
        # Local stores are allowed here (checked by the caller); MLflow 3 asks to opt in to its file store.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return client_class(tracking_uri=tracking_uri, registry_uri=registry_uri)


def _read_model(client, registered) -> FetchedModel:
    versions = []
    quoted = registered.name.replace("'", "\\'")
    token = None
    while True:
        found = client.search_model_versions(f"name='{quoted}'", max_results=PAGE * 5, page_token=token)
        versions.extend(found)
        token = getattr(found, "token", None)
        if not token:
            break
    return FetchedModel(
        name=registered.name,
        description=registered.description or "",
        tags=_tags(registered),
        versions=tuple(
            FetchedVersion(
                version=str(v.version),
                description=v.description or "",
                source=v.source or "",
                stage="" if (v.current_stage or "None") == "None" else v.current_stage,
                aliases=_aliases(registered, v),
                tags=_tags(v),
            )
            for v in sorted(versions, key=lambda v: int(v.version))
        ),
    )


def _read_registry(client) -> list[FetchedModel]:
    models: list[FetchedModel] = []
    token = None
    while True:
        page = client.search_registered_models(max_results=PAGE, page_token=token)
        models.extend(_read_model(client, registered) for registered in page)
        token = getattr(page, "token", None)
        if not token:
            return models


def fetch_registry(
    tracking_uri: str, registry_uri: str | None = None, *, policy: outbound.Policy | None = None
) -> list[FetchedModel]:
    """Every registered model with all its versions, page by page; one ServiceError line on any failure.

    With a `policy` (web and API callers) every connection the client opens, redirects included, goes
    only to hosts and addresses the policy allows (`lib.outbound`); None is the CLI on the server.
    """
    where = display_uri(registry_uri or tracking_uri)
    guard = outbound.guarded(policy) if policy is not None else nullcontext([])
    refusals: list[outbound.AddressRefused] = []
    try:
        with guard as refusals:
            return _read_registry(_client(tracking_uri, registry_uri))
    except outbound.AddressRefused as exc:
        raise ServiceError(f"cannot read the MLflow model registry at {where}: {exc.message}") from None
    except ServiceError:
        raise
    except Exception as exc:  # the client raises many kinds (MlflowException, requests, OSError): one line each
        logger.info("MLflow sync from %s failed", where, exc_info=True)
        reason = refusals[0].message if refusals else _failure(exc, remote=is_remote(registry_uri or tracking_uri))
        raise ServiceError(f"cannot read the MLflow model registry at {where}: {reason}") from None


# ------------------------------------------------------------------------------------------------ mapping


def system_by_ref(organization, ref: str, *, what: str = "system") -> AISystem:
    match = _REF.match(ref or "")
    system = AISystem.objects.filter(organization=organization, number=int(match.group(1))).first() if match else None
    if system is None:
        raise ServiceError(f"no {what} {ref.strip()!r} in the register (write AIS-<number>)")
    return system


def parse_mapping(organization, lines: str | Iterable[str]) -> dict[str, AISystem]:
    """'model name = AIS-3' lines (blank lines and # comments ignored) → {registered model name: system}."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    mapping: dict[str, AISystem] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, sep, ref = text.rpartition("=")
        if not sep or not name.strip() or not ref.strip():
            raise ServiceError(
                f"mapping line {number}: write 'model name = AIS-<number>', not {text!r}", field="mapping"
            )
        try:
            mapping[name.strip()] = system_by_ref(organization, ref)
        except ServiceError as exc:
            raise ServiceError(f"mapping line {number}: {exc.message}", field="mapping") from None
    return mapping


def _external_id(registry: str, name: str, version: str) -> str:
    value = f"mlflow:{registry}#{name}/{version}"
    if len(value) <= EXTERNAL_ID_MAX:
        return value
    return "mlflow:sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _model_values(model: FetchedModel, version: FetchedVersion) -> dict:
    stage = ", ".join([*([version.stage] if version.stage else []), *(f"@{a}" for a in version.aliases)])
    model_type = next(
        (tags[key] for tags in (version.tags, model.tags) for key in MODEL_TYPE_TAGS if tags.get(key)), ""
    )
    values = {
        "description": version.description or model.description,
        # A source on the MLflow server's disk (file:) is no location anyone can follow: left blank.
        "uri": uris.location_or_blank(version.source),
        "registry_stage": stage,
        "model_type": model_type,
    }
    return {key: value.strip()[: LIMITS[key]] for key, value in values.items()}


# ------------------------------------------------------------------------------------------------ the sync


def mlflow_sync(
    *,
    actor: Tenant,
    tracking_uri: str,
    registry_uri: str | None = None,
    mapping: dict[str, AISystem] | None = None,
    default_system: AISystem | None = None,
    allow_local_stores: bool = False,
    on_server: bool = False,
) -> SyncReport:
    """Bring the registered models and versions of an MLflow registry into the register (A.4.3).

    The target system of a registered model is, in this order: `mapping[name]`, the model's tag
    `openaims.system` = "AIS-<n>", `default_system`; without one its versions are skipped. A version
    synced before stays with its system and only has its fields updated. `allow_local_stores`
    or the AIMS_MLFLOW_LOCAL_STORES setting lets file/sqlite stores on this server be read.
    `on_server` (the CLI, run by the operator) also lifts the network policy: from the web and the API
    the server connects only to AIMS_MLFLOW_ALLOWED_HOSTS (empty: any) at public addresses, unless
    AIMS_MLFLOW_ALLOW_PRIVATE (an MLflow inside the network).
    """
    organization = actor.organization
    _client_class()  # before any address is looked up: without the client there is nothing to do
    policy = None if on_server else network_policy()
    allow_local = allow_local_stores or on_server or settings.AIMS_MLFLOW_LOCAL_STORES
    tracking_uri = check_uri(tracking_uri, "tracking URI", allow_local=allow_local, policy=policy)
    if registry_uri is not None and registry_uri.strip():
        registry_uri = check_uri(registry_uri, "registry URI", allow_local=allow_local, policy=policy)
    else:
        registry_uri = None
    mapping = dict(mapping or {})
    for system in [*mapping.values(), default_system]:
        if system is not None and system.organization_id != organization.pk:
            raise ServiceError("the target system belongs to another organization", field="system")

    fetched = fetch_registry(tracking_uri, registry_uri, policy=policy)
    registry = display_uri(registry_uri or tracking_uri)
    report = SyncReport(registry=registry)
    tagged_numbers = {int(m.group(1)) for model in fetched if (m := _REF.match(model.tags.get(SYSTEM_TAG, "") or "-"))}
    by_number = {s.number: s for s in AISystem.objects.filter(organization=organization, number__in=tagged_numbers)}

    with transaction.atomic():
        state_now = _SyncState.load(organization, registry)
        for model in fetched:
            target, why_not = _target(model, mapping, default_system, by_number)
            for version in model.versions:
                report.items.append(_sync_version(actor, state_now, registry, model, version, target, why_not))
        record_event(
            actor=actor,
            organization=organization,
            obj=organization,
            action="mlflow_sync",
            changes={
                "registry": [None, registry],
                "created": [None, report.created],
                "updated": [None, report.updated],
                "skipped": [None, report.skipped],
            },
        )
    return report


@dataclass
class _SyncState:
    """The organization's models a sync compares against, read once inside its transaction."""

    existing: dict[str, AIModel]  # external id → the model synced before
    taken: set[tuple]  # (system id, name, version) of every model, synced or entered by hand

    @classmethod
    def load(cls, organization, registry: str) -> _SyncState:
        synced = AIModel.objects.select_related("system").filter(organization=organization, source="mlflow")
        existing = {m.external_id: m for m in synced.filter(external_id__startswith=f"mlflow:{registry}#")}
        existing.update({m.external_id: m for m in synced.filter(external_id__startswith="mlflow:sha256:")})
        taken = set(AIModel.objects.filter(organization=organization).values_list("system_id", "name", "version"))
        return cls(existing=existing, taken=taken)


def _sync_version(
    actor: Tenant,
    known: _SyncState,
    registry: str,
    model: FetchedModel,
    version: FetchedVersion,
    target: AISystem | None,
    why_not: str,
) -> SyncItem:
    """Create or update the register's model for one registered version, or say why it is skipped."""
    item = SyncItem(name=model.name, version=version.version, outcome="skipped")
    external_id = _external_id(registry, model.name, version.version)
    values = _model_values(model, version)
    found = known.existing.get(external_id)
    if found is not None:
        item.system = found.system.ref
        before = state(found, AIModel.AUDITED_FIELDS)
        part = part_update(actor=actor, part=found, **values)
        item.outcome = "updated" if state(part, AIModel.AUDITED_FIELDS) != before else "unchanged"
        if target is not None and target.pk != found.system_id:
            item.reason = f"already linked to {found.system.ref}; move it there by hand if needed"
        return item
    if target is None:
        item.reason = why_not
        return item
    item.system = target.ref
    if len(model.name) > LIMITS["name"] or len(version.version) > LIMITS["version"]:
        item.reason = "the model name or version is too long for the register"
        return item
    if (target.pk, model.name, version.version) in known.taken:
        item.reason = f"{target.ref} already has a model {model.name} {version.version} entered by hand"
        return item
    part_create(
        actor=actor,
        system=target,
        kind="model",
        origin=("mlflow", external_id),
        name=model.name,
        version=version.version,
        **values,
    )
    known.taken.add((target.pk, model.name, version.version))
    item.outcome = "created"
    return item


def _target(model: FetchedModel, mapping, default_system, by_number) -> tuple[AISystem | None, str]:
    if model.name in mapping:
        return mapping[model.name], ""
    tag = (model.tags.get(SYSTEM_TAG) or "").strip()
    if tag:
        match = _REF.match(tag)
        system = by_number.get(int(match.group(1))) if match else None
        if system is None:
            return None, f"its tag {SYSTEM_TAG}={tag!r} names no system in the register"
        return system, ""
    if default_system is not None:
        return default_system, ""
    return None, f"no target system: map the model, tag it {SYSTEM_TAG}=AIS-<n> in MLflow, or choose a default system"
