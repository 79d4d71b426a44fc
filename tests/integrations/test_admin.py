"""Admin of shop connections: owners only, their shops only, write-only secrets, test connection, plain-word health."""

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import PlatformParcel, ShopConnection
from shops.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:integrations_shopconnection_changelist")


def change_url(connection):
    return reverse("admin:integrations_shopconnection_change", args=[connection.pk])


def test_owner_sees_only_own_connections_and_another_shops_is_not_found(client, owner, baselinker, other_shop):
    # given another shop's connection
    foreign = ShopConnection.objects.create(shop=other_shop, platform="baselinker", name="Foreign store", api_token="t")
    client.force_login(owner)

    # when the owner lists connections and opens the foreign one
    listing = client.get(CHANGELIST).content.decode()
    foreign_page = client.get(change_url(foreign))

    # then only the own one is listed and the foreign one is a 404
    assert "Allegro" in listing and "Foreign store" not in listing
    assert foreign_page.status_code == 404


def test_marketers_and_support_do_not_see_connections(client, marketer, support, baselinker):
    for user in (marketer, support):
        client.force_login(user)
        assert client.get(CHANGELIST).status_code == 403


def test_secrets_are_never_shown_and_kept_when_left_empty(client, owner, shopify):
    client.force_login(owner)

    # when the owner opens the connection
    page = client.get(change_url(shopify)).content.decode()

    # then neither the token nor the webhook secret is in the page, but the webhook address is
    assert "shpat_test" not in page and "shopify-app-secret" not in page
    assert f"/webhooks/shops/shopify/{shopify.public_id}/" in page

    # when the owner saves a new name, leaving the secrets empty
    response = client.post(
        change_url(shopify),
        {
            "shop": shopify.shop_id,
            "name": "Renamed",
            "enabled": "on",
            "store_url": "https://keramika.myshopify.com",
            "api_token": "",
            "api_secret": "",
            "webhook_secret": "",
            "order_number_prefix": "",
            "first_import_days": "3",
            "delivered_status_id": "",
        },
    )

    # then the secrets are kept
    assert response.status_code == 302
    shopify.refresh_from_db()
    assert (shopify.name, shopify.api_token, shopify.webhook_secret) == ("Renamed", "shpat_test", "shopify-app-secret")


def test_a_new_secret_is_stored_and_audited(client, owner, woocommerce):
    client.force_login(owner)
    client.post(
        change_url(woocommerce),
        {
            "shop": woocommerce.shop_id,
            "name": "Woo DE",
            "enabled": "on",
            "store_url": "https://shop.example.de",
            "api_token": "",
            "api_secret": "",
            "webhook_secret": "new-secret",
            "order_number_prefix": "",
            "first_import_days": "3",
            "delivered_status_id": "",
        },
    )
    woocommerce.refresh_from_db()
    assert woocommerce.webhook_secret == "new-secret"
    assert AuditEvent.objects.filter(shop=woocommerce.shop, action="shop_connection_changed").count() == 1


def test_a_store_address_without_https_is_a_form_error(client, owner, shop):
    client.force_login(owner)
    response = client.post(
        reverse("admin:integrations_shopconnection_add"),
        {
            "shop": shop.pk,
            "platform": "woocommerce",
            "name": "Plain http",
            "enabled": "on",
            "store_url": "http://shop.example.de",
            "first_import_days": "3",
        },
    )
    assert response.status_code == 200
    assert "Use the store" in response.content.decode()
    assert not ShopConnection.objects.filter(name="Plain http").exists()


def test_test_connection_says_what_happened_in_plain_words_only_for_own_rows(
    client, owner, baselinker, other_shop, fake_baselinker, monkeypatch
):
    # given BaseLinker answering for the owner's token, and a foreign connection whose id is forged in
    foreign = ShopConnection.objects.create(shop=other_shop, platform="baselinker", name="Foreign", api_token="t")
    monkeypatch.setattr("integrations.runtime.http_client", lambda: httpx.Client(transport=fake_baselinker.transport()))
    client.force_login(owner)

    # when the owner runs "test connection" on both
    response = client.post(
        CHANGELIST, {"action": "test_connection", "_selected_action": [baselinker.pk, foreign.pk]}, follow=True
    )

    # then the own connection is reported working; the foreign one was never called
    page = response.content.decode()
    assert "Connected to BaseLinker" in page
    assert "Foreign" not in page
    foreign.refresh_from_db()
    assert foreign.last_success_at is None and foreign.last_error == ""
    baselinker.refresh_from_db()
    assert baselinker.last_success_at is not None


def test_the_list_says_a_paused_connection_is_paused(client, owner, baselinker, fake_baselinker, monkeypatch):
    # given a token BaseLinker refuses
    ShopConnection.objects.filter(pk=baselinker.pk).update(api_token="expired")
    monkeypatch.setattr("integrations.runtime.http_client", lambda: httpx.Client(transport=fake_baselinker.transport()))
    client.force_login(owner)

    # when the owner tests it and looks at the list
    client.post(CHANGELIST, {"action": "test_connection", "_selected_action": [baselinker.pk]})
    listing = client.get(CHANGELIST).content.decode()

    # then the list says it is paused because the credentials were refused
    assert "Paused: credentials refused" in listing


def test_sync_now_queues_a_sync_of_own_enabled_connections_only(
    client, owner, baselinker, other_shop, published, django_capture_on_commit_callbacks
):
    # given a foreign connection whose id is forged into the request
    foreign = ShopConnection.objects.create(shop=other_shop, platform="baselinker", name="Foreign", api_token="t")
    client.force_login(owner)

    # when the owner runs "sync now"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "sync_now", "_selected_action": [baselinker.pk, foreign.pk]})

    # then one sync, the owner's, is queued for the worker
    assert published == [("integrations.sync_connection", {"connection_id": baselinker.pk})]


def test_the_add_page_renders_for_an_owner(client, owner):
    client.force_login(owner)
    page = client.get(reverse("admin:integrations_shopconnection_add"))
    assert page.status_code == 200
    assert "Turn on the order journal" in page.content.decode()


def test_parcel_problems_are_listed_for_the_shops_staff_only(client, support, baselinker, other_shop):
    # given a parcel problem in the support member's shop and one in another shop
    foreign = ShopConnection.objects.create(shop=other_shop, platform="baselinker", name="Foreign", api_token="t")
    PlatformParcel.objects.create(
        connection=baselinker,
        platform_order_id="1",
        platform_parcel_id="1",
        tracking_number="OWN1",
        problem="Own problem",
    )
    PlatformParcel.objects.create(
        connection=foreign, platform_order_id="1", platform_parcel_id="1", tracking_number="FOREIGN1", problem="x"
    )
    client.force_login(support)

    # when support lists platform parcels
    page = client.get(reverse("admin:integrations_platformparcel_changelist")).content.decode()

    # then only the own shop's parcel is there
    assert "OWN1" in page and "Own problem" in page
    assert "FOREIGN1" not in page


def test_the_list_tells_a_working_connection_with_parcel_problems_from_a_failing_one(client, owner, baselinker):
    now = timezone.now()
    ShopConnection.objects.filter(pk=baselinker.pk).update(
        last_success_at=now, last_problems_at=now, last_problems="Parcel ABC: Cannot tell the carrier"
    )
    client.force_login(owner)
    listing = client.get(CHANGELIST).content.decode()
    assert "Working; some orders or parcels need a look: Parcel ABC" in listing
