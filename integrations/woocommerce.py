"""WooCommerce: ``order.created`` / ``order.updated`` webhooks and a REST back-fill (``/wp-json/wc/v3/orders``).

Webhooks carry the REST order; ``X-WC-Webhook-Signature`` is base64(HMAC-SHA256 of the raw body) with
the webhook's secret. Tracking numbers come from the order's meta ``_wc_shipment_tracking_items``,
written by WooCommerce Shipment Tracking and by Advanced Shipment Tracking (which adds a provider
slug and ``formatted_tracking_provider``), or AST's older single ``_tracking_number`` /
``_tracking_provider`` pair. The back-fill reads orders modified after the cursor (an ISO time),
oldest first, with the consumer key and secret (HTTP Basic over HTTPS), through the SSRF-safe client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from integrations.base import SHAPE_ERRORS, Connector, base64_hmac_matches, quantity_of
from integrations.couriers import carrier_for_courier
from integrations.types import ConnectorError, ErrorKind, OrderData, ParcelData, PollBatch, WebhookEvent

PAGE = 50
TRACKING_META = "_wc_shipment_tracking_items"
TOPICS = ("order.created", "order.updated")


class WooCommerce(Connector):
    """WooCommerce webhooks in, orders back-filled over REST."""

    platform = "woocommerce"
    display_name = "WooCommerce"
    polls = True

    def rest_url(self, path: str) -> str:
        store = self.credentials.store_url.rstrip("/")
        if not store.startswith("https://"):
            raise ConnectorError(ErrorKind.SETUP, "Enter the shop's address starting with https://")
        return f"{store}/wp-json/wc/v3/{path}"

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        auth = httpx.BasicAuth(self.credentials.api_token, self.credentials.api_secret)
        response = self.send("GET", self.rest_url(path), params=params, auth=auth)
        return self.json_of(response, "WooCommerce")

    def test(self) -> str:
        orders = self._get("orders", {"per_page": 1})
        if not isinstance(orders, list):
            raise ConnectorError(ErrorKind.MALFORMED, "WooCommerce answered something that is not a list of orders")
        return "Connected to WooCommerce: the orders API answers with these keys."

    def poll(self, *, cursor: str, since: datetime) -> PollBatch:
        after = _when(cursor) or since
        # One second back: orders modified in the same second as the last one read are not lost (repeats are harmless).
        params = {
            "modified_after": (after - timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": PAGE,
        }
        rows = self._get("orders", params)
        if not isinstance(rows, list):
            raise ConnectorError(ErrorKind.MALFORMED, "WooCommerce answered something that is not a list of orders")
        orders, problems = [], []
        for row in rows:
            try:
                orders.append(order_from(row))
            except SHAPE_ERRORS as error:
                problems.append(
                    f"WooCommerce order {row.get('id') if isinstance(row, dict) else '?'} could not be read ({error})"
                )
        stamps = [order.updated_at for order in orders if order.updated_at is not None]
        newest = max(stamps, default=after)
        more = len(rows) >= PAGE and newest > after
        return PollBatch(orders=orders, cursor=newest.isoformat(), more=more, problems=problems)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return base64_hmac_matches(self.credentials.webhook_secret, body, headers.get("X-WC-Webhook-Signature", ""))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        topic = headers.get("X-WC-Webhook-Topic", "")
        delivery_id = headers.get("X-WC-Webhook-Delivery-ID", "")
        if topic not in TOPICS:
            return WebhookEvent(delivery_id=delivery_id, topic=topic)
        try:
            document = json.loads(body)
        except ValueError as error:
            raise ConnectorError(ErrorKind.MALFORMED, "the webhook body is not JSON") from error
        if not isinstance(document, dict) or document.get("id") in (None, ""):
            raise ConnectorError(ErrorKind.MALFORMED, "the webhook body is not an order")
        try:
            orders = (order_from(document),)
        except SHAPE_ERRORS as error:
            raise ConnectorError(
                ErrorKind.MALFORMED, f"the {topic} webhook has an unexpected shape ({error})"
            ) from error
        return WebhookEvent(delivery_id=delivery_id, topic=topic, orders=orders)


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    # WooCommerce's *_gmt fields carry no offset.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


def _meta(document: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(entry.get("key")): entry.get("value")
        for entry in document.get("meta_data") or []
        if isinstance(entry, dict)
    }


def tracking_parcels(document: Mapping[str, Any]) -> tuple[tuple[ParcelData, ...], bool]:
    """The order's tracking numbers from the tracking plugins' meta, and whether that list is complete."""
    meta = _meta(document)
    parcels: list[ParcelData] = []
    complete = False
    items = meta.get(TRACKING_META)
    if isinstance(items, str):
        try:
            items = json.loads(items)
        except ValueError:
            items = None
    if isinstance(items, list):
        complete = True
        for item in items:
            if not isinstance(item, dict) or not item.get("tracking_number"):
                continue
            courier = str(
                item.get("custom_tracking_provider")
                or item.get("formatted_tracking_provider")
                or item.get("tracking_provider")
                or ""
            )
            slug_carrier = carrier_for_courier(str(item.get("tracking_provider") or ""))
            number = str(item["tracking_number"]).strip()
            parcels.append(
                ParcelData(
                    platform_parcel_id=str(item.get("tracking_id") or number),
                    tracking_number=number,
                    courier=courier,
                    carrier=slug_carrier or carrier_for_courier(courier),
                )
            )
    elif meta.get("_tracking_number"):
        number = str(meta["_tracking_number"]).strip()
        courier = str(meta.get("_tracking_provider") or "")
        parcels.append(
            ParcelData(
                platform_parcel_id=number, tracking_number=number, courier=courier, carrier=carrier_for_courier(courier)
            )
        )
    return tuple(parcels), complete


def order_from(document: Mapping[str, Any]) -> OrderData:
    """A WooCommerce REST order as an ``OrderData``."""
    billing = document.get("billing") or {}
    shipping = document.get("shipping") or {}
    name = " ".join(
        part
        for part in (
            shipping.get("first_name") or billing.get("first_name"),
            shipping.get("last_name") or billing.get("last_name"),
        )
        if part
    )
    fields: dict[str, Any] = {
        "customer_name": name[:200],
        "customer_email": str(billing.get("email") or "").strip(),
        "customer_phone": str(shipping.get("phone") or billing.get("phone") or "")[:40],
        "shipping_city": str(shipping.get("city") or billing.get("city") or "")[:120],
        "shipping_postcode": str(shipping.get("postcode") or billing.get("postcode") or "")[:20],
        "shipping_country": str(shipping.get("country") or billing.get("country") or "")[:2].upper(),
        "currency": str(document.get("currency") or "PLN")[:3].upper(),
        "total_amount": _money(document.get("total")),
        "shipping_method": str(((document.get("shipping_lines") or [{}])[0] or {}).get("method_title") or "")[:120],
    }
    placed = _when(document.get("date_created_gmt"))
    if placed is not None:
        fields["placed_at"] = placed
    items = [
        {
            "name": str(line.get("name") or "?")[:255],
            "sku": str(line.get("sku") or "")[:64],
            "quantity": quantity_of(line.get("quantity")),
            "unit_price": _money(line.get("price")),
        }
        for line in document.get("line_items") or []
        if isinstance(line, dict)
    ]
    parcels, complete = tracking_parcels(document)
    status = str(document.get("status") or "")
    return OrderData(
        platform_order_id=str(document["id"]),
        number=str(document.get("number") or document["id"]),
        fields=fields,
        items=items,
        parcels=parcels,
        parcels_complete=complete,
        discount_codes=tuple(
            str(line.get("code"))
            for line in document.get("coupon_lines") or []
            if isinstance(line, dict) and line.get("code")
        )
        if status not in ("cancelled", "failed", "refunded")
        else (),
        updated_at=_when(document.get("date_modified_gmt")),
    )
