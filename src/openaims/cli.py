"""`aims`: the command line. Each command prints one readable line and exits non-zero when it fails."""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from openaims import __version__, server
from openaims.audittrail.context import audit_context
from openaims.lib.env import ConfigError
from openaims.lib.errors import ServiceError
from openaims.tenancy.roles import Perm

app = typer.Typer(
    help="OpenAIMS: an AI management system (ISO/IEC 42001).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
audit_app = typer.Typer(help="Verify and export the tamper-evident audit trail.", no_args_is_help=True)
org_app = typer.Typer(help="Manage organizations.", no_args_is_help=True)
catalog_app = typer.Typer(help="Validate and load framework catalogs and crosswalks.", no_args_is_help=True)
soa_app = typer.Typer(help="Export the Statement of Applicability.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for automation.", no_args_is_help=True)
inventory_app = typer.Typer(
    help="Fill the AI system register in bulk: import a spreadsheet, sync models from MLflow.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
app.add_typer(org_app, name="org")
app.add_typer(catalog_app, name="catalog")
app.add_typer(soa_app, name="soa")
app.add_typer(inventory_app, name="inventory")
app.add_typer(token_app, name="token")
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def setup_django() -> None:
    """Load settings; a bad or missing setting ends the command with one line, not a traceback."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openaims.settings")

    try:
        import django

        django.setup()
    except ConfigError as exc:
        raise fail(str(exc)) from None


def check_database() -> None:
    from django.db import DatabaseError, connection

    if connection.vendor == "sqlite":
        # The embedded default needs no set-up: its folder is created on first use.
        Path(connection.settings_dict["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        settings = connection.settings_dict
        where = (
            settings["NAME"]
            if "sqlite" in settings["ENGINE"]
            else (f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 5432}/{settings['NAME']}")
        )
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise fail(f"cannot reach the database {where}: {first}") from None


def pending_migrations() -> list:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def run_migrations(verbose: bool = False) -> None:
    from django.core.management import call_command

    check_database()
    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


@app.command()
def version() -> None:
    """Print the OpenAIMS version."""

    typer.echo(f"openaims {__version__}")


@app.command()
def migrate() -> None:
    """Create or upgrade the database tables."""
    setup_django()
    run_migrations(verbose=True)
    typer.echo("database is up to date")


def _serve(host: str, port: int, threads: int, workers: int = 1) -> None:
    """Serve until stopped: gunicorn with `workers` processes where the platform allows, else waitress."""
    from django.db import connections

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.wsgi import application

    try:
        if workers > 1 and server.multiprocess_available():
            connections.close_all()  # the workers are forked from this process: none may inherit a connection
            server.serve_gunicorn(application, host=host, port=port, workers=workers, threads=threads)
        else:
            server.serve_waitress(application, host=host, port=port, threads=threads)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _server_line(host: str, port: int, threads: int, workers: int) -> str:
    if workers > 1 and server.multiprocess_available():
        return f"OpenAIMS serving on http://{host}:{port}/ (gunicorn, {workers} workers x {threads} threads)"
    return f"OpenAIMS serving on http://{host}:{port}/ (waitress, {threads} threads)"


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="AIMS_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="AIMS_PORT")] = 8000,
    threads: Annotated[int, typer.Option(envvar="AIMS_THREADS", min=1, max=64, help="Threads per process.")] = 8,
    workers: Annotated[
        int | None,
        typer.Option(
            envvar="AIMS_WORKERS",
            min=1,
            max=64,
            help="Server processes (gunicorn); default one per core. 1, and always on Windows: waitress.",
        ),
    ] = None,
) -> None:
    """Run the web server for a real deployment (configured by AIMS_* variables)."""
    setup_django()
    from django.conf import settings

    if settings.SECRET_KEY_IS_EPHEMERAL:
        raise fail(
            "AIMS_SECRET_KEY (or AIMS_SECRET_KEY_FILE) is not set; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
        )
    if settings.DEBUG:
        raise fail("AIMS_DEBUG is on; `aims serve` runs with debug off only")
    check_database()
    if pending_migrations():
        raise fail("the database has unapplied migrations; run `aims migrate` first")
    workers = workers or server.default_workers()
    typer.echo(_server_line(host, port, threads, workers))
    _serve(host, port, threads, workers)


@app.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Set up the demo data and exit.")] = False,
) -> None:
    """Set up a local SQLite database with demo data (idempotent) and serve it."""
    data_dir = Path(os.environ.get("AIMS_DATA_DIR") or "aims-data").resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file = data_dir / "secret_key"
        if not key_file.exists():
            tmp = key_file.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(50))
            tmp.chmod(0o600)
            tmp.replace(key_file)
    except OSError as exc:
        raise fail(f"cannot use the data directory {data_dir}: {exc.strerror}") from None
    os.environ["AIMS_DATA_DIR"] = str(data_dir)
    if not os.environ.get("AIMS_SECRET_KEY"):
        os.environ["AIMS_SECRET_KEY_FILE"] = str(key_file)
    setup_django()
    run_migrations()
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.catalog.loader import load_catalog
    from openaims.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo

    load_catalog()
    created = seed_demo()
    typer.echo(
        f"data directory: {data_dir} (created {created['organizations']} organizations, {created['users']} users)"
    )
    typer.echo(f"open http://{host}:{port}/ and log in as {DEMO_USERNAME} / {DEMO_PASSWORD}")
    if not no_serve:
        _serve(host, port, 8)


@app.command()
def createuser(
    username: str,
    email: Annotated[str, typer.Option()] = "",
    full_name: Annotated[str, typer.Option()] = "",
    password: Annotated[str | None, typer.Option(envvar="AIMS_NEW_PASSWORD", help="Prompted when omitted.")] = None,
    org: Annotated[str | None, typer.Option(help="Add the user to this organization (slug).")] = None,
    role: Annotated[str, typer.Option(help="Role in --org.")] = "viewer",
) -> None:
    """Create a user account (and optionally a membership)."""
    setup_django()
    check_database()
    from django.db import transaction

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.accounts.services import user_create
    from openaims.tenancy.models import Organization, Tenant
    from openaims.tenancy.services import membership_add

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    organization = None
    if org:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise fail(f"no organization with the slug {org!r}")
    try:
        with audit_context(via="cli"), transaction.atomic():
            user = user_create(actor=None, username=username, password=password, email=email, full_name=full_name)
            if organization:
                # An operator's task at the server, not a member's act: the organization's system actor.
                membership_add(actor=Tenant.system(organization), user=user, role=role)
    except ServiceError as exc:
        raise fail(exc.message) from None
    typer.echo(f"created user {user.username}" + (f" as {role} of {organization.slug}" if organization else ""))


@user_app.command("reset-password")
def user_reset_password(
    name: Annotated[str, typer.Argument(help="Username or e-mail address.")],
    base_url: Annotated[
        str, typer.Option(envvar="AIMS_BASE_URL", help="Where people open OpenAIMS, for the printed link.")
    ] = "http://127.0.0.1:8000",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Set the password read from standard input instead.")
    ] = False,
    prompt: Annotated[bool, typer.Option("--prompt", help="Set a password typed at a prompt instead.")] = False,
) -> None:
    """Print a one-time link to choose a new password, or set one; audited either way."""
    setup_django()
    check_database()
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.accounts.services import password_reset_complete, password_reset_link
    from openaims.tenancy.services import user_for_login

    user = user_for_login(name)
    if user is None:
        raise fail(f"no user {name!r}")
    if password_stdin and prompt:
        raise fail("use --password-stdin or --prompt, not both")
    with audit_context(via="cli"):
        if not (password_stdin or prompt):
            typer.echo(base_url.rstrip("/") + password_reset_link(user=user))
            return
        password = (
            sys.stdin.readline().rstrip("\r\n")
            if password_stdin
            else typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        )
        try:
            password_reset_complete(actor=None, user=user, new_password=password)
        except ServiceError as exc:
            raise fail(exc.message) from None
    typer.echo(f"set a new password for {user.get_username()}")


@org_app.command("create")
def org_create(
    name: str,
    owner: Annotated[str, typer.Option(help="Username of the first owner.")],
    slug: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an organization with its first owner."""
    setup_django()
    check_database()
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.tenancy.services import organization_create, user_for_login

    user = user_for_login(owner)
    if user is None:
        raise fail(f"no user {owner!r}; create one with `aims createuser`")
    try:
        with audit_context(via="cli"):
            organization = organization_create(actor=user, owner=user, name=name, slug=slug)
    except ServiceError as exc:
        raise fail(exc.message) from None
    typer.echo(f"created organization {organization.slug}")


@org_app.command("list")
def org_list() -> None:
    """List organizations with their member counts."""
    setup_django()
    check_database()
    from django.db.models import Count

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.tenancy.models import Organization

    for org in Organization.objects.annotate(n=Count("memberships")).order_by("slug"):
        typer.echo(f"{org.slug}\t{org.n} members\t{org.name}")


def _organization_ids(org: str | None) -> list[tuple[str, int | None]]:
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.tenancy.models import Organization

    if org:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise fail(f"no organization with the slug {org!r}")
        return [(organization.slug, organization.pk)]
    return [("(global)", None)] + [(o.slug, o.pk) for o in Organization.objects.order_by("slug")]


@audit_app.command("verify")
def audit_verify(org: Annotated[str | None, typer.Option(help="Organization slug; all chains when omitted.")] = None):
    """Walk the hash chain(s): OK, or the first broken link and why; then check the database still refuses
    changes to events. Exit code 1 when a chain is broken or a trigger is missing."""
    setup_django()
    check_database()
    from django.db import connection

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.audittrail.append_only import missing_triggers
    from openaims.audittrail.chain import verify_chain

    broken = False
    for slug, pk in _organization_ids(org):
        result = verify_chain(pk)
        line = result.line().replace(f"chain {result.chain}", slug, 1)
        typer.echo(line)
        broken |= not result.ok
    missing = missing_triggers(connection)
    if missing:
        typer.echo(
            f"database: the append-only triggers are missing ({', '.join(missing)}): "
            "UPDATE and DELETE on audit events are not refused"
        )
    raise typer.Exit(1 if broken or missing else 0)


@audit_app.command("export")
def audit_export(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (JSON Lines).")],
) -> None:
    """Export an organization's events as JSON Lines, oldest first."""
    setup_django()
    check_database()
    from rich.progress import Progress

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.audittrail.selectors import events_for_organization, export_jsonl
    from openaims.tenancy.models import Organization

    ((_slug, pk),) = _organization_ids(org)

    events = events_for_organization(Organization.objects.get(pk=pk))
    total = events.count()
    tmp = output.with_name(output.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8") as fh, Progress(transient=True) as progress:
            task = progress.add_task("exporting", total=total)
            for line in export_jsonl(events):
                fh.write(line)
                progress.advance(task)
        tmp.replace(output)  # the file appears whole or not at all
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"wrote {total} events to {output}")


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    user: Annotated[str, typer.Option(help="Username or email of the member the token acts for.")],
    role: Annotated[str | None, typer.Option(help="The token's role, within the member's (default: theirs).")] = None,
    expires: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Days until it expires (default: never).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A name to recognise it by (default: 'cli <date>').")] = None,
) -> None:
    """Create an API token for a member and print it (stdout carries only the token; it is shown once)."""
    setup_django()
    check_database()
    from django.utils import timezone

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.tenancy.models import Organization
    from openaims.tenancy.selectors import tenant_of
    from openaims.tenancy.services import api_token_create, user_for_login

    ((slug, pk),) = _organization_ids(org)
    person = user_for_login(user)
    if person is None:
        raise fail(f"no user {user!r}")
    now = timezone.now()
    try:
        # The member's own act, as on their tokens page: the token is capped by their role and audited alike.
        actor = tenant_of(person, Organization.objects.get(pk=pk))
        with audit_context(via="cli"):
            token, raw = api_token_create(
                actor=actor,
                name=name or f"cli {now:%Y-%m-%d}",
                role=role or str(actor.role),
                expires_at=now + timedelta(days=expires) if expires else None,
            )
    except ServiceError as exc:
        raise fail(exc.message) from None
    until = f"until {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "without expiry"
    typer.echo(f"created token {token.name!r} for {person.get_username()} as {token.role} of {slug}, {until}", err=True)
    typer.echo(raw)


CatalogFiles = Annotated[
    list[Path] | None, typer.Argument(help="YAML files; the shipped catalog when omitted.", show_default=False)
]


@catalog_app.command("check")
def catalog_check(files: CatalogFiles = None) -> None:
    """Validate catalog files without loading them."""
    setup_django()
    check_database()
    if pending_migrations():  # references are checked against what is loaded, so the tables must exist
        raise fail("the database is not set up yet: run `aims migrate` (or `aims catalog load`) first")
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.catalog.loader import CatalogError, default_files, validate_files

    paths = files or default_files()
    try:
        parsed = validate_files(paths)
    except CatalogError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    if not files:  # the shipped data: default life-cycle gates may name only items some installed app provides
        # Imported once setup_django() has configured Django: these modules load models.
        from openaims.inventory.lifecycle.policy import unknown_default_items

        problems = unknown_default_items()
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
        if problems:
            raise typer.Exit(1)
    typer.echo(f"{len(parsed)} files valid")


@catalog_app.command("load")
def catalog_load(files: CatalogFiles = None) -> None:
    """Validate, then load all files in one transaction (idempotent; nothing is loaded on any problem)."""
    setup_django()
    run_migrations()
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.catalog.loader import CatalogError, load_catalog

    try:
        with audit_context(via="cli"):
            report = load_catalog(files or None)
    except CatalogError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo(f"error: nothing was loaded ({len(exc.problems)} problems)", err=True)
        raise typer.Exit(1) from None
    for line in report.lines:
        typer.echo(line)


@soa_app.command("export")
def soa_export(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    format_: Annotated[
        str, typer.Option("--format", "-f", help="pdf, oscal-ssp, oscal-component, csv, json or xlsx.")
    ] = "pdf",
    version: Annotated[
        int | None, typer.Option(help="A published version number; the current, unpublished state when omitted.")
    ] = None,
) -> None:
    """Write the SoA (current or a published version) in one of the export formats."""
    setup_django()
    check_database()
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.controls import exports, oscal, pdf  # noqa: F401  (pdf and oscal register their formats)
    from openaims.controls.models import SoAVersion
    from openaims.controls.selectors import soa_rows
    from openaims.tenancy.models import Organization

    ((slug, pk),) = _organization_ids(org)
    organization = Organization.objects.get(pk=pk)
    fmt = exports.FORMATS.get(format_)
    if fmt is None:
        raise fail(f"unknown format {format_!r}; choose one of {', '.join(sorted(exports.FORMATS))}")
    if version is None:
        rows = [row.as_dict() for row in soa_rows(organization)]
        meta = exports.SoAMeta(organization=organization.name, slug=slug)
    else:
        found = SoAVersion.objects.select_related("approved_by", "approver").filter(
            organization=organization, number=version
        )
        published = found.first()
        if published is None:
            raise fail(f"{slug} has no published SoA version {version}")
        rows = published.rows
        meta = exports.meta_for_version(organization, published)
    try:
        content = fmt.render(rows, meta)
    except ServiceError as exc:
        raise fail(exc.message) from None
    tmp = output.with_name(output.name + ".part")
    try:
        tmp.write_bytes(content)
        tmp.replace(output)  # the file appears whole or not at all
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"wrote the SoA of {slug} ({meta.label}, {fmt.label}, {len(rows)} controls) to {output}")


def _cli_actor(organization, who: str | None, perm: str, doing: str):
    """The Tenant the command acts as: the member named by --as (username or email), who must hold `perm`;
    without --as, the organization's system actor (the operator runs it at the server; recorded as "system").
    """
    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.tenancy.models import Membership, Tenant
    from openaims.tenancy.services import user_for_login

    if who is None:
        return Tenant.system(organization)
    user = user_for_login(who)
    membership = (
        Membership.objects.select_related("organization", "user").filter(organization=organization, user=user).first()
        if user
        else None
    )
    if membership is None:
        raise fail(f"{who!r} is not a member of {organization.slug}")
    tenant = Tenant(membership)
    if not tenant.can(perm):
        raise fail(f"{user.get_username()} is {tenant.role} of {organization.slug}; {doing} needs more")
    return tenant


AsMember = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Username or email of the member to record as the actor (default: the organization's system actor).",
    ),
]


@inventory_app.command("import")
def inventory_import(
    file: Annotated[Path, typer.Argument(help="A CSV (UTF-8) or XLSX file; its first row names the columns.")],
    org: Annotated[str, typer.Option(help="Organization slug.")],
    as_: AsMember = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and write nothing.")] = False,
    update_existing: Annotated[
        bool, typer.Option("--update-existing", help="Rows naming an existing system update it instead of failing.")
    ] = False,
) -> None:
    """Import AI systems into the register: every row is checked first; with any bad row nothing is written."""
    setup_django()
    check_database()
    from rich.console import Console
    from rich.progress import Progress

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.inventory.imports import RowsRejected, max_bytes, systems_import
    from openaims.tenancy.models import Organization

    ((_slug, pk),) = _organization_ids(org)
    organization = Organization.objects.get(pk=pk)
    actor = _cli_actor(organization, as_, Perm.WRITE, "importing")
    try:
        if file.stat().st_size > max_bytes():
            raise fail(f"{file} is larger than {max_bytes() // (1024 * 1024)} MB; split it into several files")
        content = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None
    try:
        # Progress on stderr: stdout carries only the result line.
        with audit_context(via="cli"), Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("importing", total=None)
            report = systems_import(
                actor=actor,
                content=content,
                file_name=file.name,
                update_existing=update_existing,
                dry_run=dry_run,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except RowsRejected as exc:
        for problem in exc.errors:
            typer.echo(f"error: {problem.line()}", err=True)
        typer.echo(f"error: {file.name}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    except ServiceError as exc:
        raise fail(f"{file.name}: {exc.message}") from None
    typer.echo(f"{file.name}: {report.summary()}")


@inventory_app.command("mlflow-sync")
def inventory_mlflow_sync(
    org: Annotated[str, typer.Option(help="Organization slug.")],
    tracking_uri: Annotated[str, typer.Option(help="MLflow tracking URI: http(s)://..., databricks, file:///...")],
    registry_uri: Annotated[str | None, typer.Option(help="Model registry URI, if not the tracking URI.")] = None,
    system: Annotated[
        str | None, typer.Option(help="AIS-<n> that receives registered models with no other target.")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="'model name=AIS-<n>' (repeatable); wins over the model's openaims.system tag."),
    ] = None,
    as_: AsMember = None,
) -> None:
    """Bring registered model versions from MLflow into the register as models of their systems (re-runs update)."""
    setup_django()
    check_database()
    from rich.console import Console
    from rich.progress import Progress

    # Imported once setup_django() has configured Django: these modules load models.
    from openaims.inventory.mlflow_sync import mlflow_sync, parse_mapping, system_by_ref
    from openaims.tenancy.models import Organization

    ((_slug, pk),) = _organization_ids(org)
    organization = Organization.objects.get(pk=pk)
    actor = _cli_actor(organization, as_, Perm.APPROVE, "an MLflow sync")
    try:
        mapping = parse_mapping(organization, map_ or [])
        default = system_by_ref(organization, system) if system else None
        with audit_context(via="cli"), Progress(console=Console(stderr=True), transient=True) as progress:
            progress.add_task("reading the MLflow registry", total=None)
            # The command runs on the server by whoever operates it: local stores and any address are fine here.
            report = mlflow_sync(
                actor=actor,
                tracking_uri=tracking_uri,
                registry_uri=registry_uri,
                mapping=mapping,
                default_system=default,
                on_server=True,
            )
    except ServiceError as exc:
        raise fail(exc.message) from None
    for item in report.items:
        if item.outcome != "unchanged":
            target = f" -> {item.system}" if item.system else ""
            note = f" ({item.reason})" if item.reason else ""
            typer.echo(f"{item.outcome}\t{item.name} {item.version}{target}{note}")
    typer.echo(report.summary())


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
