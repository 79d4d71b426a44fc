"""CSV import of orders and shipments: a dry run with a per-row report, then all or nothing.

One row per shipment (or per order without a shipment); rows with the same ``order_number`` make one
order. Every order goes through ``shipments.services.order_upsert``, exactly like the API, inside one
transaction: a dry run always rolls back, and applying rolls back unless every row is valid, so a
bad file never changes anything stored. Applying valid rows and skipping bad ones was rejected:
half an import is hard to reason about and harder to re-run.

A stored ``CsvImport`` moves checked -> applied (or invalid) through ``csv_import_check`` and
``csv_import_apply``; size, encoding, delimiter and yes/no words follow ``config.csv_files``.
"""

import csv
import io
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from api.models import CsvImport, CsvImportStatus
from api.problems import django_validation_errors
from config.csv_files import CsvFileError, csv_delimiter, csv_upload_text, yes_no
from shipments.services import ORDER_FIELDS, order_upsert
from shops.models import Shop

MAX_ROWS = 5000
# The order columns are exactly the fields the ingestion service accepts.
ORDER_COLUMNS = ORDER_FIELDS
SHIPMENT_COLUMNS = ("tracking_number", "carrier", "direction", "service")
# Files written before consent was split per channel: their one consent column is the email consent.
LEGACY_CONSENT_COLUMN = "marketing_consent"
CONSENT_COLUMNS = ("email_marketing_consent", "sms_marketing_consent")
COLUMNS = ("order_number", *ORDER_COLUMNS, LEGACY_CONSENT_COLUMN, *SHIPMENT_COLUMNS)



class CsvImportNotApplicable(Exception):
    """Only a checked import without errors can be applied, and only once."""


@dataclass
class RowReport:
    """The outcome of one CSV row (line numbers count the header as line 1)."""

    line: int
    order_number: str
    tracking_number: str
    ok: bool
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """The outcome of a whole file: per-row reports, counts, and whether anything was stored."""

    rows: list[RowReport]
    applied: bool
    orders_created: int = 0
    orders_updated: int = 0
    shipments: int = 0

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(row) for row in self.rows]


class _Rollback(Exception):
    pass


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "order_number" not in header:
        raise CsvFileError(f"The header must name an order_number column; known columns: {', '.join(COLUMNS)}.")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise CsvFileError(f"Unknown columns: {', '.join(unknown)}. Known columns: {', '.join(COLUMNS)}.")
    reader.fieldnames = header
    rows = []
    for row in reader:
        if reader.line_num - 1 > MAX_ROWS:
            raise CsvFileError(f"The file has more than {MAX_ROWS} rows; split it.")
        cleaned = {key: (value or "").strip() for key, value in row.items() if key is not None}
        if any(cleaned.values()):
            rows.append((reader.line_num, cleaned))
    return rows


def _order_fields(row: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if row.get(LEGACY_CONSENT_COLUMN) and not row.get("email_marketing_consent"):
        row = {**row, "email_marketing_consent": row[LEGACY_CONSENT_COLUMN]}
    for name in ORDER_COLUMNS:
        value = row.get(name, "")
        if value == "":
            continue
        if name in CONSENT_COLUMNS:
            consent = yes_no(value)
            if consent is None:
                raise ValidationError({name: "Write yes or no (1/0, true/false)."})
            fields[name] = consent
        elif name == "total_amount":
            try:
                fields[name] = Decimal(value.replace(" ", "").replace(",", "."))
            except InvalidOperation as error:
                raise ValidationError({name: "Not a number."}) from error
        elif name == "placed_at":
            parsed_time = parse_datetime(value)
            if parsed_time is None:
                raise ValidationError({name: "Write a date and time like 2026-11-02 09:30."})
            fields[name] = parsed_time if parsed_time.tzinfo else parsed_time.replace(tzinfo=tz)
        elif name == "promised_delivery_date":
            parsed_date = parse_date(value)
            if parsed_date is None:
                raise ValidationError({name: "Write a date like 2026-11-05."})
            fields[name] = parsed_date
        elif name in ("shipping_country", "currency"):
            fields[name] = value.upper()
        else:
            fields[name] = value
    return fields


def _shipment_fields(row: dict[str, str]) -> dict[str, Any] | None:
    if not row.get("tracking_number"):
        return None
    shipment: dict[str, Any] = {"tracking_number": row["tracking_number"]}
    if row.get("carrier"):
        shipment["carrier"] = row["carrier"].lower()
    if row.get("direction"):
        shipment["direction"] = row["direction"].lower()
    if row.get("service"):
        shipment["service"] = row["service"]
    return shipment


def _messages(errors: list[dict[str, str]]) -> list[str]:
    return [f"{error['field']}: {error['message']}" if error["field"] else error["message"] for error in errors]


def _import_order(
    shop: Shop,
    number: str,
    lines: list[tuple[int, dict[str, str]]],
    reports: dict[int, RowReport],
    report: ImportReport,
) -> None:
    tz = ZoneInfo(shop.timezone)
    fields: dict[str, Any] = {}
    shipments: list[dict[str, Any]] = []
    shipment_lines: list[int] = []
    try:
        for line, row in lines:
            for name, value in _order_fields(row, tz).items():
                fields.setdefault(name, value)
            shipment = _shipment_fields(row)
            if shipment is not None:
                shipments.append(shipment)
                shipment_lines.append(line)
    except ValidationError as error:
        for line, _ in lines:
            reports[line].ok = False
            reports[line].messages.extend(_messages(django_validation_errors(error)))
        return
    try:
        with transaction.atomic():
            order, created = order_upsert(shop=shop, number=number, shipments=shipments, **fields)
    except ValidationError as error:
        for pair in django_validation_errors(error):
            index = _shipment_index(pair["field"])
            targets = (
                [shipment_lines[index]]
                if index is not None and index < len(shipment_lines)
                else [line for line, _ in lines]
            )
            for line in targets:
                reports[line].ok = False
                reports[line].messages.append(pair["message"] if index is not None else _messages([pair])[0])
        return
    report.orders_created += int(created)
    report.orders_updated += int(not created)
    by_number = {shipment.tracking_number: shipment for shipment in order.shipments.all()}
    for line, row in lines:
        number_key = "".join(row.get("tracking_number", "").split()).upper()
        shipment_row = by_number.get(number_key)
        if shipment_row is None:
            reports[line].messages.append(f"Order {'created' if created else 'updated'}.")
            continue
        report.shipments += 1
        detail = f"Shipment {shipment_row.carrier} {shipment_row.tracking_number}"
        if shipment_row.carrier_confidence is not None:
            detail += f" (carrier detected, {shipment_row.carrier_confidence:.0%} sure)"
        reports[line].messages.append(detail + ".")


def _shipment_index(field_name: str) -> int | None:
    if field_name.startswith("shipments[") and "]" in field_name:
        try:
            return int(field_name[len("shipments[") : field_name.index("]")])
        except ValueError:
            return None
    return None


def orders_csv_import(*, shop: Shop, text: str, apply: bool) -> ImportReport:
    """Check (and with ``apply``, store) a CSV of orders and shipments for ``shop``; all or nothing.

    Raises ``CsvFileError`` when the file as a whole is unreadable.
    """
    rows = _rows(text)
    if not rows:
        raise CsvFileError("The file has no rows.")
    reports = {
        line: RowReport(
            line=line, order_number=row.get("order_number", ""), tracking_number=row.get("tracking_number", ""), ok=True
        )
        for line, row in rows
    }
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in rows:
        number = row.get("order_number", "")
        if not number:
            reports[line].ok = False
            reports[line].messages.append("order_number: This field is required.")
            continue
        if len(number) > 64:
            reports[line].ok = False
            reports[line].messages.append("order_number: At most 64 characters.")
            continue
        groups.setdefault(number, []).append((line, row))
    report = ImportReport(rows=[], applied=False)
    try:
        with transaction.atomic():
            for number, lines in groups.items():
                _import_order(shop, number, lines, reports, report)
            if not apply or any(not row.ok for row in reports.values()):
                raise _Rollback
            report.applied = True
    except _Rollback:
        pass
    report.rows = [reports[line] for line in sorted(reports)]
    return report


def csv_import_check(*, shop: Shop, upload: IO[bytes], file_name: str, uploaded_by: AbstractBaseUser) -> CsvImport:
    """Dry-run an uploaded CSV for ``shop`` and store it with its report, checked or invalid.

    Raises ``CsvFileError`` (nothing stored) when the file as a whole is unreadable.
    """
    text = csv_upload_text(upload)
    report = orders_csv_import(shop=shop, text=text, apply=False)
    return CsvImport.objects.create(
        shop=shop,
        uploaded_by=uploaded_by,
        file_name=file_name[:255],
        content=text,
        status=CsvImportStatus.INVALID if report.error_count else CsvImportStatus.CHECKED,
        row_count=len(report.rows),
        error_count=report.error_count,
        report=report.as_json(),
    )


def csv_import_apply(*, csv_import_id: int) -> ImportReport:
    """Store a checked import, all or nothing; it becomes applied, or invalid when the data changed since.

    The row is locked, so two clicks on "apply" import once. Raises ``CsvImportNotApplicable`` unless
    the import is checked.
    """
    with transaction.atomic():
        csv_import = CsvImport.objects.select_for_update().select_related("shop").get(pk=csv_import_id)
        if csv_import.status != CsvImportStatus.CHECKED:
            raise CsvImportNotApplicable("Only a checked import without errors can be applied, and only once.")
        report = orders_csv_import(shop=csv_import.shop, text=csv_import.content, apply=True)
        csv_import.report = report.as_json()
        csv_import.error_count = report.error_count
        if report.applied:
            csv_import.status = CsvImportStatus.APPLIED
            csv_import.applied_at = timezone.now()
        else:
            csv_import.status = CsvImportStatus.INVALID
        csv_import.save(update_fields=["report", "error_count", "status", "applied_at"])
    return report
