"""The demo carrier: deterministic journeys, and adapters polling it through its WSGI app."""

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from carriers.registry import build_adapter
from carriers.simulator import (
    SCENARIOS,
    WIRE_FORMATS,
    journey,
    load_wire_formats,
    make_simulator_server,
    make_wsgi_app,
    scenario_for,
)
from carriers.types import CarrierConfig, ErrorKind, Status, TrackingResult

START = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
SPEED = 720.0
MY_CARRIERS = ("inpost", "poczta_polska", "packeta", "orlen")
FINAL_BY_SCENARIO = {
    "locker_pickup": Status.DELIVERED,
    "courier_delivery": Status.DELIVERED,
    "failed_attempt_then_delivery": Status.DELIVERED,
    "delayed": Status.DELIVERED,
    "return_to_sender": Status.RETURNED_TO_SENDER,
}


class Clock:
    """A hand-moved clock for the simulator."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, *, simulated_hours: float) -> None:
        self.now += timedelta(seconds=simulated_hours * 3600 / SPEED)


def adapter_on(app, code: str):
    client = httpx.Client(transport=httpx.WSGITransport(app=app))
    return build_adapter(
        code,
        config=CarrierConfig(base_url=f"http://simulator/{code}", api_key="demo", account="demo"),
        client=client,
    )


def numbers_covering_every_scenario(code: str) -> dict[str, str]:
    """One number per scenario of the carrier (scenarios come from a hash, so search a little)."""
    found: dict[str, str] = {}
    for index in range(1000):
        number = f"{index:013d}" if code == "orlen" else f"Z{index:010d}" if code == "packeta" else f"SIM{index}"
        found.setdefault(scenario_for(code, number), number)
        if len(found) == len(WIRE_FORMATS[code].scenarios):
            return found
    raise AssertionError(f"{code}: not every scenario reachable")


def test_the_four_carriers_are_registered_with_known_scenarios():
    load_wire_formats()

    assert set(MY_CARRIERS) <= set(WIRE_FORMATS)
    for code in MY_CARRIERS:
        assert set(WIRE_FORMATS[code].scenarios) <= set(SCENARIOS)


def test_journeys_are_deterministic_and_unfold_with_compressed_time():
    load_wire_formats()
    at_start = journey("inpost", "SIM1", start=START, now=START, speed=SPEED)
    three_hours_later = START + timedelta(seconds=3 * 3600 / SPEED)

    later = journey("inpost", "SIM1", start=START, now=three_hours_later, speed=SPEED)
    again = journey("inpost", "SIM1", start=START, now=three_hours_later, speed=SPEED)

    assert [event.step for event in at_start.events] == ["label"]
    assert at_start.events[0].at == START
    assert [event.step for event in later.events] == ["label", "picked_up"]
    assert later.events[1].at == three_hours_later == START + timedelta(seconds=15)
    assert later == again
    assert later.scenario == scenario_for("inpost", "SIM1")


@pytest.mark.parametrize("code", MY_CARRIERS)
def test_every_scenario_plays_to_its_end_through_the_real_adapter(code):
    # given a simulator on a hand-moved clock and one number per scenario
    clock = Clock()
    app = make_wsgi_app(speed=SPEED, clock=clock)
    adapter = adapter_on(app, code)
    by_scenario = numbers_covering_every_scenario(code)

    # when first asked about, every journey has only just begun
    first = adapter.fetch(list(by_scenario.values()))

    # then nothing is final yet and no code the adapter does not know ever appears
    for outcome in first.values():
        assert isinstance(outcome, TrackingResult)
        assert outcome.is_final is False
        assert outcome.unmapped_codes == ()

    # when the whole journey has had time to happen
    clock.advance(simulated_hours=60)
    last = adapter.fetch(list(by_scenario.values()))

    # then each ends where its scenario says (Poczta Polska has no "returned" event: it stays returning)
    for scenario, number in by_scenario.items():
        result = last[number]
        expected = FINAL_BY_SCENARIO[scenario]
        if code == "poczta_polska" and scenario == "return_to_sender":
            expected = Status.RETURNING_TO_SENDER
        assert result.status == expected, scenario
        assert result.unmapped_codes == ()
        assert [event.occurred_at for event in result.events] == sorted(event.occurred_at for event in result.events)


@pytest.mark.parametrize("code", MY_CARRIERS)
def test_notfound_numbers_get_the_carriers_real_not_found_answer(code):
    adapter = adapter_on(make_wsgi_app(speed=SPEED), code)

    outcome = adapter.fetch(["NOTFOUND123"])["NOTFOUND123"]

    assert outcome.kind == ErrorKind.NOT_FOUND


def test_a_journey_starts_when_the_number_is_first_seen_not_when_the_app_starts():
    clock = Clock()
    app = make_wsgi_app(speed=SPEED, clock=clock)
    adapter = adapter_on(app, "poczta_polska")

    clock.advance(simulated_hours=100)
    result = adapter.fetch(["SIM7"])["SIM7"]

    assert [event.raw_code for event in result.events] == ["P_REJ_KN1"]
    assert result.events[0].occurred_at == clock.now


def test_poczta_polska_batch_and_login_work_against_the_simulator():
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=SPEED)))
    config = CarrierConfig(
        base_url="http://simulator/poczta_polska", username="demo", password="demo", extra={"batch_size": "10"}
    )
    adapter = build_adapter("poczta_polska", config=config, client=client)

    outcomes = adapter.fetch(["SIM1", "SIM2", "NOTFOUND1"])

    assert [type(outcome).__name__ for outcome in outcomes.values()] == [
        "TrackingResult",
        "TrackingResult",
        "TrackingError",
    ]


def test_unknown_carrier_and_unknown_path_are_plain_404s():
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=SPEED)))

    unknown_carrier = client.get("http://simulator/pigeon/track")
    unknown_path = client.get("http://simulator/inpost/v2/whatever")

    assert unknown_carrier.status_code == 404
    assert "no simulated carrier 'pigeon'" in unknown_carrier.text
    assert unknown_path.status_code == 404


def test_latency_is_added_to_every_answer():
    client = httpx.Client(transport=httpx.WSGITransport(app=make_wsgi_app(speed=SPEED, latency=0.05)))

    started = time.monotonic()
    client.get("http://simulator/inpost/v1/tracking/SIM1")

    assert time.monotonic() - started >= 0.05


def test_speed_must_be_positive():
    with pytest.raises(ValueError, match="speed must be positive"):
        make_wsgi_app(speed=0)


def test_threaded_loopback_server_serves_adapters_over_real_http():
    # given the simulator on a free loopback port
    server = make_simulator_server("127.0.0.1", 0, speed=SPEED)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with httpx.Client() as client:
            adapter = build_adapter(
                "inpost", config=CarrierConfig(base_url=f"{base}/inpost", timeout=5.0), client=client
            )

            # when polled over the network, concurrently from several threads
            results: list[object] = []
            workers = [
                threading.Thread(target=lambda n=n: results.append(adapter.fetch([f"SIM{n}"])[f"SIM{n}"]))
                for n in range(8)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=10)

        # then every poll got a journey
        assert len(results) == 8
        assert all(isinstance(result, TrackingResult) for result in results)
        assert all(result.status == Status.INFO_RECEIVED for result in results)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
