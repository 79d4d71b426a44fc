"""Journeys and the HTTP plumbing of the demo carrier; carrier wire formats live in sibling modules.

A journey is pure data: a scenario (a list of generic steps with hours after the start), chosen
deterministically from a hash of the number, translated into one carrier's raw codes and texts.
Time is compressed by `speed` (720 = one real hour passes in five seconds, so a two-day journey
plays in about four minutes).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import logging
import pkgutil
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment
from zoneinfo import ZoneInfo

import defusedxml
import defusedxml.ElementTree

logger = logging.getLogger("carriers.simulator")

HOUR = 3600.0
NOT_FOUND_PREFIX = "NOTFOUND"

# Generic steps, with hours after the journey starts. A carrier without an event for a step skips it.
SCENARIOS: Mapping[str, tuple[tuple[str, float], ...]] = {
    "locker_pickup": (
        ("label", 0),
        ("picked_up", 3),
        ("sorting", 8),
        ("out_for_delivery", 18),
        ("ready_for_pickup", 20),
        ("delivered", 27),
    ),
    "courier_delivery": (
        ("label", 0),
        ("picked_up", 3),
        ("sorting", 8),
        ("out_for_delivery", 18),
        ("delivered", 22),
    ),
    "failed_attempt_then_delivery": (
        ("label", 0),
        ("picked_up", 3),
        ("sorting", 8),
        ("out_for_delivery", 18),
        ("failed_attempt", 22),
        ("out_for_delivery", 42),
        ("delivered", 45),
    ),
    "delayed": (
        ("label", 0),
        ("picked_up", 3),
        ("sorting", 8),
        ("delayed", 20),
        ("sorting", 34),
        ("out_for_delivery", 42),
        ("delivered", 46),
    ),
    "return_to_sender": (
        ("label", 0),
        ("picked_up", 3),
        ("sorting", 8),
        ("out_for_delivery", 18),
        ("ready_for_pickup", 20),
        ("pickup_expired", 44),
        ("returning", 46),
        ("returned", 56),
    ),
}

ALL_SCENARIOS: tuple[str, ...] = tuple(SCENARIOS)  # in this order: scenario_for hashes into it
_CITIES = ("Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Szczecin", "Lublin", "Katowice", "Praha")
_HUB_STEPS = frozenset({"sorting", "delayed"})
_ORIGIN_STEPS = frozenset({"label", "picked_up", "returned"})
_NOT_FORMATS = frozenset({"core", "__main__"})


@dataclass(frozen=True, slots=True)
class JourneyEvent:
    """One step that has happened, in the carrier's own code and wording."""

    step: str
    raw_code: str
    text: str
    at: datetime
    location: str


@dataclass(frozen=True, slots=True)
class Journey:
    """A number's scenario and the events that have happened by the time asked about."""

    carrier: str
    number: str
    scenario: str
    events: tuple[JourneyEvent, ...]

    @property
    def destination(self) -> str:
        """The city the parcel travels to (stable per number)."""
        return _pick(self.number, "destination", _CITIES)


@dataclass(frozen=True, slots=True)
class SimRequest:
    """An HTTP request below `/<carrier_code>`."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class SimResponse:
    """What the fake carrier answers."""

    status: int
    body: bytes
    content_type: str = "application/json"


JourneyLookup = Callable[[str], Journey]


@dataclass(frozen=True, slots=True)
class WireFormat:
    """How one carrier speaks: its code and text for each generic step, and its HTTP answers.

    `serve` gets the request and a lookup giving the journey of a number as of now (the first
    lookup of a number starts its journey).
    """

    code: str
    steps: Mapping[str, tuple[str, str]]
    scenarios: tuple[str, ...]
    serve: Callable[[SimRequest, JourneyLookup], SimResponse]


WIRE_FORMATS: dict[str, WireFormat] = {}


def register_wire_format(wire_format: WireFormat) -> WireFormat:
    """Add a carrier to the simulator; every scenario it lists must exist in SCENARIOS."""
    unknown = set(wire_format.scenarios) - set(SCENARIOS)
    if unknown or not wire_format.scenarios:
        raise ValueError(f"{wire_format.code}: unknown or no scenarios {sorted(unknown)}")
    WIRE_FORMATS[wire_format.code] = wire_format
    return wire_format


def load_wire_formats() -> None:
    """Import every format module of this package; each registers itself (add a module to add a carrier)."""
    package = importlib.import_module("carriers.simulator")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _NOT_FORMATS:
            importlib.import_module(f"carriers.simulator.{module.name}")


def scenario_for(carrier: str, number: str) -> str:
    """The scenario of a number: stable across restarts, spread evenly over the carrier's scenarios."""
    scenarios = WIRE_FORMATS[carrier].scenarios
    return scenarios[_hash(f"{carrier}:{number}") % len(scenarios)]


def journey(carrier: str, number: str, *, start: datetime, now: datetime, speed: float) -> Journey:
    """The events of `number` that have happened by `now`, if its journey began at `start`."""
    wire_format = WIRE_FORMATS[carrier]
    scenario = scenario_for(carrier, number)
    events = []
    for step, hours in SCENARIOS[scenario]:
        at = start + timedelta(seconds=hours * HOUR / speed)
        if at > now:
            break
        if step in wire_format.steps:
            raw_code, text = wire_format.steps[step]
            events.append(JourneyEvent(step, raw_code, text, at, _location(number, step)))
    return Journey(carrier, number, scenario, tuple(events))


def is_unknown(number: str) -> bool:
    """Numbers the simulator answers with the carrier's real not-found answer."""
    return number.upper().startswith(NOT_FOUND_PREFIX)


def json_response(payload: Any, status: int = 200) -> SimResponse:
    """A JSON answer, UTF-8, non-ASCII kept (carriers send Polish text as is)."""
    return SimResponse(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def xml_response(document: str, status: int = 200) -> SimResponse:
    """An XML answer."""
    return SimResponse(status, document.encode("utf-8"), "text/xml; charset=utf-8")


def parse_xml(body: bytes) -> ET.Element | None:
    """The XML document a request carries, or None when it is not well-formed or not safe to read."""
    try:
        return defusedxml.ElementTree.fromstring(body)
    except (ET.ParseError, defusedxml.DefusedXmlException):
        return None


def wall_clock(at: datetime, zone: ZoneInfo) -> str:
    """`at` as the time on a wall clock in `zone`, without an offset, as carriers that assume their zone send it."""
    return at.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")


def text_response(text: str, status: int) -> SimResponse:
    """A plain-text answer, for requests no carrier would understand."""
    return SimResponse(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _pick(number: str, salt: str, choices: Iterable[str]) -> str:
    options = tuple(choices)
    return options[_hash(f"{salt}:{number}") % len(options)]


def _location(number: str, step: str) -> str:
    if step in _HUB_STEPS:
        return f"Sortownia {_pick(number, 'hub', _CITIES)}"
    if step in _ORIGIN_STEPS:
        return _pick(number, "origin", _CITIES)
    return _pick(number, "destination", _CITIES)


# --------------------------------------------------------------------------- HTTP


class _JourneyMemory:
    """Remembers when each number was first asked about; that moment starts its journey."""

    def __init__(self, *, speed: float, clock: Callable[[], datetime]) -> None:
        self.speed = speed
        self.clock = clock
        self._first_seen: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def journey(self, carrier: str, number: str) -> Journey:
        now = self.clock()
        with self._lock:
            start = self._first_seen.setdefault((carrier, number), now)
        return journey(carrier, number, start=start, now=now, speed=self.speed)


def make_wsgi_app(
    *, speed: float, latency: float = 0.0, clock: Callable[[], datetime] | None = None
) -> WSGIApplication:
    """A WSGI app answering each carrier's real paths under `/<carrier_code>/...`.

    `latency` (seconds) is added to every answer for benchmarks; `clock` is for tests.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    load_wire_formats()
    memory = _JourneyMemory(speed=speed, clock=clock or (lambda: datetime.now(UTC)))

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if latency:
            time.sleep(latency)
        code, _, rest = str(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
        wire_format = WIRE_FORMATS.get(code)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if _revoked(environ, body):
            response = text_response("credentials rejected: the demo carrier refuses keys containing 'revoked'", 401)
        elif wire_format is None:
            response = text_response(f"no simulated carrier {code!r}; known: {', '.join(sorted(WIRE_FORMATS))}", 404)
        else:
            request = SimRequest(
                method=str(environ.get("REQUEST_METHOD", "GET")),
                path=f"/{rest}",
                query=dict(parse_qsl(str(environ.get("QUERY_STRING", "")))),
                body=body,
            )
            response = wire_format.serve(request, lambda number: memory.journey(code, number))
        status = HTTPStatus(response.status)
        start_response(
            f"{status.value} {status.phrase}",
            [("Content-Type", response.content_type), ("Content-Length", str(len(response.body)))],
        )
        return [response.body]

    return app


def _revoked(environ: WSGIEnvironment, body: bytes) -> bool:
    """A shop's credential containing "revoked" (in a header, the query or the body, Basic auth decoded) is refused,
    so the demo can show a broken carrier credential (``manage.py doctor``, carrier health) on demand."""
    texts = [str(value) for key, value in environ.items() if key.startswith("HTTP_") or key == "QUERY_STRING"]
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    if auth.lower().startswith("basic "):
        texts.append(base64.b64decode(auth[6:] + "==", validate=False).decode("utf-8", "replace"))
    return any("revoked" in text.lower() for text in texts) or b"revoked" in body.lower()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default listen backlog of 5 drops connections when many workers poll at once.
    request_queue_size = 1024


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)


def make_simulator_server(
    host: str = "127.0.0.1", port: int = 8099, *, speed: float = 720.0, latency: float = 0.0
) -> WSGIServer:
    """A threading wsgiref server around `make_wsgi_app` (port 0 picks a free port)."""
    app = make_wsgi_app(speed=speed, latency=latency)
    return make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def serve(host: str = "127.0.0.1", port: int = 8099, *, speed: float = 720.0, latency: float = 0.0) -> None:
    """Serve the demo carrier until interrupted."""
    server = make_simulator_server(host, port, speed=speed, latency=latency)
    logger.info("demo carrier on http://%s:%d/<carrier> (speed x%g)", host, server.server_port, speed)
    with server:
        server.serve_forever()
