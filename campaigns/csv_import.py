"""Reading CSV uploads (catalog, discount codes, redemptions) into rows for the bulk services.

Size, encoding and delimiter follow ``config.csv_files`` (the project's one CSV policy); headers may
come in any case and order. Problems with the file itself come back as row-0 errors; problems with
values are the services' business.
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from campaigns.rows import RowError
from config.csv_files import CsvFileError, csv_delimiter, csv_upload_text

PRODUCT_COLUMNS = ("sku", "name", "url", "image_url", "price", "currency", "category", "tags", "active")
CODE_COLUMNS = ("code",)
REDEMPTION_COLUMNS = ("code", "order_number", "amount", "currency", "redeemed_at", "customer_email")


@dataclass
class ParsedCsv:
    """Rows keyed by lowercase header, or the file-level errors that stopped parsing."""

    rows: list[dict[str, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def csv_rows(*, raw: IO[bytes] | bytes, required: Iterable[str], known: Iterable[str]) -> ParsedCsv:
    """Parse an uploaded CSV (the upload itself, so its size is checked unread, or its bytes).

    The header must name every ``required`` column and only ``known`` ones.
    """
    parsed = ParsedCsv()
    try:
        text = csv_upload_text(raw)
    except CsvFileError as error:
        parsed.errors.append(RowError(0, "file", str(error)))
        return parsed
    if not text.strip():
        parsed.errors.append(RowError(0, "file", "is empty"))
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except (csv.Error, StopIteration) as error:
        parsed.errors.append(RowError(0, "file", f"cannot be read as CSV: {error}"))
        return parsed
    missing = [column for column in required if column not in header]
    unknown = [column for column in header if column and column not in set(known)]
    if missing:
        parsed.errors.append(RowError(0, "header", f"missing column(s): {', '.join(missing)}"))
    if unknown:
        parsed.errors.append(
            RowError(0, "header", f"unknown column(s): {', '.join(unknown)} (known: {', '.join(known)})")
        )
    if parsed.errors:
        return parsed
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            parsed.rows.append({name: value for name, value in zip(header, values, strict=False) if name})
    except csv.Error as error:
        parsed.errors.append(RowError(reader.line_num, "file", f"cannot be read as CSV: {error}"))
        parsed.rows.clear()
    return parsed
