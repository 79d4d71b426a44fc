"""Tenant isolation through every admin route: a member of shop A never reads or changes shop B's data."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from shipments.models import Order, Shipment
from shops.admin_base import TenantScopedAdmin
from shops.models import ApiKey, Membership, Shop
from shops.services import api_key_create
from tests.factories import (
    MembershipFactory,
    OrderFactory,
    ShipmentFactory,
    ShopFactory,
    StatusChangeFactory,
    TrackingEventFactory,
)

PLATFORM_ADMINS = {User, Group, TOTPDevice}  # superuser-only: owners hold no Django model permissions


@pytest.fixture
def world(db):
    """Two shops, each with an owner, an order, a shipment with an event and a status change, and a key."""
    shops = {}
    for label in ("a", "b"):
        shop = ShopFactory(slug=f"shop-{label}", name=f"Shop {label.upper()}")
        owner = MembershipFactory(shop=shop, role="owner").user
        order = OrderFactory(shop=shop, number=f"{label.upper()}-1")
        shipment = ShipmentFactory(order=order)
        shops[label] = {
            "shop": shop,
            "owner": owner,
            "order": order,
            "shipment": shipment,
            "event": TrackingEventFactory(shipment=shipment),
            "status_change": StatusChangeFactory(shipment=shipment),
            "api_key": api_key_create(shop=shop, name=f"key {label}").api_key,
            "membership": Membership.objects.get(shop=shop, user=owner),
        }
    return shops


def _admin_url(obj, view: str) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def test_every_registered_model_admin_is_tenant_scoped():
    # Given the admin site with every app loaded
    # When we look at each registration
    unscoped = [
        model.__name__
        for model, model_admin in admin.site._registry.items()
        if model not in PLATFORM_ADMINS and not isinstance(model_admin, TenantScopedAdmin)
    ]
    # Then none escapes the tenant-scoped base
    assert unscoped == []


@pytest.mark.parametrize("kind", ["shop", "order", "shipment", "api_key", "membership"])
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_owner_of_a_gets_404_on_every_detail_route_of_b(client, world, kind, view):
    # Given the owner of shop A is logged in
    client.force_login(world["a"]["owner"])
    # When they open shop B's object by its URL
    response = client.get(_admin_url(world["b"][kind], view))
    # Then it does not exist for them
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["shop", "order", "shipment", "api_key"])
def test_owner_of_a_can_open_their_own_objects(client, world, kind):
    client.force_login(world["a"]["owner"])
    response = client.get(_admin_url(world["a"][kind], "change"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("model", "marker"),
    [(Order, "B-1"), (Shipment, None), (Shop, "Shop B"), (ApiKey, "key b")],
)
def test_changelists_list_only_own_shop(client, world, model, marker):
    # Given the owner of shop A
    client.force_login(world["a"]["owner"])
    # When they open a changelist
    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    # Then only shop A's rows are in it
    assert response.status_code == 200
    listed = list(response.context["cl"].queryset)
    assert listed, "shop A's own rows must be listed"
    assert all(getattr(row, "shop_id", getattr(row, "pk", None)) != world["b"]["shop"].pk for row in listed)
    if model is Shipment:
        assert world["b"]["shipment"] not in listed
    if marker:
        assert marker not in response.content.decode()


def test_forged_post_changing_b_order_is_404_and_changes_nothing(client, world):
    client.force_login(world["a"]["owner"])
    order_b = world["b"]["order"]
    response = client.post(
        _admin_url(order_b, "change"), {"shop": world["a"]["shop"].pk, "number": "STOLEN", "placed_at_0": "2026-11-01"}
    )
    assert response.status_code == 404
    order_b.refresh_from_db()
    assert order_b.number == "B-1"
    assert order_b.shop == world["b"]["shop"]


def test_forged_post_adding_order_into_b_is_a_form_error_and_stores_nothing(client, world):
    # Given the owner of shop A posting the add form with shop B's id
    client.force_login(world["a"]["owner"])
    before = Order.objects.count()
    response = client.post(
        reverse("admin:shipments_order_add"),
        {
            "shop": world["b"]["shop"].pk,
            "number": "X-1",
            "placed_at_0": "2026-11-01",
            "placed_at_1": "10:00:00",
            "currency": "PLN",
            "total_amount": "1",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "shipments-TOTAL_FORMS": "0",
            "shipments-INITIAL_FORMS": "0",
        },
    )
    # Then the form refuses the foreign shop and nothing is stored
    assert response.status_code == 200
    assert "shop" in response.context["adminform"].form.errors
    assert Order.objects.count() == before


def test_forged_bulk_delete_action_cannot_touch_b(client, world):
    client.force_login(world["a"]["owner"])
    response = client.post(
        reverse("admin:shipments_order_changelist"),
        {"action": "delete_selected", "_selected_action": [world["b"]["order"].pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert Order.objects.filter(pk=world["b"]["order"].pk).exists()


def test_export_action_exports_only_own_rows_even_when_b_ids_are_forged(client, world):
    client.force_login(world["a"]["owner"])
    response = client.post(
        reverse("admin:shipments_order_changelist"),
        {"action": "export_csv", "_selected_action": [world["a"]["order"].pk, world["b"]["order"].pk]},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "A-1" in body
    assert "B-1" not in body


def test_autocomplete_offers_only_own_shop_orders(client, world):
    client.force_login(world["a"]["owner"])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "shipments", "model_name": "shipment", "field_name": "order", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {world["a"]["order"].pk}


def test_autocomplete_of_shops_lists_only_own_shop(client, world):
    client.force_login(world["a"]["owner"])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "shipments", "model_name": "order", "field_name": "shop", "term": "Shop"},
    )
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {world["a"]["shop"].pk}


def test_marketer_reads_orders_but_cannot_change_them_or_see_api_keys(client, world):
    marketer = MembershipFactory(shop=world["a"]["shop"], role="marketer").user
    client.force_login(marketer)
    order = world["a"]["order"]
    assert client.get(_admin_url(order, "change")).status_code == 200
    response = client.post(_admin_url(order, "change"), {"number": "CHANGED"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.number == "A-1"
    assert client.get(reverse("admin:shops_apikey_changelist")).status_code == 403
    assert client.get(reverse("admin:shops_membership_changelist")).status_code == 403


def test_support_reads_shipments_but_cannot_delete_them(client, world):
    support = MembershipFactory(shop=world["a"]["shop"], role="support").user
    client.force_login(support)
    shipment = world["a"]["shipment"]
    assert client.get(_admin_url(shipment, "change")).status_code == 200
    assert client.post(_admin_url(shipment, "delete"), {"post": "yes"}).status_code == 403
    assert Shipment.objects.filter(pk=shipment.pk).exists()


def test_owner_cannot_add_shops_but_superuser_sees_all(client, world, superuser):
    client.force_login(world["a"]["owner"])
    assert client.get(reverse("admin:shops_shop_add")).status_code == 403
    client.force_login(superuser)
    response = client.get(reverse("admin:shops_shop_changelist"))
    assert set(response.context["cl"].queryset) == {world["a"]["shop"], world["b"]["shop"]}


def test_user_without_membership_sees_no_app(client, db):
    outsider = MembershipFactory().user
    Membership.objects.filter(user=outsider).delete()
    client.force_login(outsider)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["app_list"] == []


def test_membership_add_form_only_offers_own_shops(client, world):
    client.force_login(world["a"]["owner"])
    response = client.get(reverse("admin:shops_membership_add"))
    choices = set(response.context["adminform"].form.fields["shop"].queryset)
    assert choices == {world["a"]["shop"]}


def test_relation_filters_do_not_reveal_other_shops_names(client, world):
    # Given an order changelist filterable by shop
    client.force_login(world["a"]["owner"])
    # When the owner of shop A opens it
    response = client.get(reverse("admin:shipments_order_changelist"))
    # Then the shop filter offers shop A only, and shop B's name appears nowhere
    body = response.content.decode()
    assert "Shop A" in body
    assert "Shop B" not in body
