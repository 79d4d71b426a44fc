"""Creating a return checks every rule and stores nothing half-way; the lifecycle emails and publishes once."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from notifications.models import Message
from returns.lifecycle import TransitionError
from returns.models import ReturnItem, ReturnRequest, ReturnRule, ReturnState, ReturnTransition
from returns.rules import return_deadline
from returns.services import (
    ReturnLine,
    return_approve,
    return_close,
    return_receive,
    return_reject,
    return_request_create,
    return_resolve,
)
from tests.returns.conftest import NOW

pytestmark = pytest.mark.django_db


def jpeg_with_exif(size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def create(order, lines, **overrides):
    fields = {"resolution": "refund", "method": "self_send", "now": NOW}
    return return_request_create(order=order, lines=lines, **{**fields, **overrides})


def test_a_valid_request_is_stored_whole_and_announced_once(
    delivered_order, return_setup, published, django_capture_on_commit_callbacks
):
    # given a delivered order inside its window
    order, mug = delivered_order["order"], delivered_order["mug"]

    # when the customer returns two mugs because of the size
    with django_capture_on_commit_callbacks(execute=True):
        return_request = create(
            order, [ReturnLine(order_item_id=mug.pk, quantity=2, reason_id=return_setup["size"].pk)]
        )

    # then the request, its item, its first step, one email and one webhook exist
    assert return_request.state == ReturnState.REQUESTED
    assert len(return_request.public_token) >= 32
    assert list(return_request.items.values_list("name", "quantity")) == [("Mug", 2)]
    assert list(ReturnTransition.objects.values_list("from_state", "to_state")) == [("", "requested")]
    message = Message.objects.get(trigger_kind="return_requested")
    assert (message.template, message.to_email, message.trigger_id) == (
        "return_requested",
        order.customer_email,
        return_request.pk,
    )
    webhooks = [kwargs for name, kwargs in published if name == "api.emit_webhook_event"]
    assert [(hook["event_type"], hook["dedupe_key"]) for hook in webhooks] == [
        ("return.requested", f"return:{return_request.pk}:requested")
    ]
    assert webhooks[0]["data"]["items"] == [
        {
            "sku": "MUG",
            "name": "Mug",
            "quantity": 2,
            "received_quantity": 0,
            "reason": "size",
            "exchange_sku": "",
            "exchange_name": "",
        }
    ]


def test_the_deadline_moves_off_a_non_working_day(delivered_order, return_setup):
    # given delivery on Tuesday 24 November and a window of 12 days: Sunday 6 December
    rule = return_setup["rule"]
    rule.window_days = 12

    # then the deadline is the next working day, Monday 7 December
    assert return_deadline(order=delivered_order["order"], rule=rule).isoformat() == "2026-12-07"


def test_an_expired_window_refuses_and_stores_nothing(
    delivered_order, return_setup, published, django_capture_on_commit_callbacks
):
    order, mug = delivered_order["order"], delivered_order["mug"]
    late = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)

    with pytest.raises(ValidationError) as error, django_capture_on_commit_callbacks(execute=True):
        create(order, [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)], now=late)

    assert "closed" in error.value.message_dict["order"][0]
    assert ReturnRequest.objects.count() == 0
    assert Message.objects.count() == 0
    assert published == []


def test_a_window_of_zero_days_means_no_returns(delivered_order, return_setup):
    ReturnRule.objects.filter(pk=return_setup["rule"].pk).update(window_days=0)
    mug = delivered_order["mug"]

    with pytest.raises(ValidationError) as error:
        create(
            delivered_order["order"], [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)]
        )

    assert error.value.message_dict == {"order": ["This shop does not accept returns for this order."]}
    assert ReturnRequest.objects.count() == 0


def test_excluded_and_discounted_items_and_too_many_are_refused_together(
    delivered_order, return_setup, published, django_capture_on_commit_callbacks
):
    order = delivered_order["order"]
    size = return_setup["size"].pk
    lines = [
        ReturnLine(order_item_id=delivered_order["brush"].pk, quantity=1, reason_id=size),
        ReturnLine(order_item_id=delivered_order["sale"].pk, quantity=1, reason_id=size),
        ReturnLine(order_item_id=delivered_order["mug"].pk, quantity=4, reason_id=size),
    ]

    with pytest.raises(ValidationError) as error, django_capture_on_commit_callbacks(execute=True):
        create(order, lines)

    assert error.value.message_dict == {
        "items[0]": ["This item cannot be returned."],
        "items[1]": ["Discounted items cannot be returned."],
        "items[2].quantity": ["You can return at most 3 of this item."],
    }
    assert ReturnRequest.objects.count() == 0
    assert ReturnItem.objects.count() == 0
    assert published == []


def test_quantity_counts_what_earlier_returns_took(delivered_order, return_setup):
    order, mug, size = delivered_order["order"], delivered_order["mug"], return_setup["size"].pk
    create(order, [ReturnLine(order_item_id=mug.pk, quantity=2, reason_id=size)])

    with pytest.raises(ValidationError) as error:
        create(order, [ReturnLine(order_item_id=mug.pk, quantity=2, reason_id=size)])

    assert error.value.message_dict == {"items[0].quantity": ["You can return at most 1 of this item."]}
    second = create(order, [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=size)])
    assert second.items.get().quantity == 1


def test_a_required_photo_is_asked_for(delivered_order, return_setup):
    mug = delivered_order["mug"]

    with pytest.raises(ValidationError) as error:
        create(
            delivered_order["order"],
            [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["damaged"].pk)],
        )

    assert error.value.message_dict == {"items[0].photo": ["This reason needs a photo of the item."]}
    assert ReturnRequest.objects.count() == 0


def test_a_photo_too_big_is_refused(delivered_order, return_setup, settings):
    settings.RETURN_PHOTO_MAX_BYTES = 100
    mug = delivered_order["mug"]
    line = ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["damaged"].pk, photo=jpeg_with_exif())

    with pytest.raises(ValidationError) as error:
        create(delivered_order["order"], [line])

    assert error.value.message_dict == {"items[0].photo": ["The photo is too big: at most 0 MB."]}
    assert ReturnRequest.objects.count() == 0


def test_a_file_that_is_not_an_image_is_refused(delivered_order, return_setup):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    line = ReturnLine(
        order_item_id=delivered_order["mug"].pk, quantity=1, reason_id=return_setup["damaged"].pk, photo=fake
    )

    with pytest.raises(ValidationError) as error:
        create(delivered_order["order"], [line])

    assert error.value.message_dict == {"items[0].photo": ["Send a JPEG, PNG or WebP photo."]}


def test_a_photo_is_stored_without_its_exif(delivered_order, return_setup, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    line = ReturnLine(
        order_item_id=delivered_order["mug"].pk,
        quantity=1,
        reason_id=return_setup["damaged"].pk,
        photo=jpeg_with_exif(),
    )

    return_request = create(delivered_order["order"], [line])

    stored = return_request.items.get().photo
    with Image.open(stored.path) as image:
        assert image.size == (40, 30)
        assert dict(image.getexif()) == {}
    assert stored.name.startswith("returns/photos/") and "photo" not in stored.name.rsplit("/", 1)[1]


def test_auto_approve_with_packeta_issues_the_shops_code(
    delivered_order, return_setup, published, django_capture_on_commit_callbacks
):
    ReturnRule.objects.filter(pk=return_setup["rule"].pk).update(auto_approve=True)
    mug = delivered_order["mug"]

    with django_capture_on_commit_callbacks(execute=True):
        return_request = create(
            delivered_order["order"],
            [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
            method="packeta_code",
        )

    assert return_request.state == ReturnState.LABEL_ISSUED
    assert return_request.return_code == "PKT-RET-77"
    assert sorted(Message.objects.values_list("trigger_kind", flat=True)) == [
        "return_approved",
        "return_label_issued",
        "return_requested",
    ]
    assert [kwargs["event_type"] for name, kwargs in published if name == "api.emit_webhook_event"] == [
        "return.requested",
        "return.approved",
        "return.label_issued",
    ]


def test_approving_an_inpost_return_publishes_the_issue_task(
    delivered_order, return_setup, published, django_capture_on_commit_callbacks
):
    mug = delivered_order["mug"]
    return_request = create(
        delivered_order["order"],
        [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        method="inpost_code",
    )

    with django_capture_on_commit_callbacks(execute=True):
        approved = return_approve(return_request=return_request, now=NOW)

    assert approved.state == ReturnState.APPROVED
    assert ("returns.issue_code", {"return_request_id": return_request.pk}) in published


def test_rejecting_needs_a_reason_and_is_told_once(delivered_order, return_setup):
    mug = delivered_order["mug"]
    return_request = create(
        delivered_order["order"], [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)]
    )

    with pytest.raises(ValidationError):
        return_reject(return_request=return_request, reason="  ")
    assert ReturnRequest.objects.get().state == ReturnState.REQUESTED

    rejected = return_reject(return_request=return_request, reason="Used item", now=NOW)
    assert (rejected.state, rejected.rejection_reason) == (ReturnState.REJECTED, "Used item")
    with pytest.raises(TransitionError):
        return_approve(return_request=rejected, now=NOW)
    assert Message.objects.filter(trigger_kind="return_rejected").count() == 1
    assert Message.objects.filter(trigger_kind="return_approved").count() == 0


def test_a_rejected_return_gives_its_quantity_back(delivered_order, return_setup):
    order, mug, size = delivered_order["order"], delivered_order["mug"], return_setup["size"].pk
    first = create(order, [ReturnLine(order_item_id=mug.pk, quantity=3, reason_id=size)])
    return_reject(return_request=first, reason="Changed mind too late", now=NOW)

    second = create(order, [ReturnLine(order_item_id=mug.pk, quantity=3, reason_id=size)])

    assert second.items.get().quantity == 3


def test_receive_resolve_and_close_self_sent_return(delivered_order, return_setup):
    mug = delivered_order["mug"]
    return_request = create(
        delivered_order["order"], [ReturnLine(order_item_id=mug.pk, quantity=2, reason_id=return_setup["size"].pk)]
    )
    return_approve(return_request=return_request, now=NOW)
    item = return_request.items.get()

    with pytest.raises(ValidationError):
        return_receive(return_request=return_request, quantities={item.pk: 3})
    received = return_receive(return_request=return_request, quantities={item.pk: 1}, now=NOW)
    resolved = return_resolve(return_request=received, note="Refund 49.00 PLN, ref R-1", now=NOW)
    closed = return_close(return_request=resolved, now=NOW)

    assert item.__class__.objects.get(pk=item.pk).received_quantity == 1
    assert (closed.state, closed.resolution_note) == (ReturnState.CLOSED, "Refund 49.00 PLN, ref R-1")
    assert list(ReturnTransition.objects.values_list("to_state", flat=True)) == [
        "requested",
        "approved",
        "received",
        "resolved",
        "closed",
    ]


def test_resolving_before_receiving_is_refused(delivered_order, return_setup):
    mug = delivered_order["mug"]
    return_request = create(
        delivered_order["order"], [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)]
    )

    with pytest.raises(TransitionError):
        return_resolve(return_request=return_request, now=NOW)

    assert ReturnRequest.objects.get().state == ReturnState.REQUESTED


def test_store_credit_is_a_unique_code_from_the_shops_pool(delivered_order, return_setup):
    from campaigns.models import DiscountCode, DiscountPool
    from returns.models import ReturnSettings

    pool = DiscountPool.objects.create(shop=delivered_order["order"].shop, name="Store credit")
    DiscountCode.objects.create(pool=pool, code="CREDIT-1")
    ReturnSettings.objects.filter(shop=pool.shop).update(store_credit_pool=pool)
    mug = delivered_order["mug"]
    return_request = create(
        delivered_order["order"],
        [ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="store_credit",
    )
    return_approve(return_request=return_request, now=NOW)
    return_receive(return_request=return_request, now=NOW)

    with time_machine.travel(NOW, tick=False):
        resolved = return_resolve(return_request=return_request, now=NOW)

    assert resolved.store_credit_code == "CREDIT-1"
    assert Message.objects.get(trigger_kind="return_resolved").context["store_credit_code"] == "CREDIT-1"


def test_a_destination_countrys_rule_wins_over_the_any_country_rule(delivered_order, return_setup):
    from decimal import Decimal

    ReturnRule.objects.create(shop=return_setup["rule"].shop, destination_country="de", window_days=30, fee="9.99")
    order = delivered_order["order"]
    order.shipping_country = "DE"
    order.save()

    return_request = create(
        order, [ReturnLine(order_item_id=delivered_order["mug"].pk, quantity=1, reason_id=return_setup["size"].pk)]
    )

    # 30 days after 24 November is Christmas Eve; 24-26 December are Polish holidays and the 27th a Sunday.
    assert return_request.fee == Decimal("9.99")
    assert return_request.deadline.isoformat() == "2026-12-28"


def test_an_undelivered_order_cannot_be_returned_under_a_delivery_window(shop, return_setup, published):
    from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory

    order = OrderFactory(shop=shop)
    item = OrderItemFactory(order=order)
    ShipmentFactory(order=order, status="in_transit")

    with pytest.raises(ValidationError) as error:
        create(order, [ReturnLine(order_item_id=item.pk, quantity=1, reason_id=return_setup["size"].pk)])

    assert error.value.message_dict == {"order": ["Returns open once the order has been delivered."]}
    assert ReturnRequest.objects.count() == 0
