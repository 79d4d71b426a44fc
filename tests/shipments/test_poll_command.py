"""``manage.py poll_shipments --once`` end to end against the loopback demo carrier."""

import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from carriers.simulator import SCENARIOS, WIRE_FORMATS, make_simulator_server, scenario_for
from shipments.models import Shipment, StatusChange
from tests.factories import OrderFactory, ShipmentFactory

pytestmark = pytest.mark.django_db

FINAL_OF_SCENARIO = {
    "locker_pickup": "delivered",
    "courier_delivery": "delivered",
    "failed_attempt_then_delivery": "delivered",
    "delayed": "delivered",
    "return_to_sender": "returned_to_sender",
}


@pytest.fixture
def simulator(settings):
    # One hour of a journey passes in 3.6 ms: a whole journey has played 0.3 s after the first poll.
    server = make_simulator_server("127.0.0.1", 0, speed=1e6)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings.CARRIER_ENV = {
        "CARRIER_INPOST_BASE_URL": f"{base}/inpost",
        "CARRIER_INPOST_RATE": "none",
        "CARRIER_POCZTA_POLSKA_BASE_URL": f"{base}/poczta_polska",
        "CARRIER_POCZTA_POLSKA_API_KEY": "demo",
        "CARRIER_POCZTA_POLSKA_RATE": "none",
        "CARRIER_INPOST_TIMEOUT": "5",
    }
    yield base
    server.shutdown()
    server.server_close()


def poll(*args):
    out = StringIO()
    call_command("poll_shipments", "--once", *args, stdout=out)
    return out.getvalue()


def test_poll_once_follows_journeys_to_their_end(shop, simulator, published):
    # given InPost and Poczta Polska parcels, and one number InPost does not know
    order = OrderFactory(shop=shop)
    inpost = [
        ShipmentFactory(order=order, tracking_number=f"62000000000000000000{index:04d}", next_poll_at=timezone.now())
        for index in range(6)
    ]
    post = ShipmentFactory(
        order=order, carrier="poczta_polska", tracking_number="RR123456785PL", next_poll_at=timezone.now()
    )
    unknown = ShipmentFactory(order=order, tracking_number="NOTFOUND0001", next_poll_at=timezone.now())

    # when polled once (the journeys start), then again after they played out
    first = poll()
    time.sleep(0.3)
    Shipment.objects.update(next_poll_at=timezone.now())
    second = poll()

    # then the output says what happened
    assert first.splitlines() == [
        "claimed 8 shipment(s) in 2 batch(es)",
        "inpost: fetched 7, changed 6, new events 6, errors 1 (not_found: 1)",
        "poczta_polska: fetched 1, changed 1, new events 1, errors 0",
    ]
    assert second.splitlines()[0] == "claimed 8 shipment(s) in 2 batch(es)"
    # and every parcel ended where its scenario ends, with the carrier's codes and texts verbatim
    for shipment in [*inpost, post]:
        shipment.refresh_from_db()
        wire_format = WIRE_FORMATS[shipment.carrier]
        scenario = scenario_for(shipment.carrier, shipment.tracking_number)
        steps = [step for step, _ in SCENARIOS[scenario] if step in wire_format.steps]
        assert shipment.status == FINAL_OF_SCENARIO[scenario], (shipment.tracking_number, scenario)
        assert list(shipment.events.values_list("raw_code", "text")) == [wire_format.steps[step] for step in steps]
        assert shipment.next_poll_at is None
        # the first poll saw the label, the second the whole journey: exactly two changes
        changes = list(shipment.status_changes.values_list("from_status", "to_status"))
        assert changes == [("pending", "info_received"), ("info_received", FINAL_OF_SCENARIO[scenario])]
    assert post.events.exclude(text="").count() == post.events.count()
    unknown.refresh_from_db()
    assert (unknown.status, unknown.last_error_kind, unknown.events.count()) == ("pending", "not_found", 0)
    assert unknown.next_poll_at is not None
    assert StatusChange.objects.filter(shipment=unknown).count() == 0


def test_poll_once_filters_by_shop_and_carrier(shop, other_shop, simulator, published):
    # given due parcels in two shops
    mine = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=timezone.now())
    theirs = ShipmentFactory(order=OrderFactory(shop=other_shop), next_poll_at=timezone.now())

    # when polling only one shop's InPost parcels
    output = poll("--shop", shop.slug, "--carrier", "inpost")

    # then only that shop's parcel was fetched
    assert output.splitlines()[0] == "claimed 1 shipment(s) in 1 batch(es)"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.poll_count, theirs.poll_count) == (1, 0)


def test_nothing_due_prints_nothing_claimed(db):
    assert poll() == "claimed 0 shipment(s) in 0 batch(es)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --once"),
        (["--once", "--carrier", "pigeon"], "unknown carrier 'pigeon'"),
        (["--once", "--shop", "no-such-shop"], "no shop with slug 'no-such-shop'"),
        (["--once", "--limit", "0"], "--limit must be a positive number"),
    ],
)
def test_bad_arguments_are_usage_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("poll_shipments", *args)
    assert Shipment.objects.count() == 0
