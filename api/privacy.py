"""Personal data the API keeps: stored responses, webhook payloads and uploaded CSV files of orders.

They hold copies of customers' details, so the customer's email, phone and name are scrubbed out of
them on erasure; a CSV import holds many customers, so an export lists the files a customer was in,
not the files' contents. Retention deletes stored responses and CSV uploads older than the shop's
retention period.
"""

from api.models import CsvImport, IdempotencyRecord, WebhookEvent
from shops.privacy import PersonalData, register

register(
    # Purged a day after the request anyway (api.purge_idempotency_records); retention is the backstop.
    PersonalData(
        model=IdempotencyRecord,
        email_lookups=("response_body__icontains",),
        scrub=("response_body",),
        expires_field="created_at",
    ),
    PersonalData(
        model=WebhookEvent,
        order_path="status_change__shipment__order",
        email_lookups=("payload__icontains",),
        scrub=("payload",),
    ),
    PersonalData(
        model=CsvImport,
        email_lookups=("content__icontains",),
        scrub=("content", "report"),
        expires_field="created_at",
        export_fields=("id", "file_name", "status", "row_count", "created_at", "applied_at"),
    ),
)
