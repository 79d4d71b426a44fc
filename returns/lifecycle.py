"""The return lifecycle: which state may follow which, and what entering a state causes (email, webhook).

The table is the whole state machine; ``return_transition`` is the only writer of ``state``. Entering a
state writes one ``ReturnTransition`` row (unique per state), asks notifications for the customer's email
of that step and publishes the step's webhook event to api by task name (api sits above returns).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from config.celery import publish_on_commit
from config.formats import moment
from notifications.models import MessageChannel, MessageStatus
from notifications.outbox import message_request
from notifications.rendering import customer_timezone
from returns.links import return_label_link, return_page_url
from returns.models import ReturnRequest, ReturnState, ReturnTransition
from returns.rules import return_settings_for
from returns.texts import distance_text, money_text

TRANSITIONS: dict[str, frozenset[str]] = {
    ReturnState.REQUESTED: frozenset({ReturnState.APPROVED, ReturnState.REJECTED}),
    ReturnState.APPROVED: frozenset({ReturnState.LABEL_ISSUED, ReturnState.RECEIVED}),
    ReturnState.REJECTED: frozenset({ReturnState.CLOSED}),
    ReturnState.LABEL_ISSUED: frozenset({ReturnState.IN_TRANSIT, ReturnState.RECEIVED}),
    ReturnState.IN_TRANSIT: frozenset({ReturnState.RECEIVED}),
    ReturnState.RECEIVED: frozenset({ReturnState.RESOLVED}),
    ReturnState.RESOLVED: frozenset({ReturnState.CLOSED}),
    ReturnState.CLOSED: frozenset(),
}
WEBHOOK_TASK = "api.emit_webhook_event"


class TransitionError(Exception):
    """The return cannot move to the asked state from the one it is in."""


def return_transition(
    *, return_request: ReturnRequest, to_state: str, note: str = "", now: datetime | None = None
) -> ReturnRequest:
    """Move ``return_request`` to ``to_state`` (locked, checked against the table), then email and publish once."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().select_related("order", "shop").get(pk=return_request.pk)
        if to_state not in TRANSITIONS[locked.state]:
            raise TransitionError(f"A return that is {locked.state} cannot become {to_state}.")
        from_state = locked.state
        locked.state = to_state
        locked.state_changed_at = now
        locked.save(update_fields=["state", "state_changed_at", "updated_at"])
        ReturnTransition.objects.create(
            return_request=locked, from_state=from_state, to_state=to_state, note=note, occurred_at=now
        )
        return_step_announce(return_request=locked, state=to_state, now=now)
    return locked


def return_step_announce(*, return_request: ReturnRequest, state: str, now: datetime) -> None:
    """The customer's email of ``state`` (exactly once per return and state) and its webhook event."""
    order = return_request.order
    email = order.customer_email.strip()
    message_request(
        shop=return_request.shop,
        trigger_kind=f"return_{state}",
        trigger_id=return_request.pk,
        channel=MessageChannel.EMAIL,
        recipient=email,
        template=f"return_{state}",
        language=order.effective_locale,
        context=return_email_context(return_request=return_request),
        order=order,
        status=MessageStatus.QUEUED if email else MessageStatus.SKIPPED,
        reason="" if email else "The order has no customer email",
        now=now,
    )
    publish_on_commit(
        WEBHOOK_TASK,
        shop_id=return_request.shop_id,
        event_type=f"return.{state}",
        data=return_payload(return_request=return_request),
        dedupe_key=f"return:{return_request.pk}:{state}",
    )


def return_email_context(*, return_request: ReturnRequest) -> dict:
    """What a return email shows, as JSON the message row stores."""
    return {
        "customer_name": return_request.order.customer_name,
        "order_number": return_request.order.number,
        "return_id": return_request.pk,
        "items": [[item.name, item.quantity] for item in return_request.items.order_by("pk")],
        "method": return_request.method,
        "return_code": return_request.return_code,
        "label_url": return_label_link(return_request=return_request),
        "code_expires_text": _expiry_text(return_request=return_request),
        "return_address": return_settings_for(shop_id=return_request.shop_id).return_address,
        "rejection_reason": return_request.rejection_reason,
        "resolution": return_request.resolution,
        "resolution_note": return_request.resolution_note,
        "store_credit_code": return_request.store_credit_code,
        "store_credit_amount": money_text(
            return_request.store_credit_amount, return_request.currency, language=return_request.order.effective_locale
        ),
        "exchanges": [
            [item.name, item.exchange_name] for item in return_request.items.order_by("pk") if item.exchange_name
        ],
        "return_url": return_page_url(token=return_request.public_token),
        "dropoff_points": [
            {
                **point,
                "distance": distance_text(point.get("distance_m"), language=return_request.order.effective_locale),
            }
            for point in return_request.dropoff_points
        ],
    }


def _expiry_text(*, return_request: ReturnRequest) -> str:
    if return_request.code_expires_at is None:
        return ""
    order = return_request.order
    zone = ZoneInfo(customer_timezone(country=order.shipping_country, shop_timezone=return_request.shop.timezone))
    return moment(return_request.code_expires_at, language=order.effective_locale, zone=zone)


def return_payload(*, return_request: ReturnRequest) -> dict:
    """The webhook and API view of a return."""
    return {
        "id": return_request.pk,
        "order_number": return_request.order.number,
        "state": return_request.state,
        "resolution": return_request.resolution,
        "method": return_request.method,
        "fee": str(return_request.fee),
        "currency": return_request.currency,
        "deadline": return_request.deadline.isoformat(),
        "rejection_reason": return_request.rejection_reason,
        "resolution_note": return_request.resolution_note,
        "store_credit_code": return_request.store_credit_code,
        "store_credit_amount": str(return_request.store_credit_amount)
        if return_request.store_credit_amount is not None
        else None,
        "return_code": return_request.return_code,
        "label_url": return_label_link(return_request=return_request),
        "return_tracking_number": return_request.return_tracking_number,
        "code_expires_at": return_request.code_expires_at.isoformat() if return_request.code_expires_at else None,
        "items": [
            {
                "sku": item.sku,
                "name": item.name,
                "quantity": item.quantity,
                "received_quantity": item.received_quantity,
                "reason": item.reason.code,
                "exchange_sku": item.exchange_sku,
                "exchange_name": item.exchange_name,
            }
            for item in return_request.items.select_related("reason").order_by("pk")
        ],
        "created_at": return_request.created_at.isoformat(),
    }
