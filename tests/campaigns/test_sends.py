"""Which campaign emails a status change triggers; delayed sends; late parcels; the due beat task."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from campaigns.dispatch import campaign_dispatches_claim, campaign_dispatches_release
from campaigns.models import CampaignDispatch
from campaigns.placements import CampaignSend
from campaigns.selectors import variant_for_order
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.factories import OrderFactory, OrderItemFactory, ShipmentFactory, StatusChangeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _change(shop, to_status="delivered", reason="", **order_fields):
    order = OrderFactory(shop=shop, **order_fields)
    shipment = ShipmentFactory(order=order, status=to_status)
    return StatusChangeFactory(shipment=shipment, to_status=to_status, reason=reason, occurred_at=NOW)


def test_matching_campaign_is_sent_with_its_deterministic_variant(shop):
    campaign = CampaignFactory(shop=shop, trigger_status="delivered", variants="A:50, B:50")
    change = _change(shop)

    sends = campaign_dispatches_claim(status_change=change)

    variant = variant_for_order(campaign=campaign, order_id=change.shipment.order_id)
    assert sends == [CampaignSend(campaign_id=campaign.pk, variant=variant, send_after=None)]
    dispatch = CampaignDispatch.objects.get()
    assert (dispatch.immediate, dispatch.dispatched_at, dispatch.variant) == (True, NOW, variant)


def test_a_retry_returns_the_same_sends_and_stores_nothing_new(shop):
    CampaignFactory(shop=shop, trigger_status="delivered")
    change = _change(shop)
    first = campaign_dispatches_claim(status_change=change)

    again = campaign_dispatches_claim(status_change=change)

    assert again == first
    assert CampaignDispatch.objects.count() == 1


def test_other_status_draft_paused_or_outside_window_sends_nothing(shop):
    CampaignFactory(shop=shop, trigger_status="out_for_delivery")
    CampaignFactory(shop=shop, trigger_status="delivered", status="draft")
    CampaignFactory(shop=shop, trigger_status="delivered", status="paused")
    CampaignFactory(shop=shop, trigger_status="delivered", starts_at=NOW + timedelta(days=1))
    CampaignFactory(shop=shop, trigger_status="delivered", ends_at=NOW - timedelta(days=1))
    CampaignFactory(shop=shop, trigger_status="delivered", send_email=False, show_on_page=True)

    assert campaign_dispatches_claim(status_change=_change(shop)) == []
    assert CampaignDispatch.objects.count() == 0


def test_campaign_of_another_shop_never_fires(shop, other_shop):
    CampaignFactory(shop=other_shop, trigger_status="delivered")

    assert campaign_dispatches_claim(status_change=_change(shop)) == []


def test_only_the_highest_priority_match_is_sent(shop):
    CampaignFactory(shop=shop, trigger_status="delivered", priority=1)
    winner = CampaignFactory(shop=shop, trigger_status="delivered", priority=9)

    sends = campaign_dispatches_claim(status_change=_change(shop))

    assert [send.campaign_id for send in sends] == [winner.pk]


@pytest.mark.parametrize(
    ("campaign_fields", "order_fields"),
    [
        ({"countries": ",cz,"}, {"shipping_country": "PL"}),
        ({"languages": ",en,"}, {"locale": "pl"}),
        ({"min_order_value": Decimal("500")}, {"total_amount": Decimal("100")}),
        ({"max_order_value": Decimal("50")}, {"total_amount": Decimal("100")}),
        ({"carriers": ",dpd,"}, {}),
        ({"require_marketing_consent": True}, {"email_marketing_consent": False}),
        ({"product_categories": ",machines,"}, {}),
        ({"customer_type": "repeat"}, {}),
        ({}, {"customer_email": ""}),
    ],
)
def test_orders_outside_the_audience_get_nothing(shop, campaign_fields, order_fields):
    CampaignFactory(shop=shop, trigger_status="delivered", **campaign_fields)

    assert campaign_dispatches_claim(status_change=_change(shop, **order_fields)) == []
    assert CampaignDispatch.objects.count() == 0


def test_audience_by_category_and_repeat_customer(shop):
    ProductFactory(shop=shop, sku="MACHINE", category="machines")
    campaign = CampaignFactory(
        shop=shop, trigger_status="delivered", product_categories=",machines,", customer_type="repeat"
    )
    OrderFactory(shop=shop, customer_email="kuba@example.com", placed_at=NOW - timedelta(days=60))
    change = _change(shop, customer_email="kuba@example.com")
    OrderItemFactory(order=change.shipment.order, sku="MACHINE")

    sends = campaign_dispatches_claim(status_change=change)

    assert [send.campaign_id for send in sends] == [campaign.pk]


def test_frequency_cap_counts_the_customers_recent_campaign_emails(shop):
    first = CampaignFactory(shop=shop, trigger_status="in_transit", frequency_cap_count=1, frequency_cap_days=7)
    second = CampaignFactory(shop=shop, trigger_status="delivered", frequency_cap_count=1, frequency_cap_days=7)
    earlier = _change(shop, to_status="in_transit", customer_email="ewa@example.com")
    assert [s.campaign_id for s in campaign_dispatches_claim(status_change=earlier)] == [first.pk]

    later = _change(shop, customer_email="EWA@example.com")

    assert campaign_dispatches_claim(status_change=later) == []
    assert not CampaignDispatch.objects.filter(campaign=second).exists()


def test_each_campaign_sends_once_per_order(shop):
    CampaignFactory(shop=shop, trigger_status="delivered", frequency_cap_count=0)
    change = _change(shop)
    campaign_dispatches_claim(status_change=change)
    second_parcel = ShipmentFactory(order=change.shipment.order, status="delivered")

    again = StatusChangeFactory(shipment=second_parcel, to_status="delivered", occurred_at=NOW)

    assert campaign_dispatches_claim(status_change=again) == []


def test_returns_never_trigger_campaigns(shop):
    CampaignFactory(shop=shop, trigger_status="delivered")
    change = _change(shop)
    change.shipment.direction = "return"
    change.shipment.save()

    assert campaign_dispatches_claim(status_change=change) == []


def test_delayed_trigger_is_stored_as_a_due_row_not_returned(shop):
    campaign = CampaignFactory(shop=shop, trigger_type="delay_after_status", trigger_status="delivered", delay_hours=72)
    change = _change(shop)

    sends = campaign_dispatches_claim(status_change=change)

    assert sends == []
    dispatch = CampaignDispatch.objects.get()
    assert (dispatch.campaign_id, dispatch.due_at, dispatch.dispatched_at, dispatch.immediate) == (
        campaign.pk,
        NOW + timedelta(hours=72),
        None,
        False,
    )


def test_due_rows_are_published_by_name_when_due(shop, published, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(shop=shop, trigger_type="delay_after_status", trigger_status="delivered", delay_hours=72)
    change = _change(shop)
    campaign_dispatches_claim(status_change=change)

    with django_capture_on_commit_callbacks(execute=True):
        early = campaign_dispatches_release(now=NOW + timedelta(hours=71))
    with django_capture_on_commit_callbacks(execute=True):
        due = campaign_dispatches_release(now=NOW + timedelta(hours=72))
    with django_capture_on_commit_callbacks(execute=True):
        repeat = campaign_dispatches_release(now=NOW + timedelta(hours=80))

    dispatch = CampaignDispatch.objects.get()
    assert (early, due, repeat) == (0, 1, 0)
    assert published == [
        (
            "notifications.send_campaign_message",
            {"status_change_id": change.pk, "campaign_id": campaign.pk, "variant": dispatch.variant},
        )
    ]
    assert dispatch.dispatched_at == NOW + timedelta(hours=72)


def test_due_row_of_a_paused_campaign_is_skipped_with_its_reason(shop, published, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(shop=shop, trigger_type="delay_after_status", trigger_status="delivered", delay_hours=1)
    campaign_dispatches_claim(status_change=_change(shop))
    campaign.status = "paused"
    campaign.save()

    with django_capture_on_commit_callbacks(execute=True):
        released = campaign_dispatches_release(now=NOW + timedelta(hours=2))

    assert released == 0
    assert published == []
    assert CampaignDispatch.objects.get().skipped_reason == "campaign no longer active"


def test_failed_publish_leaves_the_row_pending(shop, monkeypatch, django_capture_on_commit_callbacks):
    from config.celery import app

    def broken(name, kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app, "send_task", broken)
    CampaignFactory(shop=shop, trigger_type="delay_after_status", trigger_status="delivered", delay_hours=1)
    campaign_dispatches_claim(status_change=_change(shop))

    with django_capture_on_commit_callbacks(execute=True):
        campaign_dispatches_release(now=NOW + timedelta(hours=2))

    assert CampaignDispatch.objects.get().dispatched_at is None


def test_exception_triggers_the_delay_apology_at_once(shop):
    apology = CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="", kind="delay_apology")

    sends = campaign_dispatches_claim(status_change=_change(shop, to_status="exception", reason="damaged"))

    assert [send.campaign_id for send in sends] == [apology.pk]


def test_delayed_reason_triggers_the_apology_but_a_normal_transit_does_not(shop):
    apology = CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="")

    normal = campaign_dispatches_claim(status_change=_change(shop, to_status="in_transit"))
    delayed = campaign_dispatches_claim(status_change=_change(shop, to_status="in_transit", reason="delayed"))

    assert normal == []
    assert [send.campaign_id for send in delayed] == [apology.pk]


def test_a_reason_only_change_fires_no_status_campaign_but_a_delay_apology(shop):
    # given a campaign on in_transit, a delayed one on in_transit and the apology
    on_status = CampaignFactory(shop=shop, trigger_status="in_transit", priority=10)
    later = CampaignFactory(shop=shop, trigger_type="delay_after_status", trigger_status="in_transit", delay_hours=1)
    apology = CampaignFactory(shop=shop, trigger_type="late_or_exception", trigger_status="", priority=1)
    change = _change(shop, to_status="in_transit", reason="delayed")
    change.from_status = "in_transit"
    change.save()

    # when the parcel, already in transit, is reported delayed
    sends = campaign_dispatches_claim(status_change=change)

    # then only the apology goes; neither in_transit campaign fires on a status the parcel did not enter
    assert [send.campaign_id for send in sends] == [apology.pk]
    assert list(CampaignDispatch.objects.values_list("campaign_id", flat=True)) == [apology.pk]
    assert not CampaignDispatch.objects.filter(campaign__in=[on_status, later]).exists()


def test_stale_triggers_from_imported_history_send_nothing(shop):
    CampaignFactory(shop=shop, trigger_status="delivered")
    CampaignFactory(shop=shop, trigger_type="delay_after_status", trigger_status="delivered", delay_hours=24)
    change = _change(shop)
    change.occurred_at = NOW - timedelta(days=10)
    change.save()

    assert campaign_dispatches_claim(status_change=change) == []
    assert CampaignDispatch.objects.count() == 0


def test_a_delayed_trigger_still_due_is_scheduled_even_if_the_status_is_days_old(shop):
    campaign = CampaignFactory(shop=shop, trigger_type="delay_after_status", trigger_status="delivered", delay_hours=96)
    change = _change(shop)
    change.occurred_at = NOW - timedelta(days=3)
    change.save()

    campaign_dispatches_claim(status_change=change)

    assert CampaignDispatch.objects.get(campaign=campaign).due_at == NOW + timedelta(days=1)
