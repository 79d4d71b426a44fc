"""BaseLinker: one RPC endpoint (``connector.php``), form fields ``method`` + ``parameters`` (JSON), ``X-BLToken``.

Orders come from the journal (``getJournalList``, cursor ``last_log_id``): an entry about an order's
creation, its packages or its status makes us read the order (``getOrders``) and its packages
(``getOrderPackages``) afresh, so entries arriving twice or out of order only cause a repeat read.
The journal keeps three days and must be turned on in the account. The first sync reads the
journal's head, imports the orders of the last N days, then follows the journal from that head.

Cursor: ``import:<journal head>:<unix time to continue from>`` during the first import, then the
last ``log_id`` read. 100 requests a minute per token, held by the shared rate limiter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.base import SHAPE_ERRORS, Connector, quantity_of
from integrations.couriers import carrier_for_courier
from integrations.types import ConnectorError, ErrorKind, OrderData, ParcelData, ParcelRef, PollBatch

API_URL = "https://api.baselinker.com/connector.php"
RATE_PER_SECOND = 100 / 60
PAGE = 100  # getJournalList and getOrders answer at most 100 rows
ORDERS_PER_POLL = 50  # two calls an order: a poll stays well inside a minute's quota

# Journal entry types that change what we show (BaseLinker's numbering): creation, confirmation, splitting,
# packages created/deleted, delivery data, products added/edited/removed, order data, copies, status changes.
JOURNAL_TYPES = (1, 2, 6, 9, 10, 11, 12, 13, 14, 16, 17, 18)
ORDER_CREATED = 1
# The journal keeps three days: a cursor older than that has lost entries, so the next sync imports again.
JOURNAL_KEEPS = timedelta(days=3)

# BaseLinker's courier codes that name our carriers differently; others go through ``carrier_for_courier``.
COURIER_CODES: dict[str, str] = {
    "paczkomaty": "inpost",
    "inpostkurier": "inpost",
    "pocztex": "poczta_polska",
    "pocztapolska": "poczta_polska",
    "pp": "poczta_polska",
    "zasilkovna": "packeta",
    "ruch": "orlen",
    "orlenpaczka": "orlen",
    "dhl24": "dhl",
    "dhlparcel": "dhl",
}

JOURNAL_OFF = (
    "BaseLinker's order journal is off for this account, so changes cannot be followed. "
    "Turn on the journal (order event log) in BaseLinker's API settings, or ask BaseLinker's support to."
)

Throttle = Callable[[str, float], bool]


class BaseLinker(Connector):
    """The BaseLinker journal poller, order reader and status writer."""

    platform = "baselinker"
    display_name = "BaseLinker"
    polls = True
    supports_write_back = True
    cursor_lifetime = JOURNAL_KEEPS

    def __init__(self, *, api_url: str = API_URL, throttle: Throttle | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_url = api_url
        self.throttle = throttle

    def call(self, method: str, **parameters: Any) -> dict[str, Any]:
        """One RPC call; BaseLinker's ERROR answers become typed errors in plain words."""
        if self.throttle is not None and not self.throttle(f"baselinker:{self.credentials.key}", RATE_PER_SECOND):
            raise ConnectorError(ErrorKind.TRANSIENT, "BaseLinker's limit of 100 requests a minute is used up for now")
        response = self.send(
            "POST",
            self.api_url,
            headers={"X-BLToken": self.credentials.api_token},
            data={"method": method, "parameters": json.dumps(parameters)},
        )
        answer = self.json_of(response, "BaseLinker")
        if not isinstance(answer, dict):
            raise ConnectorError(ErrorKind.MALFORMED, "BaseLinker answered something we cannot read")
        if answer.get("status") != "SUCCESS":
            raise _error_of(answer)
        return answer

    def test(self) -> str:
        statuses = self.call("getOrderStatusList").get("statuses") or []
        self.call("getJournalList", last_log_id=0, logs_types=[ORDER_CREATED])
        return f"Connected to BaseLinker: {len(statuses)} order statuses, the order journal is on."

    def poll(self, *, cursor: str, since: datetime) -> PollBatch:
        try:
            if not cursor:
                cursor = f"import:{self._journal_head()}:{int(since.timestamp())}"
            if cursor.startswith("import:"):
                return self._import_page(cursor)
            return self._journal_page(int(cursor))
        except SHAPE_ERRORS as error:
            raise ConnectorError(
                ErrorKind.MALFORMED, f"BaseLinker's journal had an unexpected shape ({error})"
            ) from error

    def write_back_delivered(self, parcel: ParcelRef) -> None:
        if not self.credentials.delivered_status_id.isdigit():
            raise ConnectorError(ErrorKind.SETUP, "Choose BaseLinker's order status id for 'delivered' first")
        self.call(
            "setOrderStatus",
            order_id=int(parcel.platform_order_id),
            status_id=int(self.credentials.delivered_status_id),
        )

    def order(self, order_id: int, problems: list[str]) -> OrderData | None:
        """The order and its packages as BaseLinker has them now; None when deleted or not confirmed yet."""
        rows = self.call("getOrders", order_id=order_id, get_unconfirmed_orders=True).get("orders") or []
        if not rows or rows[0].get("confirmed") is False:
            return None  # deleted, or not confirmed by the buyer yet (its confirmation is a journal entry too)
        return self._read(rows[0], problems)

    def _journal_head(self) -> int:
        head = 0
        while True:
            logs = self.call("getJournalList", last_log_id=head, logs_types=list(JOURNAL_TYPES)).get("logs") or []
            if not logs:
                return head
            head = max(head, *(int(log["log_id"]) for log in logs))
            if len(logs) < PAGE:
                return head

    def _import_page(self, cursor: str) -> PollBatch:
        _, head, date_from = cursor.split(":")
        rows = self.call("getOrders", date_confirmed_from=int(date_from), get_unconfirmed_orders=False).get("orders")
        rows = rows or []
        problems: list[str] = []
        orders = [order for order in (self._read(row, problems) for row in rows[:ORDERS_PER_POLL]) if order]
        if len(rows) > ORDERS_PER_POLL or len(rows) >= PAGE:
            last = max(int(row.get("date_confirmed") or 0) for row in rows[:ORDERS_PER_POLL])
            # Orders confirmed in the same second as the last one are read again: repeats are harmless. A page
            # that is all one second must still move on.
            last = max(last, int(date_from) + 1)
            return PollBatch(orders=orders, cursor=f"import:{head}:{last}", more=True, problems=problems)
        return PollBatch(orders=orders, cursor=head, problems=problems)

    def _journal_page(self, last_log_id: int) -> PollBatch:
        logs = self.call("getJournalList", last_log_id=last_log_id, logs_types=list(JOURNAL_TYPES)).get("logs") or []
        logs = sorted(logs, key=lambda log: int(log["log_id"]))
        order_ids: list[int] = []
        cursor, stopped = last_log_id, False
        for log in logs:
            order_id = int(log.get("order_id") or 0)
            if order_id and order_id not in order_ids:
                if len(order_ids) == ORDERS_PER_POLL:
                    stopped = True
                    break
                order_ids.append(order_id)
            cursor = int(log["log_id"])
        problems: list[str] = []
        orders = [order for order in (self.order(order_id, problems) for order_id in order_ids) if order is not None]
        return PollBatch(orders=orders, cursor=str(cursor), more=stopped or len(logs) >= PAGE, problems=problems)

    def _read(self, row: dict[str, Any], problems: list[str]) -> OrderData | None:
        """The order with its packages; None (and a problem) when its shape is unexpected, so the journal moves on."""
        try:
            packages = self.call("getOrderPackages", order_id=int(row["order_id"])).get("packages") or []
            return order_from(row, packages)
        except SHAPE_ERRORS as error:
            problems.append(f"BaseLinker order {row.get('order_id', '?')} could not be read ({error}); skipped")
            return None


def _error_of(answer: dict[str, Any]) -> ConnectorError:
    code = str(answer.get("error_code") or "")
    text = str(answer.get("error_message") or code or "no reason given")
    if "journal" in f"{code} {text}".lower():
        return ConnectorError(ErrorKind.SETUP, JOURNAL_OFF)
    if "TOKEN" in code or "ACCOUNT" in code or "PERMISSION" in code:
        return ConnectorError(ErrorKind.AUTH, f"BaseLinker refused the API token ({text}); enter a new one")
    if "LIMIT" in code:
        return ConnectorError(ErrorKind.TRANSIENT, f"BaseLinker's request limit was reached ({text})")
    return ConnectorError(ErrorKind.MALFORMED, f"BaseLinker refused the request: {text}")


def carrier_for_code(code: str) -> str | None:
    """Our carrier for a BaseLinker courier code, or None (then it is detected from the number)."""
    key = "".join(ch for ch in code.lower() if ch.isalnum())
    return COURIER_CODES.get(key) or carrier_for_courier(code)


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


def order_from(row: dict[str, Any], packages: list[dict[str, Any]]) -> OrderData:
    """An order of ``getOrders`` and its ``getOrderPackages`` as an ``OrderData``."""
    products = row.get("products") or []
    items = [
        {
            "name": str(product.get("name") or "?")[:255],
            "sku": str(product.get("sku") or "")[:64],
            "quantity": quantity_of(product.get("quantity")),
            "unit_price": _money(product.get("price_brutto")),
        }
        for product in products
    ]
    total = sum((item["unit_price"] * item["quantity"] for item in items), Decimal(0)) + _money(
        row.get("delivery_price")
    )
    placed = int(row.get("date_confirmed") or row.get("date_add") or 0)
    fields = {
        "customer_name": str(row.get("delivery_fullname") or "")[:200],
        "customer_email": str(row.get("email") or "").strip(),
        "customer_phone": str(row.get("phone") or "")[:40],
        "shipping_city": str(row.get("delivery_city") or "")[:120],
        "shipping_postcode": str(row.get("delivery_postcode") or "")[:20],
        "shipping_country": str(row.get("delivery_country_code") or "")[:2].upper(),
        "currency": str(row.get("currency") or "PLN")[:3].upper(),
        "total_amount": total.quantize(Decimal("0.01")),
        "shipping_method": str(row.get("delivery_method") or "")[:120],
    }
    if placed:
        fields["placed_at"] = datetime.fromtimestamp(placed, tz=UTC)
    point_id = str(row.get("delivery_point_id") or "")
    pickup_point = None
    if point_id:
        pickup_point = {
            "id": point_id,
            "name": str(row.get("delivery_point_name") or ""),
            "address": str(row.get("delivery_point_address") or ""),
            "postcode": str(row.get("delivery_point_postcode") or ""),
            "city": str(row.get("delivery_point_city") or ""),
            "country": fields["shipping_country"],
        }
    parcels = tuple(
        ParcelData(
            platform_parcel_id=str(package["package_id"]),
            tracking_number=str(package.get("courier_package_nr") or ""),
            courier=str(package.get("courier_code") or package.get("courier_other_name") or ""),
            carrier=carrier_for_code(str(package.get("courier_code") or package.get("courier_other_name") or "")),
            is_return=bool(package.get("is_return")),
        )
        for package in packages
        if package.get("package_id") is not None
    )
    return OrderData(
        platform_order_id=str(row["order_id"]),
        number=str(row["order_id"]),
        fields=fields,
        items=items,
        parcels=parcels,
        parcels_complete=True,
        pickup_point=pickup_point,
    )
