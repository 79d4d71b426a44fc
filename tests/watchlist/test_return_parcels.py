"""A return parcel (direction return) is watched for its health only, never by the outbound rules."""

import time_machine

from carriers.types import Reason, Status
from shipments.models import Direction
from tests.factories import OrderFactory, ShipmentFactory
from tests.watchlist.helpers import look, opened_types, parcel, scan, warsaw


def return_parcel(*, at, shop, carrier="inpost", **order):
    with time_machine.travel(at, tick=False):
        return ShipmentFactory(
            order=OrderFactory(shop=shop, shipping_country="PL", placed_at=at, **order),
            carrier=carrier,
            direction=Direction.RETURN,
        )


def test_a_code_the_customer_has_not_used_yet_is_neither_late_dispatch_nor_forgotten(shop):
    # given a return code issued on Thursday 5 November whose parcel the customer has not dropped off
    shipment = return_parcel(at=warsaw(2026, 11, 5, 9, 0), shop=shop)
    scan(shipment, Status.INFO_RECEIVED, warsaw(2026, 11, 5, 10, 0))

    # when the watchlist looks two weeks later
    outcome = look(shipment, warsaw(2026, 11, 19, 10, 0))

    # then no outbound rule opened (an outbound parcel would be late dispatch and forgotten by now)
    assert opened_types(outcome) == []
    outbound = parcel(at=warsaw(2026, 11, 5, 9, 0), shop=shop)
    scan(outbound, Status.INFO_RECEIVED, warsaw(2026, 11, 5, 10, 0))
    assert opened_types(look(outbound, warsaw(2026, 11, 19, 10, 0))) == ["forgotten", "late_dispatch"]


def test_a_return_parcel_is_never_delayed_nor_reminded_of_a_pickup_deadline(shop):
    # given return parcels the carrier reports delayed, past an ETA, or waiting at a point
    delayed = return_parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(delayed, Status.IN_TRANSIT, warsaw(2026, 11, 2, 10, 0))
    scan(delayed, Status.IN_TRANSIT, warsaw(2026, 11, 3, 10, 0), reason=Reason.DELAYED)
    past_eta = return_parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop, carrier="dpd")
    scan(
        past_eta,
        Status.IN_TRANSIT,
        warsaw(2026, 11, 6, 20, 0),
        eta_from=warsaw(2026, 11, 7),
        eta_to=warsaw(2026, 11, 7),
    )
    at_point = return_parcel(at=warsaw(2026, 11, 9, 9, 0), shop=shop)
    scan(at_point, Status.AVAILABLE_FOR_PICKUP, warsaw(2026, 11, 12, 10, 0))

    # when the watchlist looks when the outbound versions would open
    outcomes = [
        look(delayed, warsaw(2026, 11, 3, 10, 5)),
        look(past_eta, warsaw(2026, 11, 9, 0, 0)),
        look(at_point, warsaw(2026, 11, 13, 10, 0)),
    ]

    # then nothing opens
    assert [opened_types(outcome) for outcome in outcomes] == [[], [], []]


def test_a_return_parcel_that_stops_moving_is_still_watched(shop):
    # given a return parcel in transit since Monday 2 November with no scan afterwards
    shipment = return_parcel(at=warsaw(2026, 11, 2, 9, 0), shop=shop)
    scan(shipment, Status.IN_TRANSIT, warsaw(2026, 11, 2, 10, 0))

    # when the watchlist looks three weeks later
    outcome = look(shipment, warsaw(2026, 11, 23, 10, 0))

    # then the parcel-health rules apply to it like to any parcel
    assert opened_types(outcome) == ["lost", "stalled"]
