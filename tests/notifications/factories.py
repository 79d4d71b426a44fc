"""Factories of the notifications app."""

from datetime import UTC, datetime

import factory

from notifications.models import Message, NotificationSettings, StatusTemplate
from tests.factories import ShopFactory, StatusChangeFactory


class NotificationSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationSettings
        django_get_or_create = ("shop",)

    shop = factory.SubFactory(ShopFactory)
    settle_seconds = 0


class StatusTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusTemplate

    shop = factory.SubFactory(ShopFactory)
    status = "out_for_delivery"
    language = "pl"


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    status_change = factory.SubFactory(StatusChangeFactory)
    trigger_kind = "status_change"
    trigger_id = factory.SelfAttribute("status_change.pk")
    shipment = factory.SelfAttribute("status_change.shipment")
    order = factory.SelfAttribute("shipment.order")
    shop = factory.SelfAttribute("shipment.shop")
    to_status = factory.SelfAttribute("status_change.to_status")
    to_email = factory.SelfAttribute("order.customer_email")
    language = "pl"
    send_after = factory.LazyFunction(lambda: datetime(2026, 11, 4, 7, 0, tzinfo=UTC))
