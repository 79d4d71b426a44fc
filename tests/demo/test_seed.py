"""The demo seeder: a believable Polish shop whose parcels are all due for their first poll."""

from datetime import UTC, datetime, timedelta

from django.db.models import F

from carriers.detection import detect
from demo.services import demo_seed
from feedback.models import FeedbackAnswer, FeedbackResponse
from feedback.reports import repurchase_by_segment
from feedback.selectors import carrier_ratings
from shipments.models import Order, Shipment
from shops.models import Membership, Shop

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_seed_creates_the_demo_shop_with_roles_orders_and_due_parcels(db):
    seeded = demo_seed(now=NOW)
    shop = seeded.shop
    assert shop.slug == "ziarno"
    assert dict(Membership.objects.filter(shop=shop).values_list("user__username", "role")) == {
        "demo@parcelfront.test": "owner",
        "marketing@parcelfront.test": "marketer",
        "support@parcelfront.test": "support",
    }
    assert len(seeded.orders) == 12
    shipments = Shipment.objects.filter(order__in=seeded.orders)
    assert {"inpost", "dpd", "dhl", "poczta_polska"} <= set(shipments.values_list("carrier", flat=True))
    # A hand-made return leg, and the parcel of the return whose InPost code the seed issued.
    assert shipments.filter(direction="return").count() == 2
    assert all(s.next_poll_at is not None and s.status == "pending" for s in shipments)
    assert all(order.items.exists() for order in seeded.orders)


def test_seeded_numbers_are_in_their_carriers_real_formats(db):
    demo_seed(now=NOW)
    for shipment in Shipment.objects.filter(shop__slug="ziarno"):
        detection = detect(shipment.tracking_number, enabled=[shipment.carrier])
        assert detection.best is not None, shipment.tracking_number
        assert detection.best.carrier == shipment.carrier


def test_reseeding_replaces_the_demo_and_keeps_other_shops(db, shop):
    first = demo_seed(now=NOW)
    second = demo_seed(now=NOW)
    assert first.shop.pk != second.shop.pk
    assert Order.objects.filter(shop__slug="ziarno").exclude(number__startswith="ZI-H").count() == 12
    assert Shop.objects.filter(pk=shop.pk).exists()


def test_keep_does_not_duplicate(db):
    demo_seed(now=NOW)
    demo_seed(reset=False, now=NOW)
    assert Shop.objects.filter(slug="ziarno").count() == 1
    assert Order.objects.filter(shop__slug="ziarno").exclude(number__startswith="ZI-H").count() == 12


def test_second_shop_cannot_see_the_demo_shop(client, db):
    demo_seed(now=NOW)
    other_owner = Membership.objects.get(shop__slug="szprycha").user
    client.force_login(other_owner)
    response = client.get("/admin/shipments/order/")
    numbers = {order.number for order in response.context["cl"].queryset}
    assert numbers == {"SZ-1001"}


def test_product_images_point_at_the_demo_server(db):
    seeded = demo_seed(now=NOW, public_base_url="http://127.0.0.1:8766")
    image_urls = {item.image_url for order in seeded.orders for item in order.items.all()}
    assert image_urls
    assert all(url.startswith("http://127.0.0.1:8766/static/demo/") for url in image_urls)


def test_the_demo_has_months_of_scores_comments_ratings_and_repeat_customers(db):
    # given the seeded demo
    seeded = demo_seed(now=NOW)

    # then scores spread over at least five months, with comments, answers, carrier ratings and reorders
    responses = FeedbackResponse.objects.filter(shop=seeded.shop)
    months = {(response.created_at.year, response.created_at.month) for response in responses}
    assert len(months) >= 5
    assert responses.exclude(comment="").count() >= 10
    assert FeedbackAnswer.objects.filter(response__shop=seeded.shop).exists()
    assert len(carrier_ratings(seeded.shop, NOW - timedelta(days=200), NOW)) >= 3
    assert responses.filter(announced_revision=F("revision")).count() == responses.count()  # history sends nothing
    table = repurchase_by_segment(seeded.shop, NOW - timedelta(days=200), NOW, now=NOW)
    assert table["promoter"][30].customers > 0
    assert Shipment.objects.filter(order__number__startswith="ZI-H", next_poll_at__isnull=False).count() == 0
