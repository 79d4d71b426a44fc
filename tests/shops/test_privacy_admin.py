"""Admin actions "export this customer's data" and "erase this customer": owners only, own shop only."""

import json

import pytest
from django.urls import reverse

from shops.models import PrivacyRequest
from shops.privacy import subject_hash
from tests.factories import MembershipFactory, OrderFactory
from tests.shops.privacy_fixtures import customer_footprint, tables_containing

pytestmark = pytest.mark.django_db

EMAIL = "ewa.erase@example.com"
ORDERS = reverse("admin:shipments_order_changelist")


@pytest.fixture
def customer(shop):
    return customer_footprint(shop, email=EMAIL, name="Ewa Erasewska", phone="+48 700 100 200")


def test_owner_exports_the_customer_as_json(client, shop, owner, customer):
    # given the owner
    client.force_login(owner)

    # when the owner exports the customer of the selected order
    response = client.post(ORDERS, {"action": "export_customer_data", "_selected_action": [customer.order.pk]})

    # then a JSON file of that customer's data comes back, and the export is audited
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="customer-{shop.slug}-')
    export = json.loads(response.content)
    assert [row["id"] for row in export["data"]["shipments.Order"]] == [customer.order.pk]
    assert list(PrivacyRequest.objects.values_list("kind", "subject", "actor")) == [
        ("export", subject_hash(EMAIL), owner.pk)
    ]


def test_erase_asks_to_confirm_before_changing_anything(client, owner, customer):
    # given the owner
    client.force_login(owner)

    # when the owner picks "erase" without confirming
    response = client.post(ORDERS, {"action": "erase_customer", "_selected_action": [customer.order.pk]})

    # then a confirmation page lists what will go, and nothing changed yet
    assert response.status_code == 200
    page = response.content.decode()
    assert "Yes, erase this customer" in page and "shipments.Order" in page
    customer.order.refresh_from_db()
    assert customer.order.customer_email == EMAIL
    assert PrivacyRequest.objects.count() == 0


def test_owner_erases_the_customer_after_confirming(client, shop, owner, customer):
    # given the owner on the confirmation page
    client.force_login(owner)

    # when the owner confirms
    response = client.post(
        ORDERS,
        {"action": "erase_customer", "_selected_action": [customer.order.pk], "confirm": "yes"},
        follow=True,
    )

    # then the customer is gone from every table (sessions and messages included) and the erasure is audited
    assert response.status_code == 200
    assert "personal data was erased" in response.content.decode()
    assert tables_containing(EMAIL) == {}
    assert PrivacyRequest.objects.get(kind="erase").actor_id == owner.pk


@pytest.mark.parametrize("role", ["marketer", "support"])
def test_non_owners_cannot_export_or_erase(client, shop, customer, role):
    # given a member who is not an owner
    member = MembershipFactory(shop=shop, role=role).user
    client.force_login(member)

    # when they post the actions (not offered to them)
    for action in ("export_customer_data", "erase_customer"):
        response = client.post(
            ORDERS, {"action": action, "_selected_action": [customer.order.pk], "confirm": "yes"}, follow=True
        )
        assert response.status_code == 200
        assert "application/json" not in response["Content-Type"]

    # then nothing was exported or erased
    customer.order.refresh_from_db()
    assert customer.order.customer_email == EMAIL
    assert PrivacyRequest.objects.count() == 0


def test_owner_cannot_reach_another_shops_customer(client, owner, other_shop):
    # given another shop's customer
    foreign = customer_footprint(other_shop, email=EMAIL, name="Ewa Erasewska", phone="+48 700 100 200")
    client.force_login(owner)

    # when the owner forges the other shop's order id into both actions
    for action in ("export_customer_data", "erase_customer"):
        response = client.post(ORDERS, {"action": action, "_selected_action": [foreign.order.pk], "confirm": "yes"})
        assert "application/json" not in response.get("Content-Type", "")

    # then the other shop's customer is untouched and nothing is logged
    foreign.order.refresh_from_db()
    assert foreign.order.customer_email == EMAIL
    assert PrivacyRequest.objects.count() == 0


def test_owner_here_and_support_there_cannot_act_on_the_support_shop(client, shop, owner, other_shop):
    # given the owner is only support in the other shop
    MembershipFactory(user=owner, shop=other_shop, role="support")
    foreign = OrderFactory(shop=other_shop, customer_email=EMAIL)
    client.force_login(owner)

    # when the owner erases the other shop's customer
    response = client.post(
        ORDERS, {"action": "erase_customer", "_selected_action": [foreign.pk], "confirm": "yes"}, follow=True
    )

    # then it is refused and nothing changed
    assert "Only the shop&#x27;s owners" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.customer_email == EMAIL
    assert PrivacyRequest.objects.count() == 0


def test_orders_of_two_customers_are_refused(client, shop, owner, customer):
    # given orders of two customers selected
    other = OrderFactory(shop=shop, customer_email="someone.else@example.com")
    client.force_login(owner)

    # when the owner erases them
    response = client.post(
        ORDERS,
        {"action": "erase_customer", "_selected_action": [customer.order.pk, other.pk], "confirm": "yes"},
        follow=True,
    )

    # then nothing is erased: one customer at a time
    assert "Select the orders of one customer" in response.content.decode()
    other.refresh_from_db()
    assert other.customer_email == "someone.else@example.com"
    assert PrivacyRequest.objects.count() == 0


def test_owners_see_their_shops_privacy_requests_searchable_by_email(client, shop, owner, other_shop):
    # given a request in each shop
    PrivacyRequest.objects.create(shop=shop, kind="erase", subject=subject_hash(EMAIL), actor_label="user x")
    PrivacyRequest.objects.create(shop=other_shop, kind="erase", subject=subject_hash(EMAIL), actor_label="user y")
    client.force_login(owner)

    # when the owner searches the log by the customer's email
    response = client.get(reverse("admin:shops_privacyrequest_changelist"), {"q": EMAIL})

    # then only the own shop's request is listed
    assert list(response.context["cl"].result_list.values_list("shop_id", flat=True)) == [shop.pk]
