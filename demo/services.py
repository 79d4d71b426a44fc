"""Seeding the demo: two shops (isolation is visible), a catalog, customers and parcels about to move."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from campaigns.catalog import product_bulk_upsert
from campaigns.discounts import discount_codes_generate
from campaigns.models import DiscountPool, PoolKind
from campaigns.services import campaign_create, recommendation_rule_create
from campaigns.setups import delay_apology_setup
from carriers.detection import s10_check_digit
from demo.catalog import (
    CUSTOMERS,
    DEMO_MARKETER,
    DEMO_OWNER,
    DEMO_SHOP,
    DEMO_SUPPORT,
    OTHER_OWNER,
    OTHER_SHOP,
    PRODUCTS,
)
from demo.feedback import demo_feedback_seed
from demo.reconciliation import demo_reconciliation_seed
from demo.returns import demo_returns_seed
from demo.sms import demo_sms_seed
from shipments.models import Direction, Order
from shipments.services import order_upsert, shipment_add
from shops.models import Role, Shop
from shops.services import member_add, shop_create

# The demo's parcels: which carrier, and how many parcels the order is split into.
ORDER_PLAN = [
    ("inpost", 1),
    ("dpd", 1),
    ("dhl", 1),
    ("poczta_polska", 1),
    ("inpost", 2),
    ("inpost", 1),
    ("dpd", 1),
    ("dhl", 1),
    ("poczta_polska", 1),
    ("inpost", 1),
    ("packeta", 1),
    ("dpd", 1),
]


@dataclass(frozen=True)
class DemoSeed:
    """What the seeder made, for the runner to print."""

    shop: Shop
    orders: list[Order]


def demo_tracking_number(carrier: str, rng: random.Random) -> str:
    """A number in the carrier's real format (valid check digit where the format has one)."""
    digits = lambda count: "".join(rng.choice("0123456789") for _ in range(count))  # noqa: E731
    if carrier == "inpost":
        return "6" + digits(23)
    if carrier == "dpd":
        return digits(13) + "U"
    if carrier == "dhl":
        return "00340434" + digits(12)
    if carrier == "packeta":
        return "Z" + digits(10)
    if carrier == "poczta_polska":
        serial = digits(8)
        return f"RR{serial}{s10_check_digit(serial)}PL"
    raise ValueError(f"no demo number format for {carrier}")


def _seed_marketing(*, shop: Shop, static_base: str) -> None:
    """A catalog, cross-sell rules, a review-time campaign with unique codes, and the delay apology."""
    site = DEMO_SHOP["website_url"]
    product_bulk_upsert(
        shop=shop,
        rows=[
            {
                "sku": sku,
                "name": name,
                "url": f"{site}/p/{sku.lower()}",
                "image_url": f"{static_base}{image}.svg",
                "price": price,
                "currency": "PLN",
                "category": category,
                "tags": tags,
            }
            for sku, name, price, category, tags, image in PRODUCTS
        ],
    )
    recommendation_rule_create(
        shop=shop,
        name="Sprzęt → świeża kawa",
        match_kind="category",
        match_value="sprzet",
        recommend_kind="category",
        recommend_value="kawa",
        link_title="Poradnik: jak parzyć w V60",
        link_url=f"{site}/poradniki/v60",
    )
    recommendation_rule_create(
        shop=shop,
        name="Kawa → akcesoria do przelewu",
        match_kind="category",
        match_value="kawa",
        recommend_kind="tag",
        recommend_value="przelew",
    )
    pool = DiscountPool.objects.create(
        shop=shop, name="Kody na kolejne zamówienie", kind=PoolKind.GENERATED, description="-15% na kolejne zamówienie"
    )
    discount_codes_generate(pool=pool, pattern="ZIARNO-????-????", count=300)
    campaign_create(
        shop=shop,
        name="Dostarczone: poleć coś do kawy",
        slug="dostarczone-cross-sell",
        status="active",
        trigger_type="status_entered",
        trigger_status="delivered",
        discount_pool=pool,
        show_on_page=True,
        variants="A:50, B:50",
        contents=[
            {
                "variant": variant,
                "language": "pl",
                "subject": subject,
                "heading": "Smacznej kawy!",
                "body_markdown": "Twoja paczka dotarła. Na kolejne zamówienie mamy dla Ciebie **rabat 15%**.",
                "cta_text": "Wybierz kolejną kawę",
                "cta_url": f"{site}/kawy",
            }
            for variant, subject in (
                ("A", "Paczka dotarła — rabat 15% na kolejną kawę"),
                ("B", "Smacznej kawy! Mamy dla Ciebie -15%"),
            )
        ]
        + [
            {
                "variant": variant,
                "language": "en",
                "subject": "Your parcel arrived — 15% off your next coffee",
                "heading": "Enjoy your coffee!",
                "body_markdown": "Your parcel is here. Here is **15% off** your next order.",
                "cta_text": "Pick your next coffee",
                "cta_url": f"{site}/kawy",
            }
            for variant in ("A", "B")
        ],
    )
    delay_apology_setup(shop=shop, code_count=200)


def _user(email: str, password: str):  # type: ignore[no-untyped-def]
    user_model = get_user_model()
    user = user_model.objects.filter(username=email).first() or user_model(username=email, email=email)
    user.set_password(password)
    user.is_staff = True
    user.save()
    return user


def _reset() -> None:
    Shop.objects.filter(slug__in=[DEMO_SHOP["slug"], OTHER_SHOP["slug"]]).delete()


@transaction.atomic
def demo_seed(
    *, reset: bool = True, now: datetime | None = None, seed: int = 2026, public_base_url: str | None = None
) -> DemoSeed:
    """Create the demo shops and orders; with ``reset`` the previous demo data is replaced.

    Product images point at ``public_base_url`` (default ``settings.PUBLIC_BASE_URL``), where the demo serves them.
    """
    now = now or timezone.now()
    rng = random.Random(seed)
    if reset:
        _reset()
    existing = Shop.objects.filter(slug=DEMO_SHOP["slug"]).first()
    if existing is not None:
        return DemoSeed(shop=existing, orders=list(existing.orders.order_by("placed_at")))

    owner_email, password = DEMO_OWNER
    _user(owner_email, password)
    shop = shop_create(owner_email=owner_email, trust_existing_owner=True, **DEMO_SHOP).shop
    for email, role in ((DEMO_MARKETER[0], Role.MARKETER), (DEMO_SUPPORT[0], Role.SUPPORT)):
        member_add(shop=shop, user=_user(email, password), role=role)
    _user(OTHER_OWNER[0], OTHER_OWNER[1])
    other = shop_create(owner_email=OTHER_OWNER[0], trust_existing_owner=True, **OTHER_SHOP).shop

    static_base = f"{public_base_url or settings.PUBLIC_BASE_URL}{settings.STATIC_URL}demo/"
    _seed_marketing(shop=shop, static_base=static_base)
    demo_sms_seed(shop=shop)
    orders = []
    for index, ((carrier, parcels), customer) in enumerate(zip(ORDER_PLAN, CUSTOMERS, strict=True)):
        name, email, city, postcode, locale = customer
        picked = rng.sample(PRODUCTS, k=rng.randint(1, 3))
        items = [
            {
                "sku": sku,
                "name": product_name,
                "quantity": rng.randint(1, 2),
                "unit_price": price,
                "image_url": f"{static_base}{image}.svg",
                "product_url": f"{DEMO_SHOP['website_url']}/p/{sku.lower()}",
                "category": category,
                "tags": ",".join(tags),
            }
            for sku, product_name, price, category, tags, image in picked
        ]
        total = sum(item["unit_price"] * item["quantity"] for item in items)
        order, _ = order_upsert(
            shop=shop,
            number=f"ZI-{2026_1100 + index}",
            items=items,
            customer_name=name,
            customer_email=email,
            customer_phone=f"+48 600 {rng.randint(100, 999)} {rng.randint(100, 999)}",
            shipping_city=city,
            shipping_postcode=postcode,
            shipping_country={"de": "DE", "cs": "CZ", "sk": "SK"}.get(locale, "PL"),
            locale=locale,
            email_marketing_consent=index % 4 != 3,
            sms_marketing_consent=index % 4 == 0,
            currency="PLN",
            total_amount=total,
            shipping_method={"inpost": "Paczkomat InPost 24/7"}.get(carrier, f"Kurier {carrier.upper()}"),
            placed_at=now - timedelta(hours=rng.randint(6, 60)),
            promised_delivery_date=(now + timedelta(days=rng.randint(1, 3))).date(),
        )
        for parcel in range(parcels):
            shipment_add(
                order=order,
                carrier=carrier if parcel == 0 else "dpd",
                tracking_number=demo_tracking_number(carrier if parcel == 0 else "dpd", rng),
            )
        orders.append(order)

    # A customer sends something back: the return leg is its own shipment on the same order.
    shipment_add(
        order=orders[0],
        carrier="inpost",
        tracking_number=demo_tracking_number("inpost", rng),
        direction=Direction.RETURN,
    )

    demo_returns_seed(shop=shop, orders=orders, now=now)
    demo_reconciliation_seed(shop=shop, orders=orders, now=now)
    demo_feedback_seed(shop=shop, now=now, rng=rng, tracking_number=demo_tracking_number)

    order_upsert(
        shop=other,
        number="SZ-1001",
        items=[{"sku": "SZ-LAMP", "name": "Lampka rowerowa USB", "quantity": 1, "unit_price": 89}],
        shipments=[{"carrier": "inpost", "tracking_number": demo_tracking_number("inpost", rng)}],
        customer_name="Ewa Mazur",
        customer_email="ewa.mazur@example.com",
        shipping_city="Toruń",
        shipping_postcode="87-100",
        shipping_country="PL",
        total_amount=89,
        placed_at=now - timedelta(hours=20),
    )
    return DemoSeed(shop=shop, orders=orders)
