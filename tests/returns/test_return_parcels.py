"""A return parcel is tracked like any other, but never gets the outbound "your parcel" email."""

from datetime import UTC, datetime

import pytest

from notifications import outbox
from notifications.models import Message, MessageStatus
from tests.factories import OrderFactory, ShipmentFactory, StatusChangeFactory

pytestmark = pytest.mark.django_db


def test_a_return_parcels_status_change_sends_no_outbound_email(shop):
    # given a return parcel that moves on
    order = OrderFactory(shop=shop)
    parcel = ShipmentFactory(order=order, direction="return", status="in_transit")
    earlier = datetime(2026, 11, 3, tzinfo=UTC)
    StatusChangeFactory(
        shipment=parcel, from_status="pending", to_status="info_received", occurred_at=earlier, processed_at=earlier
    )
    change = StatusChangeFactory(
        shipment=parcel, from_status="info_received", to_status="in_transit", occurred_at=datetime.now(UTC)
    )

    # when notifications process the change
    due = outbox.status_change_process(status_change_id=change.pk)

    # then nothing is due and the decision is recorded with its reason
    message = Message.objects.get(status_change=change)
    assert due == []
    assert (message.status, message.reason) == (
        MessageStatus.SKIPPED,
        "Return parcels are emailed about by the returns app",
    )
