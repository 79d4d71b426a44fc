"""InPost ShipX points: nearest lockers parsed from the recorded shape; every failure is PointsUnavailable."""

import json
from pathlib import Path

import httpx
import pytest

from carriers.inpost_points import PointsUnavailable, points_near, polish_postcode

FIXTURES = Path(__file__).parent.parent / "fixtures" / "carriers" / "inpost"


def client_answering(handler) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_the_nearest_lockers_come_with_hours_description_distance_and_a_map_link():
    asked = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json=json.loads((FIXTURES / "points_nearby.json").read_text()))

    points = points_near(postcode="00950", client=client_answering(answer), base_url="https://shipx.test", limit=3)

    assert asked[0].url.path == "/v1/points"
    assert dict(asked[0].url.params) == {
        "relative_post_code": "00-950",
        "type": "parcel_locker",
        "status": "Operating",
        "per_page": "3",
        "sort_by": "distance_to_relative_point",
    }
    first, second, third = points
    assert (first.point.id, first.point.address, first.point.opening_hours, first.distance_m) == (
        "WAW22A",
        "Marszałkowska 104, 00-017 Warszawa",
        "24/7",
        184,
    )
    assert first.point.description == "Przy sklepie Żabka"
    assert first.map_url == "https://www.openstreetmap.org/?mlat=52.22977&mlon=21.01178#map=18/52.22977/21.01178"
    assert (second.point.opening_hours, second.open_24_7) == ("pn-sob 9-21, nd 10-20", False)
    # A point without coordinates or an address line still shows, built from its address details, without a map.
    assert (third.point.address, third.map_url, third.distance_m) == ("Pl. Bankowy 2, 00-950 Warszawa", "", None)


def test_a_foreign_or_malformed_postcode_asks_nothing():
    def answer(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    assert points_near(postcode="110 00", client=client_answering(answer)) == []
    assert points_near(postcode="", client=client_answering(answer)) == []
    assert polish_postcode(" 30-001 ") == "30-001"


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(503, text="down"),
        lambda request: httpx.Response(200, text="<html>"),
        lambda request: httpx.Response(200, json={"error": "x"}),
    ],
    ids=["server error", "not json", "no items"],
)
def test_a_bad_answer_is_points_unavailable(answer):
    with pytest.raises(PointsUnavailable):
        points_near(postcode="00-950", client=client_answering(answer))


def test_a_timeout_is_points_unavailable():
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(PointsUnavailable):
        points_near(postcode="00-950", client=client_answering(answer))


def test_no_lockers_nearby_is_an_empty_list():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=json.loads((FIXTURES / "points_empty.json").read_text()))

    assert points_near(postcode="99-999", client=client_answering(answer)) == []
