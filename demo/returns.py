"""The demo's returns: rules, reasons, a store-credit pool and a few returns in different states.

The window counts from the order date, so every demo order can be returned at once (its parcels start
pending and are delivered by the simulator later). One return gets its InPost code and nearest lockers
from the carrier simulator run in process, so the seed stays offline; another gets a label PDF as support
uploads it; an exchange names a catalog product, and store credit carries the shop's 10% bonus.
"""

from datetime import datetime
from decimal import Decimal

import httpx
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.discounts import discount_codes_generate
from campaigns.models import DiscountPool, PoolKind
from carriers.inpost_returns import InPostReturnsClient
from carriers.simulator import make_wsgi_app
from returns.digest import return_digest_send
from returns.labels import return_label_issue
from returns.methods import return_code_issue
from returns.models import PhotoRule, ReturnReason, ReturnRequest, ReturnRule, ReturnSettings, WindowStart
from returns.selectors import exchange_choices
from returns.services import (
    ReturnLine,
    return_approve,
    return_receive,
    return_reject,
    return_request_create,
    return_resolve,
)
from shipments.models import Order
from shops.models import Shop

# The in-process simulator answers any host; the first path segment names the carrier.
SIMULATOR = "http://simulator"
REASONS = [
    ("size", "Zły rozmiar / Wrong size", PhotoRule.OFF),
    ("damaged", "Uszkodzony / Damaged", PhotoRule.REQUIRED),
    ("not-as-described", "Niezgodny z opisem / Not as described", PhotoRule.OPTIONAL),
    ("changed-mind", "Rozmyśliłem się / Changed my mind", PhotoRule.OFF),
]


def demo_label_pdf(*, order_number: str) -> bytes:
    """A one-page PDF standing in for a carrier's return label (valid offsets, so any viewer opens it)."""
    text = f"BT /F1 14 Tf 36 540 Td (Return label - order {order_number} - DEMO) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def demo_returns_seed(*, shop: Shop, orders: list[Order], now: datetime) -> None:
    """Rules, reasons and six returns of ``orders`` (exchange requested, approved, rejected, credited, code issued,
    label uploaded)."""
    pool = DiscountPool.objects.create(
        shop=shop, name="Store credit (returns)", kind=PoolKind.GENERATED, description="Store credit", valid_days=365
    )
    discount_codes_generate(pool=pool, pattern="ZWROT-????-????", count=20)
    ReturnSettings.objects.create(
        shop=shop,
        country="PL",
        return_address="Ziarno, Zwroty, ul. Palarni 7, 30-001 Kraków",
        methods=["inpost_code", "packeta_code", "label", "self_send"],
        packeta_return_code="ZIARNO-ZWROT",
        store_credit_pool=pool,
        store_credit_bonus_percent=10,
    )
    ReturnRule.objects.create(
        shop=shop, window_days=30, window_start=WindowStart.ORDER, excluded_tags="bezkofeinowa", auto_approve=False
    )
    ReturnRule.objects.create(
        shop=shop, destination_country="DE", window_days=14, window_start=WindowStart.ORDER, fee=Decimal("9.99")
    )
    reasons = {
        code: ReturnReason.objects.create(shop=shop, code=code, label=label, photo=photo, position=index)
        for index, (code, label, photo) in enumerate(REASONS)
    }

    def one_item_return(order: Order, reason: str, resolution: str, method: str):  # type: ignore[no-untyped-def]
        item = order.items.exclude(tags__contains="bezkofeinowa").order_by("pk").first()
        if item is None:
            return None
        # An exchange names the catalog product wanted instead, as a customer picks it in the portal.
        choices = exchange_choices(shop_id=shop.pk, order_item=item, limit=1) if resolution == "exchange" else []
        line = ReturnLine(
            order_item_id=item.pk,
            quantity=1,
            reason_id=reasons[reason].pk,
            exchange_sku=choices[0].sku if choices else "",
        )
        return return_request_create(
            order=order,
            lines=[line],
            resolution=resolution,
            method=method,
            now=now,
        )

    one_item_return(orders[1], "size", "exchange", "packeta_code")
    approved = one_item_return(orders[2], "not-as-described", "refund", "self_send")
    if approved is not None:
        return_approve(return_request=approved, now=now)
    rejected = one_item_return(orders[3], "changed-mind", "refund", "self_send")
    if rejected is not None:
        return_reject(return_request=rejected, reason="Opened coffee cannot be returned", now=now)
    credited = one_item_return(orders[4], "size", "store_credit", "self_send")
    if credited is not None:
        return_approve(return_request=credited, now=now)
        return_receive(return_request=credited, now=now)
        return_resolve(return_request=credited, now=now)
    with_code = one_item_return(orders[5], "not-as-described", "refund", "inpost_code")
    if with_code is not None:
        _inpost_code_issue(return_approve(return_request=with_code, now=now), now=now)
    with_label = one_item_return(orders[6], "size", "refund", "label")
    if with_label is not None:
        # Support's upload in the queue: the customer prints it from the return's page and email.
        upload = SimpleUploadedFile("label.pdf", demo_label_pdf(order_number=orders[6].number), "application/pdf")
        return_label_issue(return_request=return_approve(return_request=with_label, now=now), upload=upload, now=now)
    # The shop's alert about the request still waiting for approval, as the hourly beat would send it.
    return_digest_send(shop=shop, now=now)


def _inpost_code_issue(return_request: ReturnRequest, *, now: datetime) -> None:
    """The InPost code and nearest lockers from the in-process simulator: the seed stays offline."""
    simulator_app = make_wsgi_app(speed=720)
    with httpx.Client(transport=httpx.WSGITransport(app=simulator_app)) as simulator:
        client = InPostReturnsClient(
            base_url=f"{SIMULATOR}/inpost_returns",
            client_id="demo",
            client_secret="demo",  # noqa: S106 (the simulator takes any secret)
            client=simulator,
        )
        return_code_issue(
            return_request_id=return_request.pk,
            client=client,
            points_client=simulator,
            points_base_url=f"{SIMULATOR}/inpost",
            now=now,
        )
