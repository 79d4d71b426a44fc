"""A customer's whole footprint across every app, and a scan of every column of every table for a string."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection

from api.models import CsvImport, IdempotencyRecord, WebhookEvent
from campaigns.models import CampaignDispatch, Click, DiscountAllocation
from feedback.models import CarrierRating, FeedbackAnswer, FeedbackResponse
from notifications.models import MessageEvent, OutboxEmail, Suppression
from notifications.sms.models import OutboxSms, SmsOptOut
from notifications.sms.preferences import preferences_link_for
from shipments.models import Order
from shops.models import Shop
from tests.campaigns.factories import CampaignFactory, DiscountPoolFactory
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, StatusChangeFactory, TrackingEventFactory
from tests.notifications.factories import MessageFactory
from tracking_portal.models import PageActivity

AT = datetime(2026, 11, 4, 7, 0, tzinfo=UTC)


@dataclass
class Footprint:
    order: Order
    email: str
    name: str
    phone: str


def customer_footprint(shop: Shop, *, email: str, name: str, phone: str, at: datetime = AT) -> Footprint:
    """One order of ``email`` in ``shop`` with a row in every model that keeps personal data."""
    order = OrderFactory(shop=shop, customer_email=email, customer_name=name, customer_phone=phone)
    OrderItemFactory(order=order)
    shipment = ShipmentFactory(
        order=order, status="delivered", proof_of_delivery={"signed_by": name}, last_event_at=at, delivered_at=at
    )
    TrackingEventFactory(shipment=shipment, text=f"Doręczono do rąk własnych: {name}", occurred_at=at)
    status_change = StatusChangeFactory(shipment=shipment, to_status="delivered", occurred_at=at)
    message = MessageFactory(
        status_change=status_change,
        to_email=email.lower(),
        status="sent",
        sent_at=at,
        opened_at=at,
        subject=f"{name}, your parcel is here",
        text_body=f"Hello {name}, we wrote to {email} about your parcel to {order.shipping_city}.",
        html_body=f"<p>Hello {name}</p><p>{phone}</p>",
        reason=f"first try: 451 {email} greylisted",
    )
    MessageEvent.objects.create(
        message=message,
        esp_name="postmark",
        event_id=f"evt-{message.pk}",
        event_type="opened",
        occurred_at=at,
        recipient=email,
        description=f"opened by {email}",
    )
    Suppression.objects.create(shop=shop, email=email, reason="unsubscribed")
    OutboxEmail.objects.create(
        shop=shop,
        esp_message_id=f"outbox-{message.pk}",
        from_email="hello@shop.example",
        to=[email],
        subject=f"{name}, your parcel is here",
        text_body=f"Hello {name}",
    )
    # The SMS channel: the text (number in E.164), the outbox's copy, an opt-out and the preferences link.
    e164 = "+" + "".join(char for char in phone if char.isdigit())
    sms = MessageFactory(
        status_change=status_change,
        channel="sms",
        to_email="",
        to_phone=e164,
        status="sent",
        sent_at=at,
        text_body=f"Shop: {name}, your parcel is here",
    )
    MessageEvent.objects.create(
        message=sms, esp_name="SMSAPI", event_id=f"sms-{sms.pk}", event_type="delivered", occurred_at=at, recipient=e164
    )
    OutboxSms.objects.create(
        shop=shop, provider_message_id=f"sms-{sms.pk}", to=e164, body=f"{name}: parcel", encoding="GSM-7", segments=1
    )
    SmsOptOut.objects.create(shop=shop, phone=e164, reason="stop")
    preferences_link_for(order=order)
    campaign = CampaignFactory(shop=shop)
    CampaignDispatch.objects.create(
        shop=shop,
        campaign=campaign,
        order=order,
        status_change=status_change,
        variant="A",
        customer_email=email.lower(),
        due_at=at,
        dispatched_at=at,
    )
    pool = DiscountPoolFactory(shop=shop, kind="shared", shared_code="THANKS10")
    DiscountAllocation.objects.create(pool=pool, order=order, code="THANKS10", allocated_at=at)
    Click.objects.create(shop=shop, order=order, source="page", target_url="https://shop.example/p/mug")
    PageActivity.objects.create(shop=shop, order=order, kind="view", count=3, first_at=at, last_at=at)
    response = FeedbackResponse.objects.create(
        shop=shop,
        order=order,
        scale="nps",
        score=9,
        segment="promoter",
        comment=f"Thanks, {name} here, call {phone}",
        carrier=shipment.carrier,
        created_at=at,
        updated_at=at,
    )
    FeedbackAnswer.objects.create(response=response, question="courier", thumbs_up=True, answered_at=at)
    CarrierRating.objects.create(
        shop=shop, shipment=shipment, carrier=shipment.carrier, score=5, created_at=at, updated_at=at
    )
    IdempotencyRecord.objects.create(
        shop=shop,
        key=f"key-{order.pk}",
        request_hash="0" * 64,
        response_status=201,
        response_body={"number": order.number, "customer_email": email, "customer_name": name},
    )
    WebhookEvent.objects.create(
        shop=shop,
        event_type="message.bounced",
        dedupe_key=f"message_bounced:{message.pk}",
        status_change=status_change,
        payload={"type": "message.bounced", "data": {"to_email": email, "order": {"number": order.number}}},
    )
    CsvImport.objects.create(
        shop=shop,
        file_name=f"orders-{order.pk}.csv",
        content=f"number,customer_email,customer_name\n{order.number},{email},{name}\n",
        status="applied",
        row_count=1,
        report=[{"row": 1, "message": f"imported {email}"}],
    )
    return Footprint(order=order, email=email, name=name, phone=phone)


def tables_containing(needle: str) -> dict[str, list[str]]:
    """Every (table, columns) whose text holds ``needle``, case-insensitively: every column of every table."""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted_table = connection.ops.quote_name(table)
            for column in connection.introspection.get_table_description(cursor, table):
                quoted = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quoted_table} WHERE LOWER(CAST({quoted} AS TEXT)) LIKE %s",
                    [f"%{needle.lower()}%"],
                )
                if cursor.fetchone()[0]:
                    found.setdefault(table, []).append(column.name)
    return found
