"""Delivery reports and replies from SMS gateways: authenticated, parsed, recorded once on their message.

Who may speak: the report URL carries a token naming the account (the platform's ``SMS_WEBHOOK_SECRET``,
or one shop's ``webhook_token``); Twilio also signs every request (``X-Twilio-Signature``, HMAC-SHA1 of
the URL and the sorted form fields with the account's auth token). A shop's URL only speaks about that
shop's messages. Reports are recorded through the same service as ESP events
(:func:`notifications.esp_events.message_event_record`): found by the gateway's id (or, for a message
whose hand-over got no answer, by our reference), the recipient must match, an unmatched report
changes nothing. A reply of STOP, or a gateway saying the recipient opted out, opts the number out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from anymail.signals import AnymailTrackingEvent

from notifications.esp_events import message_event_record
from notifications.models import Message, MessageChannel, MessageEvent
from notifications.sms.models import SmsOptOutReason
from notifications.sms.preferences import sms_opt_out_add

logger = logging.getLogger(__name__)

# SMSAPI's numeric report statuses -> our event types (STOP: the recipient opted out at the gateway).
SMSAPI_STATUSES = {
    "401": "bounced",  # NOT_FOUND
    "402": "bounced",  # EXPIRED
    "403": "sent",
    "404": "delivered",
    "405": "bounced",  # UNDELIVERED
    "406": "failed",
    "407": "rejected",
    "408": "unknown",
    "409": "queued",
    "410": "queued",  # ACCEPTED
    "411": "queued",  # RENEWAL
    "412": "unsubscribed",  # STOP
}
TWILIO_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "bounced",
    "failed": "failed",
    "canceled": "failed",
}
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})


@dataclass(frozen=True)
class SmsReport:
    """One delivery report: the gateway's id, our event type, recipient (E.164) and our reference when given."""

    provider_message_id: str
    event_type: str
    raw_status: str
    recipient: str
    occurred_at: datetime | None = None
    reference: str = ""
    error_code: str = ""


def _e164(number: str) -> str:
    digits = "".join(char for char in number if char.isdigit())
    return f"+{digits}" if digits else ""


def twilio_signature_valid(*, auth_token: str, url: str, params: Mapping[str, list[str]], signature: str) -> bool:
    """Whether ``signature`` is Twilio's HMAC-SHA1 of ``url`` and the sorted POST fields under ``auth_token``."""
    if not auth_token or not signature:
        return False
    payload = url + "".join(f"{key}{value}" for key in sorted(params) for value in params[key])
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature)


def smsapi_reports_parse(params: Mapping[str, str]) -> list[SmsReport]:
    """SMSAPI's callback: comma-separated lists of MsgId, status, idx, donedate and to (one report per index)."""
    ids = params.get("MsgId", "").split(",")
    columns = {name: params.get(name, "").split(",") for name in ("status", "idx", "donedate", "to")}
    reports = []
    for index, provider_id in enumerate(ids):
        if not provider_id:
            continue

        def column(name: str, at: int = index) -> str:
            values = columns[name]
            return values[at].strip() if at < len(values) else ""

        raw = column("status")
        done = column("donedate")
        reports.append(
            SmsReport(
                provider_message_id=provider_id.strip(),
                event_type=SMSAPI_STATUSES.get(raw, "unknown"),
                raw_status=raw,
                recipient=_e164(column("to")),
                occurred_at=datetime.fromtimestamp(int(done), tz=UTC) if done.isdigit() else None,
                reference=column("idx"),
            )
        )
    return reports


def twilio_report_parse(params: Mapping[str, str]) -> SmsReport | None:
    """Twilio's status callback (MessageSid, MessageStatus, To, ErrorCode); None when it is not one."""
    sid, raw = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not raw:
        return None
    error = params.get("ErrorCode", "")
    return SmsReport(
        provider_message_id=sid,
        event_type="unsubscribed" if error == "21610" else TWILIO_STATUSES.get(raw, "unknown"),
        raw_status=raw,
        recipient=_e164(params.get("To", "")),
        error_code=error,
    )


def sms_report_record(*, report: SmsReport, esp_name: str, shop_id: int | None) -> MessageEvent | None:
    """Record one delivery report on its SMS once; opt the number out when the gateway says so."""
    metadata = {}
    reference = report.reference.split("-")
    if len(reference) == 3 and reference[0] == "pf":
        metadata = {"shop_id": reference[1], "message_id": reference[2]}
    event = AnymailTrackingEvent(
        event_type=report.event_type,
        timestamp=report.occurred_at,
        event_id=f"{report.provider_message_id}:{report.raw_status}:{report.error_code}",
        message_id=report.provider_message_id,
        recipient=report.recipient,
        metadata=metadata,
        description=f"{esp_name} status {report.raw_status}"
        + (f", error {report.error_code}" if report.error_code else ""),
    )
    recorded = message_event_record(event=event, esp_name=esp_name, shop_id=shop_id)
    if recorded is not None and report.event_type == "unsubscribed":
        sms_opt_out_add(shop_id=recorded.message.shop_id, phone=report.recipient, reason=SmsOptOutReason.GATEWAY)
    return recorded


def sms_reply_record(*, sender: str, text: str, shop_id: int | None) -> list[int]:
    """A customer's reply: STOP (or a synonym) opts the number out of the shop(s) that texted it; their ids."""
    words = text.strip().upper().split()
    phone = _e164(sender)
    if not words or words[0] not in STOP_WORDS or not phone:
        return []
    texted = Message.objects.filter(channel=MessageChannel.SMS, to_phone=phone)
    if shop_id is not None:
        texted = texted.filter(shop_id=shop_id)
    shop_ids = sorted(set(texted.values_list("shop_id", flat=True)))
    for texted_shop in shop_ids:
        sms_opt_out_add(shop_id=texted_shop, phone=phone, reason=SmsOptOutReason.STOP)
    logger.info("STOP reply opted a number out of %d shop(s)", len(shop_ids))
    return shop_ids
