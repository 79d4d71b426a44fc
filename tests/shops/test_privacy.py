"""Erasure and export of one customer's personal data, over every app's registry declarations."""

import re

import pytest
from django.apps import apps

from feedback.models import CarrierRating, FeedbackAnswer, FeedbackResponse
from notifications.models import Message, MessageEvent, OutboxEmail, Suppression
from notifications.sending import message_send
from shipments.models import Order, Shipment, StatusChange, TrackingEvent
from shops.models import PrivacyRequest
from shops.privacy import declarations, scrubbed, subject_hash
from shops.privacy_services import customer_erase, customer_erase_plan, customer_export
from tests.factories import OrderFactory, ShipmentFactory, StatusChangeFactory
from tests.notifications.factories import MessageFactory
from tests.shops.privacy_fixtures import customer_footprint, tables_containing
from tracking_portal.models import PageActivity

pytestmark = pytest.mark.django_db

EMAIL = "Zofia.Nowakowska@example.com"
NAME = "Zofia Nowakowska"
PHONE = "+48 511 222 333"


@pytest.fixture
def erased(shop):
    return customer_footprint(shop, email=EMAIL, name=NAME, phone=PHONE)


@pytest.fixture
def neighbour(shop):
    return customer_footprint(shop, email="jan.wisniewski@example.com", name="Jan Wisniewski", phone="+48 600 999 888")


@pytest.fixture
def same_email_elsewhere(other_shop):
    return customer_footprint(other_shop, email=EMAIL, name=NAME, phone=PHONE)


def test_every_app_with_personal_data_joins_the_registry():
    # when the registry is read
    labels = {declaration.label for declaration in declarations()}

    # then every model that keeps a customer's data is declared, and exactly one is the order
    assert labels == {
        "shipments.Order",
        "shipments.OrderItem",
        "shipments.Shipment",
        "shipments.TrackingEvent",
        "notifications.Message",
        "notifications.MessageEvent",
        "notifications.Suppression",
        "notifications.OutboxEmail",
        "notifications.OutboxSms",
        "notifications.SmsOptOut",
        "notifications.PreferencesLink",
        "campaigns.CampaignDispatch",
        "campaigns.DiscountAllocation",
        "campaigns.Click",
        "tracking_portal.PageActivity",
        "feedback.FeedbackResponse",
        "feedback.FeedbackAnswer",
        "feedback.CarrierRating",
        "api.IdempotencyRecord",
        "api.WebhookEvent",
        "api.CsvImport",
        "returns.ReturnRequest",
        "returns.ReturnItem",
        "watchlist.Incident",
    }
    assert [declaration.label for declaration in declarations() if declaration.is_order] == ["shipments.Order"]


# Fields whose names say "a person's contact or words" but hold the shop's own data, not a customer's.
NOT_CUSTOMER_DATA = {
    "shops.Shop.support_email",
    "shops.Shop.support_phone",
    "shops.Shop.sender_email",
    "shops.Shop.reply_to_email",
    "notifications.NotificationSettings.email_statuses",
    "notifications.NotificationSettings.reason_emails",
    "campaigns.Campaign.customer_type",
    "campaigns.Campaign.send_email",
    "watchlist.IncidentRule.notify_customer",
    "feedback.FeedbackSettings.alert_email",
    # Staff, not customers: invitations to the shop's own team, and django-axes' login records (kept for
    # security, pruned by axes' own settings).
    "shops.Invitation.email",
    *(
        f"axes.{model}.{name}"
        for model in ("AccessAttempt", "AccessLog", "AccessFailureLog")
        for name in ("ip_address", "user_agent")
    ),
}
LOOKS_PERSONAL = re.compile(r"customer|recipient|email|phone|comment|ip_address|user_agent|payload|^to$")


def test_every_model_with_a_field_that_looks_personal_is_declared_or_known_not_to_be():
    # given the registry
    declared = {declaration.label for declaration in declarations()}

    # when every field of every project model is checked by name
    undeclared = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label not in {"auth", "admin", "contenttypes", "sessions"}
        for field in model._meta.concrete_fields
        if LOOKS_PERSONAL.search(field.name) and not field.is_relation
    ]

    # then each one is in a declared model or known to be the shop's own data
    assert sorted(name for name in undeclared if name.rsplit(".", 1)[0] not in declared) == sorted(NOT_CUSTOMER_DATA)


def test_erase_leaves_the_email_name_and_phone_nowhere_in_the_database(shop, owner, erased):
    # given the customer's data in every app (checked: the scan finds it before)
    assert tables_containing(EMAIL)
    assert tables_containing(NAME)

    # when the owner erases the customer
    customer_erase(shop=shop, email=EMAIL.upper(), actor=owner)

    # then no column of any table holds the email, the name or the phone
    assert tables_containing(EMAIL) == {}
    assert tables_containing(NAME) == {}
    assert tables_containing(PHONE) == {}
    assert tables_containing("+48511222333") == {}  # the SMS channel's copies, in E.164


def test_erase_keeps_other_customers_and_other_shops(shop, owner, erased, neighbour, same_email_elsewhere):
    # given a neighbour in the same shop and the same email in another shop
    # when the customer is erased in the first shop
    customer_erase(shop=shop, email=EMAIL, actor=owner)

    # then the neighbour and the other shop's customer are untouched
    neighbour.order.refresh_from_db()
    same_email_elsewhere.order.refresh_from_db()
    assert (neighbour.order.customer_email, neighbour.order.customer_name) == (
        "jan.wisniewski@example.com",
        "Jan Wisniewski",
    )
    assert (same_email_elsewhere.order.customer_email, same_email_elsewhere.order.customer_phone) == (EMAIL, PHONE)
    other_shop_id = same_email_elsewhere.order.shop_id
    assert Message.objects.get(order=same_email_elsewhere.order, channel="email").text_body.startswith(f"Hello {NAME}")
    assert Suppression.objects.filter(shop_id=other_shop_id, email=EMAIL.lower()).count() == 1
    assert OutboxEmail.objects.filter(shop_id=other_shop_id).count() == 1
    assert (
        FeedbackResponse.objects.get(order=neighbour.order).comment
        == "Thanks, Jan Wisniewski here, call +48 600 999 888"
    )
    assert Message.objects.get(order=neighbour.order, channel="email").to_email == "jan.wisniewski@example.com"
    assert set(tables_containing("jan.wisniewski@example.com")) >= {"shipments_order", "notifications_message"}


def test_erase_keeps_the_statistics(shop, owner, erased):
    # given the customer's delivered parcel with its events, status change, opened email and rating
    order = erased.order

    # when the customer is erased
    counts = customer_erase(shop=shop, email=EMAIL, actor=owner)

    # then parcels, statuses, events, message outcomes, ratings and page counters stay
    order.refresh_from_db()
    assert Order.objects.filter(pk=order.pk, shipping_country="PL", total_amount=order.total_amount).exists()
    assert list(Shipment.objects.filter(order=order).values_list("status", "delivered_at", "proof_of_delivery")) == [
        ("delivered", erased.order.shipments.get().delivered_at, None)
    ]
    assert StatusChange.objects.filter(shipment__order=order, to_status="delivered").count() == 1
    assert TrackingEvent.objects.get(shipment__order=order).text == "Doręczono do rąk własnych: [erased]"
    message = Message.objects.get(order=order, channel="email")
    assert (message.status, message.opened_at is not None, message.to_email, message.html_body) == (
        "sent",
        True,
        "",
        "",
    )
    assert MessageEvent.objects.get(message=message).event_type == "opened"
    assert FeedbackResponse.objects.values_list("score", "comment").get(order=order) == (9, "")
    assert FeedbackAnswer.objects.get(response__order=order).thumbs_up is True
    assert CarrierRating.objects.get(shipment__order=order).score == 5
    assert PageActivity.objects.get(order=order).count == 3
    assert OutboxEmail.objects.filter(shop=shop).count() == 0
    assert counts["shipments.Order"] == 1
    assert counts["notifications.OutboxEmail"] == 1


def test_erase_is_audited_with_the_hashed_subject_and_a_second_erase_changes_nothing(shop, owner, erased):
    # given a first erasure
    first = customer_erase(shop=shop, email=EMAIL, actor=owner)

    # when the same customer is erased again
    second = customer_erase(shop=shop, email=EMAIL, actor=owner)

    # then nothing is left to change, and both requests are logged against the hash, not the email
    assert first and second == {}
    requests = list(PrivacyRequest.objects.filter(shop=shop).order_by("pk").values("kind", "subject", "actor_id"))
    assert requests == [{"kind": "erase", "subject": subject_hash(EMAIL), "actor_id": owner.pk}] * 2


def test_an_erased_customer_who_unsubscribed_stays_unsubscribed(shop, owner, erased):
    # given the erased customer's suppression, kept as a hash
    customer_erase(shop=shop, email=EMAIL, actor=owner)
    assert list(Suppression.objects.filter(shop=shop).values_list("email", flat=True)) == [subject_hash(EMAIL)]

    # when the customer orders again and an email is due
    order = OrderFactory(shop=shop, customer_email=EMAIL)
    message = MessageFactory(status_change=StatusChangeFactory(shipment=ShipmentFactory(order=order)), status="queued")
    outcome = message_send(message_id=message.pk)

    # then the email is suppressed, not sent
    assert outcome.status == "suppressed"
    assert OutboxEmail.objects.filter(shop=shop).count() == 0


def test_a_second_erasure_after_a_new_unsubscribe_keeps_one_hashed_suppression(shop, owner, erased):
    # given an erased customer who came back and unsubscribed again
    customer_erase(shop=shop, email=EMAIL, actor=owner)
    Suppression.objects.create(shop=shop, email=EMAIL, reason="unsubscribed")

    # when they are erased again
    customer_erase(shop=shop, email=EMAIL, actor=owner)

    # then one hashed suppression remains
    assert list(Suppression.objects.filter(shop=shop).values_list("email", flat=True)) == [subject_hash(EMAIL)]


def test_erase_plan_counts_without_changing_anything(shop, erased):
    # when the plan for the confirmation page is read
    plan = customer_erase_plan(shop=shop, email=EMAIL)

    # then it counts the rows, and nothing was changed or logged
    assert plan["shipments.Order"] == 1
    assert plan["notifications.Suppression"] == 1
    erased.order.refresh_from_db()
    assert erased.order.customer_email == EMAIL
    assert PrivacyRequest.objects.count() == 0


def test_export_holds_the_customers_data_and_nothing_of_others(shop, owner, erased, neighbour, same_email_elsewhere):
    # when the customer's data is exported
    export = customer_export(shop=shop, email=EMAIL, actor=owner)

    # then every app's rows of this order are in it, and nothing of the neighbour or the other shop
    data = export["data"]
    assert [row["id"] for row in data["shipments.Order"]] == [erased.order.pk]
    assert data["shipments.Order"][0]["customer_name"] == NAME
    assert "public_token" not in data["shipments.Order"][0]
    assert data["feedback.FeedbackResponse"][0]["comment"] == f"Thanks, {NAME} here, call {PHONE}"
    assert data["feedback.FeedbackResponse"][0]["score"] == 9
    assert data["feedback.FeedbackAnswer"][0]["question"] == "courier"
    assert sorted(row["channel"] for row in data["notifications.Message"]) == ["email", "sms"]
    assert [row["to"] for row in data["notifications.OutboxSms"]] == ["+48511222333"]
    assert [row["phone"] for row in data["notifications.SmsOptOut"]] == ["+48511222333"]
    assert data["notifications.Suppression"][0]["email"] == EMAIL.lower()
    assert [row["file_name"] for row in data["api.CsvImport"]] == [f"orders-{erased.order.pk}.csv"]
    assert "content" not in data["api.CsvImport"][0]
    text = str(export)
    assert "jan.wisniewski" not in text and "Jan Wisniewski" not in text
    assert {row["shop_id"] for row in data["shipments.Order"] + data["notifications.Message"]} == {shop.pk}
    assert PrivacyRequest.objects.get(shop=shop).kind == "export"


def test_erase_of_an_unknown_email_changes_nothing_but_is_audited(shop, owner, erased):
    # when an address the shop never saw is erased
    counts = customer_erase(shop=shop, email="nobody@example.com", actor=owner)

    # then nothing changed, and the request is on record
    assert counts == {}
    erased.order.refresh_from_db()
    assert erased.order.customer_email == EMAIL
    assert PrivacyRequest.objects.filter(shop=shop, kind="erase").count() == 1


def test_scrubbing_replaces_needles_in_text_and_json_case_insensitively():
    # when text and JSON are scrubbed
    result = scrubbed(
        {"to": ["ANNA@x.pl"], "note": "Anna Kowalska, anna@x.pl", "n": 3}, ["anna@x.pl", "Anna Kowalska", "A"]
    )

    # then every needle is gone, short needles are ignored, other values stay
    assert result == {"to": ["[erased]"], "note": "[erased], [erased]", "n": 3}
