"""Shopify: ``orders/create`` and ``fulfillments/create|update`` webhooks, and the delivered fulfillment event back.

Webhooks are signed with the app's secret: ``X-Shopify-Hmac-SHA256`` is base64(HMAC-SHA256 of the raw
body). ``X-Shopify-Webhook-Id`` is the same for every retry of one delivery. A fulfillment names its
order only by id, so it may arrive before the order (the services keep it until the order comes).
Admin API calls (test, write-back) go to the store's own ``https://<store>.myshopify.com`` with
``X-Shopify-Access-Token``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.base import SHAPE_ERRORS, Connector, base64_hmac_matches, quantity_of
from integrations.couriers import carrier_for_courier
from integrations.types import ConnectorError, ErrorKind, OrderData, ParcelData, ParcelRef, WebhookEvent

API_VERSION = "2025-01"
TOPICS = ("orders/create", "orders/updated", "fulfillments/create", "fulfillments/update")


class Shopify(Connector):
    """Shopify webhooks in, the delivered fulfillment event out."""

    platform = "shopify"
    display_name = "Shopify"
    supports_write_back = True
    fetches_orders = True

    def admin_url(self, path: str) -> str:
        store = self.credentials.store_url.rstrip("/")
        if not store.startswith("https://"):
            raise ConnectorError(ErrorKind.SETUP, "Enter the store's address as https://<store>.myshopify.com")
        return f"{store}/admin/api/{API_VERSION}/{path}"

    def _headers(self) -> dict[str, str]:
        return {"X-Shopify-Access-Token": self.credentials.api_token, "Accept": "application/json"}

    def test(self) -> str:
        answer = self.json_of(self.send("GET", self.admin_url("shop.json"), headers=self._headers()), "Shopify")
        name = (answer.get("shop") or {}).get("name", "?") if isinstance(answer, dict) else "?"
        return f"Connected to the Shopify store {name!r}."

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return base64_hmac_matches(self.credentials.webhook_secret, body, headers.get("X-Shopify-Hmac-SHA256", ""))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        topic = headers.get("X-Shopify-Topic", "")
        delivery_id = headers.get("X-Shopify-Webhook-Id", "")
        try:
            document = json.loads(body)
        except ValueError as error:
            raise ConnectorError(ErrorKind.MALFORMED, "the webhook body is not JSON") from error
        if not isinstance(document, dict):
            raise ConnectorError(ErrorKind.MALFORMED, "the webhook body is not a JSON object")
        try:
            if topic in ("orders/create", "orders/updated"):
                orders: tuple[OrderData, ...] = (order_from(document),)
            elif topic in ("fulfillments/create", "fulfillments/update"):
                orders = (fulfillment_news(document),)
            else:
                orders = ()
        except SHAPE_ERRORS as error:
            raise ConnectorError(
                ErrorKind.MALFORMED, f"the {topic} webhook has an unexpected shape ({error})"
            ) from error
        return WebhookEvent(delivery_id=delivery_id, topic=topic, orders=orders)

    def fetch_order(self, platform_order_id: str) -> OrderData | None:
        response = self.send(
            "GET", self.admin_url(f"orders/{int(platform_order_id)}.json"), headers=self._headers(), missing_ok=True
        )
        if response.status_code == 404:
            return None
        answer = self.json_of(response, "Shopify")
        try:
            return order_from(answer["order"])
        except SHAPE_ERRORS as error:
            raise ConnectorError(ErrorKind.MALFORMED, f"Shopify's order had an unexpected shape ({error})") from error

    def write_back_delivered(self, parcel: ParcelRef) -> None:
        path = f"orders/{parcel.platform_order_id}/fulfillments/{parcel.group_id}/events.json"
        self.send("POST", self.admin_url(path), headers=self._headers(), json={"event": {"status": "delivered"}})


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


def _require_id(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if value in (None, ""):
        raise ConnectorError(ErrorKind.MALFORMED, f"the webhook has no {key}")
    return str(value)


def parcels_of(fulfillment: Mapping[str, Any]) -> tuple[ParcelData, ...]:
    """A fulfillment's tracking numbers as parcels (one per number, keyed by fulfillment id and number)."""
    fulfillment_id = str(fulfillment.get("id") or "")
    numbers = [str(n) for n in (fulfillment.get("tracking_numbers") or []) if n]
    if not numbers and fulfillment.get("tracking_number"):
        numbers = [str(fulfillment["tracking_number"])]
    company = str(fulfillment.get("tracking_company") or "")
    if str(fulfillment.get("status") or "") in ("cancelled", "error", "failure"):
        return ()
    return tuple(
        ParcelData(
            platform_parcel_id=f"{fulfillment_id}:{number}",
            tracking_number=number,
            courier=company,
            carrier=carrier_for_courier(company),
            group_id=fulfillment_id,
        )
        for number in dict.fromkeys(numbers)
    )


def fulfillment_news(fulfillment: Mapping[str, Any]) -> OrderData:
    """A fulfillment webhook: parcels for an order known only by its id."""
    _require_id(fulfillment, "id")
    return OrderData(platform_order_id=_require_id(fulfillment, "order_id"), parcels=parcels_of(fulfillment))


def order_from(document: Mapping[str, Any]) -> OrderData:
    """An ``orders/create`` body as an ``OrderData`` (with the fulfillments it already has)."""
    address = document.get("shipping_address") or {}
    customer = document.get("customer") or {}
    name = address.get("name") or " ".join(
        part for part in (customer.get("first_name"), customer.get("last_name")) if part
    )
    number = str(document.get("name") or document.get("order_number") or document.get("id") or "").lstrip("#")
    fields: dict[str, Any] = {
        "customer_name": str(name or "")[:200],
        "customer_email": str(
            document.get("email") or document.get("contact_email") or customer.get("email") or ""
        ).strip(),
        "customer_phone": str(document.get("phone") or address.get("phone") or "")[:40],
        "shipping_city": str(address.get("city") or "")[:120],
        "shipping_postcode": str(address.get("zip") or "")[:20],
        "shipping_country": str(address.get("country_code") or "")[:2].upper(),
        "currency": str(document.get("currency") or "PLN")[:3].upper(),
        "total_amount": _money(document.get("total_price")),
        "email_marketing_consent": bool(document.get("buyer_accepts_marketing")),
        "locale": str(document.get("customer_locale") or ""),
        "shipping_method": str(((document.get("shipping_lines") or [{}])[0] or {}).get("title") or "")[:120],
    }
    placed = _when(document.get("created_at"))
    if placed is not None:
        fields["placed_at"] = placed
    items = [
        {
            "name": str(line.get("name") or line.get("title") or "?")[:255],
            "sku": str(line.get("sku") or "")[:64],
            "quantity": quantity_of(line.get("quantity")),
            "unit_price": _money(line.get("price")),
        }
        for line in document.get("line_items") or []
    ]
    parcels = tuple(parcel for f in document.get("fulfillments") or [] for parcel in parcels_of(f))
    return OrderData(
        platform_order_id=_require_id(document, "id"),
        number=number,
        fields=fields,
        items=items,
        parcels=parcels,
        discount_codes=tuple(str(d.get("code")) for d in document.get("discount_codes") or [] if d.get("code")),
        updated_at=_when(document.get("updated_at")),
    )
