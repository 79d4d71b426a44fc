"""A fake BaseLinker account: the RPC endpoint's real shape over in-memory orders, packages and journal.

Tests drive it directly (``add_order``, ``add_package``, ``delete_package``) through ``transport()``;
the demo serves it on loopback (``serve``) with ``arrivals`` on, so a new order with an InPost, DPD or
Packeta parcel arrives every ``every`` seconds and the journal says so.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx

PAGE = 100
ORDER_CREATED, PACKAGE_CREATED, PACKAGE_DELETED, STATUS_CHANGED = 1, 9, 10, 18

DEMO_CUSTOMERS = (
    ("Zofia Nowak", "zofia.nowak@example.com", "Kraków", "30-001", "PL"),
    ("Jan Kowalski", "jan.kowalski@example.com", "Poznań", "60-101", "PL"),
    ("Anna Wiśniewska", "anna.w@example.com", "Gdańsk", "80-001", "PL"),
    ("Piotr Zieliński", "piotr.z@example.com", "Wrocław", "50-001", "PL"),
)
DEMO_PRODUCTS = (
    ("Kubek ceramiczny 350 ml", "KUB-350", 38.5),
    ("Lampka LED", "LAMP-1", 129.0),
    ("Notes A5", "NOT-A5", 19.9),
)


class FakeBaseLinker:
    """In-memory BaseLinker: ``handle(method, parameters, token)`` answers like ``connector.php``."""

    def __init__(self, *, token: str = "demo", journal_enabled: bool = True) -> None:  # noqa: S107 - the fake's demo token
        self.token = token
        self.journal_enabled = journal_enabled
        self.orders: dict[int, dict[str, Any]] = {}
        self.packages: dict[int, list[dict[str, Any]]] = {}
        self.journal: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.statuses_set: list[tuple[int, int]] = []
        self._log_ids = itertools.count(5001)
        self._package_ids = itertools.count(90001)
        self._lock = threading.Lock()

    # Driving the account.

    def log(self, log_type: int, order_id: int, object_id: int = 0) -> None:
        self.journal.append(
            {
                "log_id": next(self._log_ids),
                "log_type": log_type,
                "order_id": order_id,
                "object_id": object_id,
                "date": int(time.time()),
            }
        )

    def add_order(self, row: dict[str, Any], packages: Iterable[dict[str, Any]] = ()) -> None:
        with self._lock:
            order_id = int(row["order_id"])
            self.orders[order_id] = row
            self.packages.setdefault(order_id, [])
            self.log(ORDER_CREATED, order_id)
        for package in packages:
            self.add_package(order_id, package)

    def add_package(self, order_id: int, package: dict[str, Any]) -> int:
        with self._lock:
            package = {"package_id": next(self._package_ids), "is_return": False, **package}
            self.packages[order_id].append(package)
            self.log(PACKAGE_CREATED, order_id, package["package_id"])
            return package["package_id"]

    def delete_package(self, order_id: int, package_id: int) -> None:
        with self._lock:
            self.packages[order_id] = [p for p in self.packages[order_id] if p["package_id"] != package_id]
            self.log(PACKAGE_DELETED, order_id, package_id)

    # The endpoint.

    def handle(self, method: str, parameters: dict[str, Any], token: str) -> dict[str, Any]:
        self.calls.append(method)
        if token != self.token:
            return {"status": "ERROR", "error_code": "ERROR_BAD_TOKEN", "error_message": "Invalid user token"}
        with self._lock:
            if method == "getJournalList":
                if not self.journal_enabled:
                    return {
                        "status": "ERROR",
                        "error_code": "ERROR_JOURNAL_DISABLED",
                        "error_message": "Journal is not enabled",
                    }
                after = int(parameters.get("last_log_id") or 0)
                types = set(parameters.get("logs_types") or []) or None
                logs = [
                    log for log in self.journal if log["log_id"] > after and (types is None or log["log_type"] in types)
                ]
                return {"status": "SUCCESS", "logs": logs[:PAGE]}
            if method == "getOrders":
                return {"status": "SUCCESS", "orders": self._orders(parameters)}
            if method == "getOrderPackages":
                return {"status": "SUCCESS", "packages": list(self.packages.get(int(parameters["order_id"]), []))}
            if method == "getOrderStatusList":
                return {"status": "SUCCESS", "statuses": [{"id": 1, "name": "Nowe"}, {"id": 3, "name": "Doręczone"}]}
            if method == "setOrderStatus":
                self.statuses_set.append((int(parameters["order_id"]), int(parameters["status_id"])))
                return {"status": "SUCCESS"}
        return {"status": "ERROR", "error_code": "ERROR_UNKNOWN_METHOD", "error_message": f"Unknown method {method}"}

    def _orders(self, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        if parameters.get("order_id"):
            row = self.orders.get(int(parameters["order_id"]))
            return [row] if row else []
        since = int(parameters.get("date_confirmed_from") or 0)
        rows = sorted(
            (row for row in self.orders.values() if int(row.get("date_confirmed") or 0) >= since),
            key=lambda row: (int(row.get("date_confirmed") or 0), int(row["order_id"])),
        )
        return rows[:PAGE]

    def transport(self) -> httpx.MockTransport:
        """An httpx transport answering as ``https://api.baselinker.com/connector.php`` would."""

        def respond(request: httpx.Request) -> httpx.Response:
            form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
            answer = self.handle(
                form.get("method", ""), json.loads(form.get("parameters") or "{}"), request.headers.get("X-BLToken", "")
            )
            return httpx.Response(200, json=answer)

        return httpx.MockTransport(respond)

    # The demo's arrivals.

    def demo_order(self, sequence: int, now: float) -> None:
        """Order ``sequence`` of the demo: a customer, a product or two, and a parcel with a known courier."""
        name, email, city, postcode, country = DEMO_CUSTOMERS[sequence % len(DEMO_CUSTOMERS)]
        product = DEMO_PRODUCTS[sequence % len(DEMO_PRODUCTS)]
        order_id = 7_100_000 + sequence
        couriers = (
            ("paczkomaty", f"6{order_id:023d}"),
            ("dpd", f"{order_id:013d}U"),
            ("zasilkovna", f"Z{order_id:010d}"),
        )
        courier, number = couriers[sequence % len(couriers)]
        self.add_order(
            {
                "order_id": order_id,
                "date_confirmed": int(now),
                "date_add": int(now),
                "email": email,
                "phone": "+48500100200",
                "currency": "PLN",
                "delivery_method": "Paczkomaty InPost" if courier == "paczkomaty" else courier.upper(),
                "delivery_price": 9.99,
                "delivery_fullname": name,
                "delivery_city": city,
                "delivery_postcode": postcode,
                "delivery_country_code": country,
                "delivery_point_id": "KRA01M" if courier == "paczkomaty" else "",
                "delivery_point_name": "Paczkomat KRA01M" if courier == "paczkomaty" else "",
                "products": [{"name": product[0], "sku": product[1], "price_brutto": product[2], "quantity": 1}],
            },
            [{"courier_code": courier, "courier_package_nr": number}],
        )


def _wsgi(fake: FakeBaseLinker, *, every: float):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    made = itertools.count()
    created = [0]

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        # Orders "arrive" at a steady pace, counted from the start, whenever anyone asks.
        due = int((time.monotonic() - started) / every) + 1
        while created[0] < due:
            fake.demo_order(next(made), time.time())
            created[0] += 1
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = {key: values[0] for key, values in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
        answer = fake.handle(
            form.get("method", ""), json.loads(form.get("parameters") or "{}"), environ.get("HTTP_X_BLTOKEN", "")
        )
        body = json.dumps(answer).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server_for(fake: FakeBaseLinker, host: str = "127.0.0.1", port: int = 0, *, every: float = 20.0):  # type: ignore[no-untyped-def]
    """A loopback WSGI server serving ``fake`` at any path; a new demo order every ``every`` seconds."""
    return make_server(host, port, _wsgi(fake, every=every), handler_class=_Quiet)
