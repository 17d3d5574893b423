"""Bulk entry into the AI system register (A.4.2) from a CSV or XLSX file: validate every row, then load.

As with the catalog loader, nothing is written unless the whole file is good: a file with any bad
row is refused with every bad row listed (its row number as the spreadsheet shows it, header = 1,
the column and the reason). A good file is written in one transaction: new systems through
`systems_create_bulk` (one insert, one audit event per system), existing ones through `system_update`,
plus one event for the import itself.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from openaims.audittrail.services import record_event
from openaims.inventory.models import AISystem
from openaims.inventory.services import (
    OWNER_FIELDS,
    SYSTEM_TERMS,
    system_update,
    systems_create_bulk,
    validate_system_values,
)
from openaims.inventory.vocabulary import vocabulary
from openaims.lib.errors import ServiceError
from openaims.lib.workbook import sheet_rows
from openaims.tenancy.models import Membership, Tenant

# The register has fewer than 20 columns; a row with values past this many is not a list of AI systems.
MAX_COLUMNS = 200


def max_bytes() -> int:
    """The largest file an import takes (AIMS_IMPORT_MAX_MB); callers refuse bigger uploads before reading."""
    return settings.AIMS_IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.AIMS_IMPORT_MAX_ROWS


# The register's fields in the order the template shows them.
COLUMNS = (
    "name",
    "purpose",
    "intended_use",
    "foreseeable_misuse",
    "intended_users",
    "affected_persons",
    "role",
    "technique",
    "automation_level",
    "oversight_mode",
    "oversight_description",
    "deployment_environment",
    "geography",
    "personal_data",
    "personal_data_notes",
    "criticality",
    "business_owner",
    "technical_owner",
)
REQUIRED = ("name", "purpose", "role", "technique")
# Other spellings people give these columns (after lower-casing and joining words with "_").
ALIASES = {
    "system": "name",
    "system_name": "name",
    "ai_system": "name",
    "title": "name",
    "misuse": "foreseeable_misuse",
    "reasonably_foreseeable_misuse": "foreseeable_misuse",
    "users": "intended_users",
    "affected": "affected_persons",
    "our_role": "role",
    "organization_role": "role",
    "ai_technique": "technique",
    "automation": "automation_level",
    "oversight": "oversight_mode",
    "human_oversight": "oversight_mode",
    "deployment": "deployment_environment",
    "environment": "deployment_environment",
    "contains_personal_data": "personal_data",
    "processes_personal_data": "personal_data",
    "owner": "business_owner",
}
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0"}

EXAMPLE = {
    "name": "Invoice triage assistant",
    "purpose": "Sorts incoming supplier invoices and flags unusual ones for the accounts team",
    "intended_use": "Accounts staff review the flagged invoices before payment",
    "foreseeable_misuse": "Paying invoices on the model's word without review",
    "intended_users": "Accounts payable team",
    "affected_persons": "Suppliers",
    "role": "deployer",
    "technique": "llm",
    "automation_level": "assistive",
    "oversight_mode": "in_the_loop",
    "oversight_description": "A clerk confirms every flag",
    "deployment_environment": "Internal finance system",
    "geography": "EU",
    "personal_data": "no",
    "personal_data_notes": "",
    "criticality": "medium",
    "business_owner": "",
    "technical_owner": "",
}


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    field: str | None
    column: str  # the header as written in the file
    message: str

    def as_detail(self) -> dict:
        return {"row": self.row, "field": self.field, "column": self.column, "message": self.message}

    def line(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class RowsRejected(ServiceError):
    """Some rows are bad: nothing was imported. `errors` lists every problem of every bad row."""

    status = 422
    code = "invalid_rows"

    def __init__(self, errors: list[RowError], rows: int):
        bad = len({e.row for e in errors})
        super().__init__(
            f"{bad} of {rows} rows {'has' if bad == 1 else 'have'} problems; nothing was imported",
            details=[e.as_detail() for e in errors],
        )
        self.errors = errors


@dataclass
class ImportReport:
    rows: int
    dry_run: bool
    created: list[str] = field(default_factory=list)  # AIS-n refs
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        parts = [f"{len(self.created)} created"]
        if self.updated or self.unchanged:
            parts += [f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        prefix = "check only, nothing written: " if self.dry_run else ""
        return f"{prefix}{self.rows} rows are valid; systems {verb} {', '.join(parts)}"

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "dry_run": self.dry_run,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "systems": {"created": self.created, "updated": self.updated, "unchanged": self.unchanged},
        }


# ------------------------------------------------------------------------------------------------ reading


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells); blank rows left out


def _refuse(message: str) -> ServiceError:
    return ServiceError(message, code="invalid_file")


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _collect(records, *, where: str) -> Table:
    """Header and non-blank rows from an iterator of cell lists, numbering rows from 1 (the header).

    Rows and cells are bounded as they stream (AIMS_IMPORT_MAX_ROWS, AIMS_IMPORT_MAX_CELL_CHARS), so a
    file never holds more in memory than an import can use. Blank rows are skipped, never an end: data
    below a gap is read like any other.
    """
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    limit, cell_chars = max_rows(), settings.AIMS_IMPORT_MAX_CELL_CHARS
    for number, record in enumerate(records, start=1):
        if len(record) > MAX_COLUMNS:
            # A cell far to the right widens every row to it; the blank tail is dropped (counted in C, not looped).
            tail = tuple(record[MAX_COLUMNS:])
            if tail.count(None) + tail.count("") != len(tail):
                raise _refuse(f"row {number} has values beyond column {column_letter(MAX_COLUMNS - 1)}")
            record = record[:MAX_COLUMNS]
        cells = [_cell_text(v) for v in record]
        for index, text in enumerate(cells):
            if len(text) > cell_chars:
                raise _refuse(
                    f"cell {column_letter(index)}{number} has more than {cell_chars:,} characters, "
                    "more than any field of the register holds"
                )
        if header is None:
            if not any(cells):
                raise _refuse(f"the first row of the {where} must be the header (the column names); it is empty")
            header = cells
            continue
        if not any(cells):
            continue
        if len(rows) >= limit:
            raise _refuse(f"the file has more than {limit:,} rows; split it into several files")
        rows.append((number, cells))
    if header is None:
        raise _refuse("the file is empty")
    return Table(header=header, rows=rows)


def _read_csv(content: bytes) -> Table:
    # Excel's "Unicode text" is UTF-16 with a byte-order mark; everything else should be UTF-8.
    encoding = "utf-16" if content.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        raise _refuse('the file is neither UTF-8 text nor an XLSX workbook; save it as "CSV UTF-8" or XLSX') from None
    if "\x00" in text:
        raise _refuse("the file is not a spreadsheet; upload a CSV (UTF-8) or XLSX file")
    first = text.lstrip().split("\n", 1)[0]
    # Spreadsheets in many locales save CSV with ";" (the comma is their decimal mark).
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect(reader, where="file")
    except csv.Error as exc:
        raise _refuse(f"the CSV cannot be read near line {reader.line_num}: {exc}") from None


def _read_xlsx(content: bytes) -> Table:
    rows = sheet_rows(content, unpacked_bytes=settings.AIMS_IMPORT_XLSX_MAX_UNPACKED_BYTES)
    try:
        return _collect(rows, where="first sheet")
    finally:
        rows.close()  # the workbook is closed even when a limit stops the reading early


def read_table(content: bytes, file_name: str = "") -> Table:
    """Rows of a CSV (UTF-8, "," ";" or tab) or of the first sheet of an XLSX workbook, told apart by content.

    A file named .xlsx is read as a workbook whatever it holds, so a renamed file gets the workbook's
    error rather than a guess.
    """
    limit = max_bytes()
    if len(content) > limit:
        raise _refuse(f"the file is larger than {limit // (1024 * 1024)} MB; split it into several files")
    if not content.strip():
        raise _refuse("the file is empty")
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse("old Excel .xls files are not supported; save it as .xlsx or CSV (UTF-8)")
    if content.startswith(b"PK\x03\x04") or file_name.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    return _read_csv(content)


# ------------------------------------------------------------------------------------------------ checking


def header_key(text: str) -> str:
    """'Business owner', 'BUSINESS_OWNER ', 'Role (provider, …) *' → the register field it names."""
    text = re.sub(r"\([^)]*\)", "", str(text)).replace("*", "")
    key = re.sub(r"[^a-z0-9]+", "_", text.strip().casefold()).strip("_")
    return ALIASES.get(key, key)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Context:
    """What every row is checked against, fetched once per import."""

    def __init__(self, organization):
        self.organization = organization
        vocab = vocabulary()
        self.terms: dict[str, dict[str, str]] = {}
        for field_name, terms in SYSTEM_TERMS.items():
            lookup: dict[str, str] = {}
            for key, label in vocab.choices(terms):
                lookup[_fold(label)] = key
                lookup[key.casefold()] = key
                lookup[_fold(key.replace("_", " "))] = key
            self.terms[field_name] = lookup
        self.usernames: dict[str, object] = {}
        self.emails: dict[str, list] = {}
        for membership in Membership.objects.filter(organization=organization).select_related("user"):
            user = membership.user
            self.usernames[user.get_username().casefold()] = user
            if user.email:
                self.emails.setdefault(user.email.casefold(), []).append(user)
        self.existing: dict[str, list[AISystem]] = {}
        for system in AISystem.objects.filter(organization=organization).only("id", "number", "name", "organization"):
            self.existing.setdefault(system.name.strip().casefold(), []).append(system)

    def term(self, field_name: str, raw: str) -> str:
        lookup = self.terms[field_name]
        folded = _fold(raw)
        return lookup.get(folded) or lookup.get(_fold(raw.replace("-", " ").replace("_", " "))) or raw

    def member(self, raw: str):
        user = self.usernames.get(raw.casefold())
        if user is not None:
            return user
        found = self.emails.get(raw.casefold(), [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ServiceError(f"several members have the email {raw}; give the username")
        raise ServiceError(f"{raw!r} is not a member of the organization (give a username or email)")


@dataclass
class _Planned:
    row: int
    values: dict
    existing: AISystem | None


def _columns(table: Table, *, update_existing: bool) -> dict[int, tuple[str, str]]:
    """{cell index: (field, header as written)}; file-level problems are refused here, all at once."""
    columns: dict[int, tuple[str, str]] = {}
    seen: dict[str, str] = {}
    unknown: list[str] = []
    problems: list[str] = []
    for index, text in enumerate(table.header):
        if not text:
            continue
        key = header_key(text)
        if key not in COLUMNS:
            unknown.append(repr(text))
        elif key in seen:
            problems.append(f"the columns {seen[key]!r} and {text!r} both mean {key}")
        else:
            seen[key] = text
            columns[index] = (key, text)
    if unknown:
        problems.insert(0, f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}")
    needed = ("name",) if update_existing else REQUIRED
    missing = [key for key in needed if key not in seen]
    if missing:
        problems.append(f"the file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''} (required)")
    unnamed = sorted(
        {
            index
            for _number, cells in table.rows
            for index, value in enumerate(cells)
            if value and (index >= len(table.header) or not table.header[index])
        }
    )
    if unnamed:
        letters = ", ".join(column_letter(i) for i in unnamed[:10])
        problems.append(
            f"column{'s' if len(unnamed) > 1 else ''} {letters} {'have' if len(unnamed) > 1 else 'has'} "
            "values but no name in the header row"
        )
    if problems:
        raise _refuse("; ".join(problems))
    return columns


def _check_row(
    context: _Context,
    number: int,
    cells: list[str],
    columns: dict[int, tuple[str, str]],
    *,
    names: dict[str, int],
    update_existing: bool,
) -> tuple[_Planned | None, list[RowError]]:
    errors: list[RowError] = []
    values: dict = {}
    header_of = {key: text for key, text in columns.values()}

    def error(key: str | None, message: str) -> None:
        errors.append(RowError(number, key, header_of.get(key, key or ""), message))

    for index, (key, _text) in columns.items():
        raw = cells[index] if index < len(cells) else ""
        if not raw:
            continue  # a blank cell leaves the field as it is (a new system gets the default)
        try:
            if key in OWNER_FIELDS:
                values[key] = context.member(raw)  # among the members, so the service's check holds
                continue
            if key == "personal_data":
                folded = raw.casefold()
                if folded not in TRUE | FALSE:
                    raise ServiceError(f"write yes or no, not {raw!r}")
                value = folded in TRUE
            elif key in SYSTEM_TERMS:
                value = context.term(key, raw)
            else:
                value = raw
            validate_system_values(context.organization, {key: value}, partial=True)
            values[key] = value
        except ServiceError as exc:
            error(key, exc.message)

    name = values.get("name")
    existing = None
    if name:
        folded = name.casefold()
        if folded in names:
            error("name", f"the name {name!r} is also on row {names[folded]}")
        else:
            names[folded] = number
        matches = context.existing.get(folded, [])
        if len(matches) > 1:
            refs = ", ".join(s.ref for s in matches)
            error("name", f"{len(matches)} systems are named {name!r} ({refs}); change them one by one")
        elif matches and not update_existing:
            error(
                "name",
                f"a system named {matches[0].name!r} exists ({matches[0].ref}); "
                "import with 'update existing' to change it",
            )
        elif matches:
            existing = matches[0]
    if existing is None:
        failed = {e.field for e in errors}
        for key in REQUIRED:
            if key not in values and key not in failed:
                error(key, f"{key.replace('_', ' ')} is required")
    if errors:
        return None, errors
    return _Planned(number, values, existing), []


def systems_import(
    *,
    actor: Tenant,
    content: bytes,
    file_name: str = "",
    update_existing: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import AI systems from a CSV or XLSX file: all rows or none (A.4.2).

    Rows whose name matches an existing system (case-insensitively) are refused unless
    `update_existing`, when that system is updated instead. `dry_run` checks everything, including
    the writes, and rolls them back. `progress(done, total)` is called as rows are written.
    """
    organization = actor.organization
    table = read_table(content, file_name)
    columns = _columns(table, update_existing=update_existing)
    if not table.rows:
        raise _refuse("the file has a header but no rows to import")
    context = _Context(organization)
    names: dict[str, int] = {}
    planned: list[_Planned] = []
    errors: list[RowError] = []
    for number, cells in table.rows:
        plan, problems = _check_row(context, number, cells, columns, names=names, update_existing=update_existing)
        errors.extend(problems)
        if plan:
            planned.append(plan)
    if errors:
        raise RowsRejected(errors, len(table.rows))

    report = ImportReport(rows=len(table.rows), dry_run=dry_run)
    new_rows = [plan for plan in planned if plan.existing is None]
    with transaction.atomic():
        try:
            # New systems in one bulk insert with their audit events; updates one by one (each has its own diff).
            for system in systems_create_bulk(actor=actor, rows=[plan.values for plan in new_rows]):
                report.created.append(system.ref)
        except ServiceError as exc:
            # Checked above, so only a concurrent change gets here: still all or nothing.
            column = next((text for key, text in columns.values() if key == exc.field), exc.field or "")
            raise RowsRejected([RowError(new_rows[0].row, exc.field, column, exc.message)], len(table.rows)) from None
        if progress and new_rows:
            progress(len(new_rows), len(planned))
        for done, plan in enumerate((p for p in planned if p.existing is not None), start=len(new_rows) + 1):
            try:
                before = AISystem.objects.only("version").get(pk=plan.existing.pk).version
                system = system_update(actor=actor, system=plan.existing, **plan.values)
                (report.updated if system.version != before else report.unchanged).append(system.ref)
            except ServiceError as exc:
                column = next((text for key, text in columns.values() if key == exc.field), exc.field or "")
                raise RowsRejected([RowError(plan.row, exc.field, column, exc.message)], len(table.rows)) from None
            if progress:
                progress(done, len(planned))
        record_event(
            actor=actor,
            organization=organization,
            obj=organization,
            action="import_systems",
            changes={
                "file": [None, file_name[:200]],
                "created": [None, len(report.created)],
                "updated": [None, len(report.updated)],
            },
        )
        if dry_run:
            transaction.set_rollback(True)
    return report


# ------------------------------------------------------------------------------------------------ templates


def allowed_values() -> list[dict]:
    """What each column accepts, for the template's second sheet and the import page."""
    vocab = vocabulary()
    rows = []
    for key in COLUMNS:
        entry = {"column": key, "required": key in REQUIRED, "values": [], "note": ""}
        if key in SYSTEM_TERMS:
            entry["values"] = vocab.choices(SYSTEM_TERMS[key])
            entry["note"] = "the value or its label" + ("; medium when blank" if key == "criticality" else "")
        elif key == "personal_data":
            entry["values"] = [("yes", "Yes"), ("no", "No")]
            entry["note"] = "yes/no, true/false or 1/0"
        elif key in OWNER_FIELDS:
            entry["note"] = "username or email of a member of the organization"
        else:
            entry["note"] = "text"
        rows.append(entry)
    return rows


def template_csv() -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([EXAMPLE[key] for key in COLUMNS])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read it as UTF-8


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "AI systems"
    sheet.append(list(COLUMNS))
    sheet.append([EXAMPLE[key] for key in COLUMNS])
    bold = Font(bold=True)
    for index, key in enumerate(COLUMNS):
        cell = sheet.cell(row=1, column=index + 1)
        cell.font = bold
        sheet.column_dimensions[column_letter(index)].width = max(14, len(key) + 4)
    sheet.freeze_panes = "A2"
    for index, key in enumerate(COLUMNS):
        if key in SYSTEM_TERMS or key == "personal_data":
            keys = [k for k, _ in vocabulary().choices(SYSTEM_TERMS[key])] if key in SYSTEM_TERMS else ["yes", "no"]
            # A drop-down to help; labels are accepted too, so typing something else is not blocked.
            validation = DataValidation(type="list", formula1=f'"{",".join(keys)}"', allow_blank=True)
            validation.showErrorMessage = False
            letter = column_letter(index)
            validation.add(f"{letter}2:{letter}{max_rows() + 1}")
            sheet.add_data_validation(validation)

    allowed = workbook.create_sheet("Allowed values")
    allowed.append(["column", "required", "value", "label", "note"])
    for cell in allowed[1]:
        cell.font = bold
    for entry in allowed_values():
        required = "yes" if entry["required"] else ""
        if entry["values"]:
            for value, label in entry["values"]:
                allowed.append([entry["column"], required, value, label, entry["note"]])
        else:
            allowed.append([entry["column"], required, "", "", entry["note"]])
    for letter, width in zip("ABCDE", (24, 10, 16, 48, 50), strict=True):
        allowed.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
