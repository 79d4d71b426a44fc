"""An anymail backend that 'sends' by storing each email in the database (the embedded demo's ESP).

Built like anymail's own ``test`` backend: anymail normalizes the message (addresses, metadata,
tags, headers, alternatives), the payload collects it, and ``post_to_esp`` stores an
``OutboxEmail`` row and answers with an ESP message id, so the rest of the pipeline cannot tell it
from a real ESP. Stored emails are viewable in the admin (Notifications → Stored emails).
"""

import uuid
from typing import Any

from anymail.backends.base import AnymailBaseBackend, BasePayload
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from django.db import IntegrityError, transaction

from notifications.lookup import LookupOutcome, LookupResult
from notifications.models import Message, OutboxEmail


class OutboxEmailBackend(AnymailBaseBackend):
    """Stores emails as ``OutboxEmail`` rows; idempotent by the ``message_id`` metadata."""

    esp_name = "Outbox"
    # A second hand-over of the same message stores nothing new, so a lost worker may safely retry.
    idempotent = True

    def lookup(self, message: Message) -> LookupResult:
        """The stored email of ``message`` (by its idempotency key), if it was stored."""
        stored = OutboxEmail.objects.filter(idempotency_key=str(message.pk)).first()
        if stored is None:
            return LookupResult(outcome=LookupOutcome.ABSENT, provider=self.esp_name, detail="Outbox: nothing stored")
        return LookupResult(
            outcome=LookupOutcome.FOUND,
            provider=self.esp_name,
            detail=f"Outbox: stored as {stored.esp_message_id}",
            provider_message_id=stored.esp_message_id,
        )

    def build_message_payload(self, message: Any, defaults: dict) -> "OutboxPayload":
        return OutboxPayload(message=message, defaults=defaults, backend=self)

    def post_to_esp(self, payload: "OutboxPayload", message: Any) -> dict[str, Any]:
        fields = payload.fields
        metadata = fields.get("metadata", {})
        key = str(metadata["message_id"]) if metadata.get("message_id") not in (None, "") else None
        shop_id = metadata.get("shop_id")
        try:
            with transaction.atomic():
                stored = OutboxEmail.objects.create(
                    shop_id=int(shop_id) if shop_id not in (None, "") else None,
                    esp_message_id=str(uuid.uuid4()),
                    idempotency_key=key,
                    **{name: value for name, value in fields.items() if name != "shop_id"},
                )
        except IntegrityError:
            stored = OutboxEmail.objects.filter(idempotency_key=key).first() if key else None
            if stored is None:
                raise
        return {"message_id": stored.esp_message_id, "recipients": payload.recipient_emails}

    def parse_recipient_status(self, response: dict[str, Any], payload: "OutboxPayload", message: Any) -> dict:
        try:
            status = AnymailRecipientStatus(message_id=response["message_id"], status="sent")
            return {email: status for email in response["recipients"]}
        except KeyError as error:
            raise AnymailAPIError("Unparsable outbox response") from error


class OutboxPayload(BasePayload):
    """Collects what anymail normalized into the fields of an ``OutboxEmail``."""

    def init_payload(self) -> None:
        self.fields: dict[str, Any] = {"to": [], "cc": [], "bcc": [], "reply_to": [], "headers": {}, "tags": []}
        self.recipient_emails: list[str] = []

    def set_from_email(self, email: Any) -> None:
        self.fields["from_email"] = email.address

    def set_to(self, emails: list) -> None:
        self.fields["to"] = [email.address for email in emails]
        self.recipient_emails += [email.addr_spec for email in emails]

    def set_cc(self, emails: list) -> None:
        self.fields["cc"] = [email.address for email in emails]
        self.recipient_emails += [email.addr_spec for email in emails]

    def set_bcc(self, emails: list) -> None:
        self.fields["bcc"] = [email.address for email in emails]
        self.recipient_emails += [email.addr_spec for email in emails]

    def set_subject(self, subject: str) -> None:
        self.fields["subject"] = subject or ""

    def set_reply_to(self, emails: list) -> None:
        self.fields["reply_to"] = [email.address for email in emails]

    def set_extra_headers(self, headers: dict) -> None:
        self.fields["headers"] = {str(name): str(value) for name, value in headers.items()}

    def set_text_body(self, body: str) -> None:
        self.fields["text_body"] = body or ""

    def set_html_body(self, body: str) -> None:
        self.fields["html_body"] = body or ""

    def add_alternative(self, content: str, mimetype: str) -> None:
        self.unsupported_feature(f"alternative part with type '{mimetype}'")

    def add_attachment(self, attachment: Any) -> None:
        self.unsupported_feature("attachments")

    def set_metadata(self, metadata: dict) -> None:
        self.fields["metadata"] = {str(name): value for name, value in metadata.items()}

    def set_tags(self, tags: list) -> None:
        self.fields["tags"] = list(tags)

    def set_track_clicks(self, track_clicks: bool) -> None:
        """Nothing is tracked in the database outbox."""

    def set_track_opens(self, track_opens: bool) -> None:
        """Nothing is tracked in the database outbox."""

    def set_esp_extra(self, extra: dict) -> None:
        """No ESP-specific options apply to the database outbox."""
