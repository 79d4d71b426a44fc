"""The tracking page's 1-5 ratings become CSAT responses: every rating kept, score, comment and times intact."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import ShopFactory

BEFORE = [("tracking_portal", "0001_initial"), ("feedback", "0001_feedback_responses")]
AFTER = [("tracking_portal", "0002_delivery_feedback_moved_to_feedback")]
RATED = datetime(2026, 10, 5, 9, 15, tzinfo=UTC)
CHANGED = datetime(2026, 10, 6, 18, 0, tzinfo=UTC)


def _state(executor, nodes):
    # The apps as the database has them: the nodes, plus shipments as it stands (not rolled back by these tests).
    shipments = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] == "shipments"]
    return executor.loader.project_state([*nodes, *shipments]).apps


@pytest.fixture
def back_to_latest_schema():
    # Later migrations (of any app) must be applied again, or the tests after this one see an old schema.
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_world(apps, shop_id):
    Order = apps.get_model("shipments", "Order")
    Shipment = apps.get_model("shipments", "Shipment")
    DeliveryFeedback = apps.get_model("tracking_portal", "DeliveryFeedback")
    orders = []
    for number, rating, comment, carrier in [
        ("1", 5, "Szybko i sprawnie", "inpost"),
        ("2", 1, "", "dpd"),
        ("3", 3, "Paczka zgnieciona", ""),
    ]:
        order = Order.objects.create(shop_id=shop_id, number=number, placed_at=RATED)
        if carrier:
            Shipment.objects.create(
                shop_id=shop_id, order=order, carrier=carrier, tracking_number=f"T{number}", status="delivered"
            )
        DeliveryFeedback.objects.create(shop_id=shop_id, order=order, rating=rating, comment=comment)
        orders.append(order)
    DeliveryFeedback.objects.update(created_at=RATED, updated_at=CHANGED)
    return orders


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest_schema")
def test_every_rating_becomes_a_csat_response_and_the_way_back_restores_them():
    # given three ratings in the old table
    shop = ShopFactory(slug="rating-shop")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    orders = _old_world(_state(executor, BEFORE), shop.pk)

    # when the migrations run
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    # then each rating is a CSAT response with its score, segment, comment, carrier and times, already announced
    apps = _state(executor, AFTER)
    FeedbackResponse = apps.get_model("feedback", "FeedbackResponse")
    rows = list(
        FeedbackResponse.objects.order_by("order__number").values_list(
            "order_id",
            "shop_id",
            "scale",
            "score",
            "segment",
            "comment",
            "carrier",
            "source",
            "created_at",
            "updated_at",
            "announced_revision",
        )
    )
    assert rows == [
        (orders[0].pk, shop.pk, "csat", 5, "promoter", "Szybko i sprawnie", "inpost", "migrated", RATED, CHANGED, 1),
        (orders[1].pk, shop.pk, "csat", 1, "detractor", "", "dpd", "migrated", RATED, CHANGED, 1),
        (orders[2].pk, shop.pk, "csat", 3, "detractor", "Paczka zgnieciona", "", "migrated", RATED, CHANGED, 1),
    ]

    # when the migrations are reversed, then the old table has the ratings back and no response is left
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = _state(executor, BEFORE)
    DeliveryFeedback = apps.get_model("tracking_portal", "DeliveryFeedback")
    assert sorted(DeliveryFeedback.objects.values_list("order_id", "rating", "comment", "created_at")) == [
        (orders[0].pk, 5, "Szybko i sprawnie", RATED),
        (orders[1].pk, 1, "", RATED),
        (orders[2].pk, 3, "Paczka zgnieciona", RATED),
    ]
    assert apps.get_model("feedback", "FeedbackResponse").objects.count() == 0
