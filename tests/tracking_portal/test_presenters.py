"""What the page says, from plain (unsaved) model instances: ETA and lateness, steps, pickup links, colours."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from carriers.types import Status
from shipments.models import Order, Shipment
from shops.models import Shop
from tracking_portal.presenters import (
    masked_destination,
    osm_link,
    shipment_eta,
    shipment_steps,
    status_icon,
    theme_for,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)  # a Thursday, 13:00 in Warsaw


def eta(shipment: Shipment, *, promised: date | None = None, language: str = "en"):
    with translation.override(language):
        return shipment_eta(shipment, promised=promised, language=language, zone=WARSAW, now=NOW)


def test_a_date_only_eta_for_today_is_not_late_before_the_day_ends():
    shipment = Shipment(status=Status.IN_TRANSIT, eta_from=datetime(2026, 11, 5, 0, 0, tzinfo=WARSAW))

    view = eta(shipment)

    assert (view.kind, view.text) == ("expected", "Expected delivery: Thu, Nov 5")


def test_a_window_that_ended_an_hour_ago_is_late():
    shipment = Shipment(
        status=Status.OUT_FOR_DELIVERY,
        eta_from=datetime(2026, 11, 5, 8, 0, tzinfo=WARSAW),
        eta_to=datetime(2026, 11, 5, 12, 0, tzinfo=WARSAW),
    )

    view = eta(shipment, language="pl")

    assert view.kind == "late"
    assert view.badge == "Opóźniona"
    assert view.text == "Miała dotrzeć do czw., 5 listopada, 08:00\u201312:00, a przewoźnik jeszcze jej nie doręczył."


def test_a_window_over_several_days_names_both_days():
    shipment = Shipment(
        status=Status.IN_TRANSIT,
        eta_from=datetime(2026, 11, 6, 0, 0, tzinfo=WARSAW),
        eta_to=datetime(2026, 11, 9, 0, 0, tzinfo=WARSAW),
    )

    assert eta(shipment, language="de").text == "Voraussichtliche Zustellung: Fr., 6. November \u2013 Mo., 9. November"


def test_the_promised_date_stands_in_when_the_carrier_gives_no_eta():
    shipment = Shipment(status=Status.IN_TRANSIT)

    assert eta(shipment, promised=date(2026, 11, 6)).text == "Expected delivery: Fri, Nov 6"
    assert eta(shipment, promised=date(2026, 11, 4)).kind == "late"


def test_a_delivered_parcel_says_when_and_is_never_late():
    shipment = Shipment(
        status=Status.DELIVERED,
        delivered_at=datetime(2026, 11, 5, 9, 15, tzinfo=UTC),
        eta_to=datetime(2026, 11, 1, tzinfo=UTC),
    )

    view = eta(shipment)

    assert (view.kind, view.text) == ("delivered", "Delivered Thu, Nov 5, 10:15\u202fAM")


def test_final_and_returning_parcels_show_no_eta():
    for status in (Status.CANCELLED, Status.EXPIRED, Status.RETURNING_TO_SENDER, Status.RETURNED_TO_SENDER):
        assert eta(Shipment(status=status, eta_to=datetime(2026, 11, 1, tzinfo=UTC))) is None


def test_a_return_parcel_is_expected_at_the_shop():
    shipment = Shipment(status=Status.IN_TRANSIT, direction="return", eta_from=datetime(2026, 11, 6, tzinfo=WARSAW))

    assert eta(shipment).text == "Expected at the shop: Fri, Nov 6"


@pytest.mark.parametrize(
    ("status", "pickup", "expected"),
    [
        (Status.PENDING, None, ["current", "todo", "todo", "todo", "todo"]),
        (Status.IN_TRANSIT, None, ["done", "done", "current", "todo", "todo"]),
        (Status.AVAILABLE_FOR_PICKUP, {"id": "X"}, ["done", "done", "done", "current", "todo"]),
        (Status.DELIVERED, None, ["done", "done", "done", "done", "done"]),
        (Status.EXCEPTION, None, ["done", "done", "current", "todo", "todo"]),
    ],
)
def test_outbound_steps(status, pickup, expected):
    with translation.override("en"):
        steps = shipment_steps(Shipment(status=status, pickup_point=pickup))

    assert [step.state for step in steps] == expected
    assert steps[3].label == ("Ready for pickup" if pickup else "Out for delivery")


def test_return_steps_have_their_own_journey():
    with translation.override("en"):
        steps = shipment_steps(Shipment(status=Status.IN_TRANSIT, direction="return"))

    assert [(step.label, step.state) for step in steps] == [
        ("Return registered", "done"),
        ("On its way back", "current"),
        ("Received by the shop", "todo"),
    ]


def test_status_icons():
    assert status_icon(Status.AVAILABLE_FOR_PICKUP, is_return=False) == "locker"
    assert status_icon(Status.FAILED_ATTEMPT, is_return=False) == "alert"
    assert status_icon(Status.IN_TRANSIT, is_return=True) == "return"
    assert status_icon(Status.DELIVERED, is_return=False) == "check"


def test_map_link_without_coordinates_searches_the_address():
    link = osm_link({"address": "ul. Długa 12", "postcode": "30-001", "city": "Kraków"})

    assert link == "https://www.openstreetmap.org/search?query=ul.%20D%C5%82uga%2012%2030-001%20Krak%C3%B3w"
    assert osm_link({}) == ""


def test_theme_keeps_readable_brand_colours_and_ignores_invalid_values():
    shop = Shop(primary_color="#0B6E4F", accent_color="not-a-colour", background_color="#FFFFFF", text_color="#222222")

    css = theme_for(shop).css

    assert "--pf-link:#0B6E4F" in css
    assert "--pf-on-primary:#FFFFFF" in css
    assert "--pf-accent:#F2A900" in css
    assert "not-a-colour" not in css


def test_destination_is_postcode_and_city_only():
    order = Order(shipping_postcode="30-001", shipping_city="Kraków", customer_name="Anna", customer_email="a@b.pl")

    assert masked_destination(order) == "30-001 Kraków"
