"""anymail's tracking signal → our service (anymail offers its webhooks only as a signal)."""

from typing import Any

from anymail.signals import AnymailTrackingEvent

from notifications.esp_events import message_event_record


def record_esp_event(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Hand every ESP tracking event to ``message_event_record``."""
    message_event_record(event=event, esp_name=esp_name)
