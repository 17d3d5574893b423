"""Rows of the first sheet of an XLSX workbook someone uploaded: bounded memory, one error for anything broken.

An XLSX file is a ZIP archive of XML parts. Before openpyxl parses anything, the sizes the archive
declares for its parts are added up and checked against a limit: openpyxl reads the shared-string
table whole, so one huge cell in a tiny, well-compressed file would otherwise fill the server's
memory. The declared sizes can be trusted as a bound because `zipfile` stops at them (a part that
inflates past its declared size fails its CRC check). The XML is parsed through defusedxml (openpyxl
uses it when installed; the project depends on it), so entity tricks are refused. The sheet's declared
dimension is ignored: producers leave it stale, and openpyxl's read-only mode would stop at it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Generator
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from openpyxl import load_workbook

from openaims.lib.errors import ServiceError

# The last row a spreadsheet program can hold; a sheet claiming rows past it was not made by one.
LAST_ROW = 1_048_576
# More parts than any real workbook has: each is a zip entry to look at.
MAX_PARTS = 10_000
INVALID = "this file is not a valid workbook: "


def invalid(reason: str) -> ServiceError:
    return ServiceError(INVALID + reason, code="invalid_file")


def _reason(exc: BaseException) -> str:
    """What went wrong, in one short line for the person who uploaded the file."""
    if isinstance(exc, DefusedXmlException):
        return "it declares XML entities or a DTD, which are not accepted"
    if isinstance(exc, ParseError | SyntaxError):
        return f"its XML is broken ({str(exc).splitlines()[0][:120]})"
    if isinstance(exc, zipfile.BadZipFile | EOFError):
        return f"the archive is damaged ({str(exc)[:120]})"
    if isinstance(exc, KeyError):
        return "a part every workbook has is missing"
    text = " ".join(str(exc).split())[:160]
    return text or type(exc).__name__


def check_archive(content: bytes, *, unpacked_bytes: int) -> None:
    """Refuse a file that is no ZIP archive, or whose parts together unpack to more than `unpacked_bytes`."""
    if not content.startswith(b"PK\x03\x04"):
        raise invalid("it is not a ZIP archive (an .xlsx file is one); save it again as .xlsx, or as CSV")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        raise invalid("it is not a complete ZIP archive; save it again as .xlsx, or as CSV") from None
    if len(parts) > MAX_PARTS:
        raise invalid(f"it has more than {MAX_PARTS:,} parts")
    if any(part.flag_bits & 0x1 for part in parts):
        raise invalid("it is encrypted; save it again without a password")
    total = sum(part.file_size for part in parts)
    if total > unpacked_bytes:
        raise ServiceError(
            f"the workbook unpacks to more than {unpacked_bytes // (1024 * 1024):,} MB, more than an import takes; "
            "split it into several files or save it as CSV",
            code="invalid_file",
        )


def sheet_rows(content: bytes, *, unpacked_bytes: int) -> Generator[tuple[object, ...], None, None]:
    """The rows of the first sheet, one tuple of cell values each, from row 1 on, gaps as empty tuples.

    Every problem of the file, at opening or while rows are read, is a ServiceError "this file is not a
    valid workbook: …" (code `invalid_file`). The caller bounds rows and cells as they stream.
    """
    check_archive(content, unpacked_bytes=unpacked_bytes)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises whatever its parsers raise: each is the file's fault
        raise invalid(_reason(exc)) from None
    try:
        if not workbook.worksheets:
            raise invalid("it has no sheet")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a read-only sheet forgets its declared size
        rows = sheet.iter_rows(values_only=True)
        for number in range(1, LAST_ROW + 2):
            try:
                values = next(rows, None)
            except Exception as exc:  # broken XML or archive surfaces only as the rows are read
                raise invalid(_reason(exc)) from None
            if values is None:
                return
            if number > LAST_ROW:
                raise invalid(f"it has rows past row {LAST_ROW:,}, the last a spreadsheet can hold")
            yield values
    finally:
        workbook.close()
