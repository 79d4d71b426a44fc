"""Webhook events of returns that the publish after commit lost (broker down): found and emitted by the sweep.

Returns publish ``return.<state>`` to ``api.emit_webhook_event`` by task name; the event's dedupe key is
``return:<id>:<state>``, so a transition whose event row is missing was never emitted, and emitting it
now is safe even if the lost publish arrives later.
"""

from datetime import timedelta

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from api.models import WebhookEvent
from api.services import webhook_event_emit
from returns.lifecycle import return_payload
from returns.models import ReturnTransition


def return_webhooks_sweep(*, since: timedelta, grace: timedelta, limit: int) -> int:
    """Emit the events of recent return transitions that have none yet; how many were emitted."""
    now = timezone.now()
    key = Concat(
        Value("return:"),
        Cast(OuterRef("return_request_id"), CharField()),
        Value(":"),
        OuterRef("to_state"),
        output_field=CharField(),
    )
    emitted = WebhookEvent.objects.filter(shop_id=OuterRef("return_request__shop_id"), dedupe_key=key)
    missed = (
        ReturnTransition.objects.filter(occurred_at__gte=now - since, occurred_at__lte=now - grace)
        .exclude(Exists(emitted))
        .select_related("return_request__order", "return_request__shop")
        .order_by("occurred_at", "pk")[:limit]
    )
    count = 0
    for transition in missed:
        return_request = transition.return_request
        webhook_event_emit(
            shop=return_request.shop,
            event_type=f"return.{transition.to_state}",
            data={**return_payload(return_request=return_request), "state": transition.to_state},
            dedupe_key=f"return:{return_request.pk}:{transition.to_state}",
            occurred_at=transition.occurred_at,
        )
        count += 1
    return count
