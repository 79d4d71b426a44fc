"""Admin for polling: poll now, carrier accounts (write-only secrets, isolation), unmapped codes."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import timezone

from shipments.models import CarrierAccount, UnmappedCode
from shops.models import AuditEvent
from tests.factories import MembershipFactory, OrderFactory, ShipmentFactory
from tests.shipments.factories import CarrierAccountFactory

pytestmark = pytest.mark.django_db

LATER = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def dispatches(published):
    return published


def changelist(model):
    return reverse(f"admin:shipments_{model}_changelist")


def test_poll_now_makes_own_open_shipments_due_and_wakes_the_dispatcher(
    client, shop, owner, other_shop, dispatches, django_capture_on_commit_callbacks
):
    # given an open and a delivered shipment of the owner's shop, and another shop's shipment
    open_one = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=LATER)
    delivered = ShipmentFactory(order=OrderFactory(shop=shop), status="delivered", next_poll_at=None)
    foreign = ShipmentFactory(order=OrderFactory(shop=other_shop), next_poll_at=LATER)
    client.force_login(owner)

    # when the owner runs "poll now" on all three ids (one of them forged)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist("shipment"),
            {"action": "poll_now", "_selected_action": [open_one.pk, delivered.pk, foreign.pk]},
            follow=True,
        )

    # then only the own open shipment is due now, and one dispatch was enqueued
    assert response.status_code == 200
    assert "1 shipment(s) will be polled" in response.content.decode()
    open_one.refresh_from_db()
    delivered.refresh_from_db()
    foreign.refresh_from_db()
    assert before <= open_one.next_poll_at <= timezone.now()
    assert (delivered.next_poll_at, foreign.next_poll_at) == (None, LATER)
    assert dispatches == [("shipments.poll_dispatch", {})]


def test_support_cannot_poll_now(client, shop, support, dispatches):
    # given a support member (read-only on shipments)
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), next_poll_at=LATER)
    client.force_login(support)

    # when they post the action anyway
    client.post(changelist("shipment"), {"action": "poll_now", "_selected_action": [shipment.pk]})

    # then nothing changed
    shipment.refresh_from_db()
    assert shipment.next_poll_at == LATER
    assert dispatches == []


def test_shipment_page_shows_events_verbatim_errors_and_next_poll(client, shop, owner):
    # given a shipment with a verbatim carrier text and an error
    shipment = ShipmentFactory(
        order=OrderFactory(shop=shop), next_poll_at=LATER, last_error="InPost timed out", last_error_kind="transient"
    )
    shipment.events.create(
        occurred_at=LATER, status="", raw_code="ODB", text="Przesyłka odebrana od Nadawcy", mapped=False, dedupe_key="k"
    )
    client.force_login(owner)

    # when the owner opens it
    page = client.get(reverse("admin:shipments_shipment_change", args=[shipment.pk])).content.decode()

    # then the page shows them
    for text in ("Przesyłka odebrana od Nadawcy", "ODB", "InPost timed out", "transient", "Next poll at"):
        assert text in page


def test_carrier_account_secrets_are_write_only(client, shop, owner):
    # given an account with stored secrets
    account = CarrierAccountFactory(
        shop=shop, carrier="dhl", api_key="dhl-secret-key", password="hunter22", webhook_secret="hook-secret"
    )
    client.force_login(owner)
    url = reverse("admin:shipments_carrieraccount_change", args=[account.pk])

    # when the owner opens the form
    page = client.get(url).content.decode()

    # then no secret is rendered back
    assert page.count("Stored. Leave empty to keep it.") == 3
    for secret in ("dhl-secret-key", "hunter22", "hook-secret"):
        assert secret not in page

    # when they save with the secret fields empty, then the stored ones are kept
    response = client.post(
        url, {"shop": shop.pk, "carrier": "dhl", "enabled": "on", "username": "acct", "api_key": "", "password": ""}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.api_key, account.password, account.webhook_secret, account.username) == (
        "dhl-secret-key",
        "hunter22",
        "hook-secret",
        "acct",
    )

    # when they type a new key, then it replaces the old one
    client.post(url, {"shop": shop.pk, "carrier": "dhl", "enabled": "on", "api_key": "new-key"})
    account.refresh_from_db()
    assert account.api_key == "new-key"


def test_carrier_accounts_are_isolated_between_shops(client, shop, owner, other_shop):
    # given accounts of two shops
    mine = CarrierAccountFactory(shop=shop, carrier="dhl")
    theirs = CarrierAccountFactory(shop=other_shop, carrier="dhl", api_key="their-key")
    client.force_login(owner)

    # when the owner lists accounts and opens the other shop's
    listed = list(client.get(changelist("carrieraccount")).context["cl"].queryset)
    detail = client.get(reverse("admin:shipments_carrieraccount_change", args=[theirs.pk]))
    forged = client.post(
        reverse("admin:shipments_carrieraccount_change", args=[theirs.pk]),
        {"shop": shop.pk, "carrier": "dhl", "api_key": "stolen"},
    )
    added = client.post(
        reverse("admin:shipments_carrieraccount_add"), {"shop": other_shop.pk, "carrier": "ups", "api_key": "planted"}
    )

    # then only their own is visible, and nothing of the other shop is read or written
    assert listed == [mine]
    assert (detail.status_code, forged.status_code, added.status_code) == (404, 404, 200)
    theirs.refresh_from_db()
    assert (theirs.shop, theirs.api_key) == (other_shop, "their-key")
    assert not CarrierAccount.objects.filter(carrier="ups").exists()


def test_carrier_accounts_are_owner_only(client, shop, marketer, support):
    CarrierAccountFactory(shop=shop, carrier="dhl")
    for user in (marketer, support):
        client.force_login(user)
        assert client.get(changelist("carrieraccount")).status_code == 403


def test_unmapped_codes_are_for_superusers_only(client, shop, owner, superuser):
    # given a counted unmapped code
    UnmappedCode.objects.create(
        carrier="inpost", raw_code="weird", example_text="Dziwne", count=3, first_seen=LATER, last_seen=LATER
    )

    # then a shop owner cannot see the list, a superuser can
    client.force_login(owner)
    assert client.get(changelist("unmappedcode")).status_code == 403
    client.force_login(superuser)
    page = client.get(changelist("unmappedcode"))
    assert page.status_code == 200
    assert "weird" in page.content.decode()


def test_staff_of_no_shop_sees_no_unmapped_codes(rf, db):
    staff = MembershipFactory().user
    staff.memberships.all().delete()
    request = rf.get("/")
    request.user = staff
    assert list(site._registry[UnmappedCode].get_queryset(request)) == []


def test_changing_carrier_credentials_is_audited_without_the_secret(client, shop, owner):
    # given the owner's shop without its own InPost account
    client.force_login(owner)

    # when the owner stores an API key, then saves the account again without touching a credential
    client.post(
        reverse("admin:shipments_carrieraccount_add"),
        {"shop": shop.pk, "carrier": "inpost", "enabled": "on", "api_key": "s3cret-key"},
    )
    account = CarrierAccount.objects.get(shop=shop, carrier="inpost")
    client.post(
        reverse("admin:shipments_carrieraccount_change", args=[account.pk]),
        {"shop": shop.pk, "carrier": "inpost", "enabled": "on"},
    )

    # then one audit event names the changed field, never its value
    events = list(AuditEvent.objects.filter(shop=shop).values_list("action", "target", "actor"))
    assert [(action, actor) for action, _, actor in events] == [("carrier_credentials_changed", owner.pk)]
    assert "api_key" in events[0][1] and "s3cret-key" not in events[0][1]
