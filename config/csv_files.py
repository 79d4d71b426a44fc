"""The one way CSV files come in (uploads) and go out (admin exports).

Reading: the upload's size is checked before a byte is read (``settings.CSV_MAX_UPLOAD_BYTES``), then
the text is decoded by one policy: UTF-8, with or without the BOM Excel writes, else Windows-1250,
which is what Polish (and Czech, Slovak) Excel saves as "CSV". Nothing else is guessed: Latin-1 or
ISO-8859-2 would decode any bytes without an error and silently turn Polish letters into others
(ą, ś, ź differ between them), so a file that is neither is refused with a hint to save it as UTF-8.
The delimiter is whichever of comma, semicolon or tab the header line uses most (Excel's "CSV" is
semicolon-separated where the decimal separator is a comma). Yes/no cells accept one set of words.

Writing: every cell a spreadsheet would run as a formula (starting with = + - @, tab or carriage
return) is prefixed with an apostrophe, as OWASP's "CSV Injection" advises, so text a shop or a
customer typed can never execute in the exporting user's spreadsheet.
"""

import csv
from collections.abc import Iterable
from typing import IO

from django.conf import settings
from django.http import HttpResponse

# Lowercase; Polish, German, Czech and Slovak spreadsheets are written by people who type their own words.
YES_WORDS = frozenset({"1", "true", "yes", "y", "t", "on", "tak", "ja", "ano", "áno"})
NO_WORDS = frozenset({"0", "false", "no", "n", "f", "off", "nie", "nein", "ne"})
FALLBACK_ENCODING = "cp1250"
DELIMITERS = (",", ";", "\t")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvFileError(ValueError):
    """The file as a whole cannot be read: too large, not text in a known encoding, no header."""


def csv_max_bytes() -> int:
    """The largest CSV upload accepted (read at call time, so tests and deployments can change it)."""
    return settings.CSV_MAX_UPLOAD_BYTES


def _too_large(limit: int) -> CsvFileError:
    size = f"{limit / 1024**2:g} MB" if limit >= 1024**2 else f"{limit / 1024:g} kB"
    return CsvFileError(f"The file is larger than {size}.")


def csv_upload_bytes(upload: IO[bytes] | bytes) -> bytes:
    """The upload's bytes, refused before reading when its declared size is over the limit.

    Reads at most one byte more than the limit, so a file object without a known size cannot make us
    hold more than that in memory either.
    """
    limit = csv_max_bytes()
    if isinstance(upload, bytes):
        raw = upload
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > limit:
            raise _too_large(limit)
        raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    return raw


def csv_decode(raw: bytes) -> str:
    """The file's text: UTF-8 (a BOM is dropped), else Windows-1250; anything else is refused."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError as error:
        raise CsvFileError("The file is neither UTF-8 nor Windows-1250 text; save it as “CSV UTF-8”.") from error


def csv_upload_text(upload: IO[bytes] | bytes) -> str:
    """Size check, then decoding: the text of an uploaded CSV."""
    return csv_decode(csv_upload_bytes(upload))


def csv_delimiter(text: str) -> str:
    """The delimiter the header line uses most (comma when it names a single column)."""
    first_line = text.split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def yes_no(value: str) -> bool | None:
    """True for a yes word, False for a no word (any case, spaces ignored), None for anything else."""
    word = value.strip().lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


def csv_safe_cell(value: object) -> object:
    """``value`` unchanged, unless it is text a spreadsheet would run as a formula: then quoted with '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_export_response(*, filename: str, header: Iterable[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    """A CSV download (UTF-8) whose every cell went through :func:`csv_safe_cell`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([csv_safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([csv_safe_cell(value) for value in row])
    return response
