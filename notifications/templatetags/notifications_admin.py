"""Admin template tags of notifications: the count of messages of unknown outcome on the app's index page."""

from django import template
from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Message
from notifications.selectors import unknown_message_counts

register = template.Library()


@register.simple_tag
def message_reconciliation_counts(request: HttpRequest) -> dict[str, int]:
    """Unknown, waiting-for-a-person and reconciled messages in the shops the user may see (the message admin's scope)."""
    model_admin = admin.site.get_model_admin(Message)
    return unknown_message_counts(shop_ids=model_admin.shop_ids_for(request, "view"))
