"""BaseLinker: first import, the journal poller, packages created/deleted, courier codes, errors, write-back."""

import json
import time
from datetime import timedelta

import httpx
import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from integrations.models import PlatformOrder, PlatformParcel, ShopConnection
from integrations.sync import connection_sync
from shipments.models import Order, Shipment, TrackingEvent
from tests.factories import MembershipFactory, TrackingEventFactory
from tests.integrations.conftest import fixture

pytestmark = pytest.mark.django_db


def recorded_order(fake, order_id, *, confirmed=None):
    row = fixture("baselinker", f"getOrders_{order_id}.json")["orders"][0]
    if confirmed is not None:
        row["date_confirmed"] = confirmed
    packages = fixture("baselinker", f"getOrderPackages_{order_id}.json")["packages"]
    fake.add_order(row, [{k: v for k, v in p.items() if k != "package_id"} for p in packages])


def test_first_import_brings_the_recent_orders_with_their_parcels(baselinker, fake_baselinker, baselinker_client):
    # given two recent orders in BaseLinker (recorded shapes) and one older than the first-import window
    now = int(time.time())
    recorded_order(fake_baselinker, 1420001, confirmed=now - 3600)
    recorded_order(fake_baselinker, 1420002, confirmed=now - 1800)
    fake_baselinker.add_order({"order_id": 99, "date_confirmed": now - 10 * 86400, "products": []})

    # when the connection syncs for the first time
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then both recent orders exist once, with customer, items, pickup point and mapped carriers
    assert sorted(report.orders_created) == ["1420001", "1420002"]
    order = Order.objects.get(shop=baselinker.shop, number="1420001")
    assert (order.customer_email, order.customer_phone, order.shipping_city, order.shipping_country) == (
        "zofia.nowak@example.com",
        "+48511222333",
        "Kraków",
        "PL",
    )
    assert str(order.total_amount) == "163.98"
    assert sorted(order.items.values_list("sku", "quantity")) == [("KUB-350-NB", 2), ("PODK-01", 1)]
    locker = order.shipments.get()
    assert (locker.carrier, locker.tracking_number, locker.direction) == (
        "inpost",
        "620123456789012345678901",
        "outbound",
    )
    assert locker.pickup_point["id"] == "KRA01M"
    second = Order.objects.get(shop=baselinker.shop, number="1420002")
    assert sorted(second.shipments.values_list("carrier", "direction", "carrier_confidence")) == [
        ("dhl", "return", 0.9),  # "other" courier: detected from the number, with its confidence
        ("dpd", "outbound", None),
    ]
    assert not Order.objects.filter(number="99").exists()
    baselinker.refresh_from_db()
    assert baselinker.first_import_done_at is not None
    assert (baselinker.orders_imported, baselinker.parcels_imported) == (2, 3)


def test_a_second_sync_with_nothing_new_changes_nothing(baselinker, fake_baselinker, baselinker_client):
    # given an imported account
    recorded_order(fake_baselinker, 1420001, confirmed=int(time.time()))
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()
    versions = list(Order.objects.values_list("version", flat=True))

    # when it syncs again
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then nothing is imported twice and no order is touched
    assert (report.orders_created, report.orders_updated) == ([], [])
    assert Order.objects.count() == 1 and Shipment.objects.count() == 1
    assert list(Order.objects.values_list("version", flat=True)) == versions


def test_the_journal_brings_new_orders_packages_and_deletions_once_each(baselinker, fake_baselinker, baselinker_client):
    # given an imported account
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()

    # when an order is created, gets two packages (one deleted again) and changes status several times
    recorded_order(fake_baselinker, 1420002)
    extra = fake_baselinker.add_package(
        1420002, {"courier_code": "inpost", "courier_package_nr": "620000000000000000000099"}
    )
    for _ in range(3):
        fake_baselinker.log(18, 1420002)
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()
    fake_baselinker.delete_package(1420002, extra)
    connection_sync(connection=baselinker, client=baselinker_client)

    # then the order and its remaining parcels exist once; the deleted package's parcel is gone
    order = Order.objects.get(number="1420002")
    assert sorted(order.shipments.values_list("tracking_number", flat=True)) == [
        "0000123456789U",
        "JJD000390007788996633",
    ]
    assert PlatformOrder.objects.filter(connection=baselinker).count() == 1
    assert PlatformParcel.objects.get(platform_parcel_id=str(extra)).withdrawn_at is not None


def test_a_deleted_package_the_carrier_already_tracks_is_kept_with_its_events(
    baselinker, fake_baselinker, baselinker_client
):
    # given an imported parcel with a carrier event
    recorded_order(fake_baselinker, 1420001, confirmed=int(time.time()))
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()
    shipment = Shipment.objects.get()
    TrackingEventFactory(shipment=shipment)

    # when BaseLinker deletes the package
    package_id = fake_baselinker.packages[1420001][0]["package_id"]
    fake_baselinker.delete_package(1420001, package_id)
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then the parcel and its history stay, and the owner reads why
    assert Shipment.objects.filter(pk=shipment.pk).exists()
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert any("carrier already has it" in problem for problem in report.problems)


def test_journal_entries_out_of_order_and_repeated_import_the_current_state_once(
    baselinker, fake_baselinker, baselinker_client
):
    # given an account whose journal lists the package before the order, and the order three times
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()
    recorded_order(fake_baselinker, 1420001)
    fake_baselinker.journal.reverse()
    fake_baselinker.journal.extend(dict(entry, log_id=entry["log_id"] + 100) for entry in list(fake_baselinker.journal))

    # when the poller reads it
    connection_sync(connection=baselinker, client=baselinker_client)

    # then the order and its parcel exist once
    assert Order.objects.filter(number="1420001").count() == 1
    assert Shipment.objects.count() == 1


def test_a_journal_that_is_off_is_said_in_plain_words_and_nothing_is_imported(
    baselinker, baselinker_client, fake_baselinker
):
    # given an account whose journal is off
    fake_baselinker.journal_enabled = False
    recorded_order(fake_baselinker, 1420001, confirmed=int(time.time()))

    # when the connection syncs
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then the admin says to turn the journal on, the connection is not paused and nothing was imported
    baselinker.refresh_from_db()
    assert "journal is off" in baselinker.last_error
    assert report.problems == [baselinker.last_error]
    assert baselinker.paused_until is None
    assert Order.objects.count() == 0


def test_a_refused_token_pauses_the_connection_and_tells_the_owners_once(shop, baselinker, baselinker_client):
    # given an owner and a token BaseLinker no longer accepts
    MembershipFactory(shop=shop, role="owner", user__email="owner@shop.example")
    ShopConnection.objects.filter(pk=baselinker.pk).update(api_token="expired")
    baselinker.refresh_from_db()

    # when it syncs, and syncs again
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()
    second = connection_sync(connection=baselinker, client=baselinker_client)

    # then it is paused, the owners got one email, and the second sync did not call BaseLinker
    assert baselinker.paused_until is not None
    assert "refused the API token" in baselinker.last_auth_error
    assert [message.to for message in mail.outbox] == [["owner@shop.example"]]
    assert "paused" in second.skipped


def test_requests_go_through_the_rate_limiter_at_100_a_minute(baselinker, baselinker_client, monkeypatch):
    # given a limiter that refuses
    calls = []

    class Refusing:
        def acquire(self, key, **options):
            calls.append((key, round(options["rate"], 3)))
            return False

    monkeypatch.setattr("integrations.runtime.rate_limiter", lambda: Refusing())

    # when the connection syncs
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then the request waited for the limiter keyed by connection, at 100/60 per second, and went nowhere
    assert calls == [(f"baselinker:{baselinker.public_id}", 1.667)]
    assert "100 requests a minute" in report.problems[0]
    baselinker.refresh_from_db()
    assert baselinker.paused_until is None


def test_an_order_whose_parcel_cannot_be_placed_is_imported_and_the_parcel_problem_named(
    baselinker, fake_baselinker, baselinker_client
):
    # given an order whose package has an unknown courier and a number nobody recognises
    fake_baselinker.add_order(
        {"order_id": 5, "date_confirmed": int(time.time()), "email": "a@example.com", "products": []},
        [{"courier_code": "kurierzy_xyz", "courier_package_nr": "ABC"}],
    )

    # when it syncs
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then the order is there, without a guessed parcel, and the problem is in plain words
    assert report.orders_created == ["5"]
    assert Shipment.objects.count() == 0
    parcel = PlatformParcel.objects.get()
    assert "Cannot tell the carrier" in parcel.problem
    baselinker.refresh_from_db()
    assert "Cannot tell the carrier" in baselinker.last_problems


def test_delivered_parcels_are_written_back_only_when_turned_on(baselinker, fake_baselinker, baselinker_client):
    # given an imported parcel that was delivered
    recorded_order(fake_baselinker, 1420001, confirmed=int(time.time()))
    connection_sync(connection=baselinker, client=baselinker_client)
    Shipment.objects.update(status="delivered")
    baselinker.refresh_from_db()

    # when it syncs with write-back off, then on (twice)
    connection_sync(connection=baselinker, client=baselinker_client)
    assert fake_baselinker.statuses_set == []
    ShopConnection.objects.filter(pk=baselinker.pk).update(write_back_delivered=True, delivered_status_id="33922")
    baselinker.refresh_from_db()
    connection_sync(connection=baselinker, client=baselinker_client)
    connection_sync(connection=baselinker, client=baselinker_client)

    # then BaseLinker was told once
    assert fake_baselinker.statuses_set == [(1420001, 33922)]


def test_recorded_journal_page_is_read_in_log_order(baselinker):
    # given BaseLinker answering with the recorded journal page and orders
    answers = {
        "getJournalList": fixture("baselinker", "getJournalList.json"),
        "getOrders": lambda p: fixture("baselinker", f"getOrders_{p['order_id']}.json"),
        "getOrderPackages": lambda p: fixture("baselinker", f"getOrderPackages_{p['order_id']}.json"),
    }

    def respond(request):
        form = httpx.QueryParams(request.content.decode())
        method, parameters = form["method"], json.loads(form["parameters"])
        answer = answers[method]
        if method == "getJournalList" and parameters["last_log_id"] >= 7005:
            return httpx.Response(200, json={"status": "SUCCESS", "logs": []})
        return httpx.Response(200, json=answer(parameters) if callable(answer) else answer)

    ShopConnection.objects.filter(pk=baselinker.pk).update(cursor="7000")
    baselinker.refresh_from_db()

    # when the poller reads from log 7000
    connection_sync(connection=baselinker, client=httpx.Client(transport=httpx.MockTransport(respond)))

    # then both orders are imported and the cursor is the last log read
    baselinker.refresh_from_db()
    assert baselinker.cursor == "7005"
    assert sorted(Order.objects.values_list("number", flat=True)) == ["1420001", "1420002"]


def test_the_command_prints_what_it_imported_for_one_shop(baselinker, other_shop, fake_baselinker, monkeypatch, capsys):
    # given a BaseLinker order and another shop's connection that must not run
    recorded_order(fake_baselinker, 1420001, confirmed=int(time.time()))
    ShopConnection.objects.create(shop=other_shop, platform="baselinker", name="Other", api_token="x")
    monkeypatch.setattr("integrations.runtime.http_client", lambda: httpx.Client(transport=fake_baselinker.transport()))

    # when the command runs for the first shop
    call_command("sync_integrations", "--once", "--shop", baselinker.shop.slug)

    # then it says what it imported, and only that shop's connection ran
    out = capsys.readouterr().out
    assert "1 new order(s)" in out and "1420001" in out
    assert "Other" not in out
    assert not Order.objects.filter(shop=other_shop).exists()


def test_a_cursor_older_than_the_journal_keeps_imports_again_from_the_last_good_sync(
    baselinker, fake_baselinker, baselinker_client
):
    # given a connection last synced four days ago, whose journal entries since have expired
    four_days_ago = timezone.now() - timedelta(days=4)
    ShopConnection.objects.filter(pk=baselinker.pk).update(cursor="999999", last_success_at=four_days_ago)
    baselinker.refresh_from_db()
    recorded_order(fake_baselinker, 1420001, confirmed=int((four_days_ago + timedelta(hours=2)).timestamp()))
    fake_baselinker.journal.clear()

    # when it syncs
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then the order of the forgotten days is imported and the owner reads why
    assert report.orders_created == ["1420001"]
    assert "importing again" in report.problems[0]


def test_an_order_not_confirmed_by_the_buyer_waits_for_its_confirmation(baselinker, fake_baselinker, baselinker_client):
    # given an imported account and a new order the buyer has not confirmed
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()
    fake_baselinker.add_order({"order_id": 8, "confirmed": False, "date_confirmed": 0, "products": []})

    # when the journal is read, then the order is confirmed and the journal says so
    connection_sync(connection=baselinker, client=baselinker_client)
    assert not Order.objects.filter(number="8").exists()
    fake_baselinker.orders[8]["confirmed"] = True
    fake_baselinker.log(2, 8)
    baselinker.refresh_from_db()
    connection_sync(connection=baselinker, client=baselinker_client)

    # then it is imported once confirmed
    assert Order.objects.filter(number="8").count() == 1


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (httpx.Response(502, text="Bad gateway"), "busy (HTTP 502)"),
        (httpx.Response(200, text="<html>maintenance</html>"), "not JSON"),
        (httpx.Response(200, json={"status": "ERROR", "error_code": "ERROR_X", "error_message": "Nope"}), "Nope"),
    ],
)
def test_a_failing_platform_is_recorded_in_plain_words_without_pausing_or_moving_the_cursor(baselinker, answer, words):
    # given BaseLinker failing in one of its ways
    client = httpx.Client(transport=httpx.MockTransport(lambda request: answer))

    # when the connection syncs
    report = connection_sync(connection=baselinker, client=client)

    # then the error is there in plain words, the connection is not paused and the cursor did not move
    baselinker.refresh_from_db()
    assert words in baselinker.last_error and report.problems == [baselinker.last_error]
    assert (baselinker.paused_until, baselinker.cursor, baselinker.error_count) == (None, "", 1)


def test_a_timeout_is_a_transient_problem(baselinker):
    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    report = connection_sync(connection=baselinker, client=httpx.Client(transport=httpx.MockTransport(slow)))
    assert report.problems == ["BaseLinker did not answer in time"]


def test_a_first_import_larger_than_a_page_continues_on_the_next_polls(
    baselinker, fake_baselinker, baselinker_client, monkeypatch
):
    # given 60 recent orders, more than one poll takes (and no waiting for the rate limiter here)
    monkeypatch.setattr("integrations.runtime._throttle", lambda key, rate: True)
    start = int(time.time()) - 3600
    for index in range(60):
        fake_baselinker.add_order({"order_id": 1000 + index, "date_confirmed": start + index, "products": []})

    # when the connection syncs (one sync reads several pages)
    connection_sync(connection=baselinker, client=baselinker_client)

    # then every order is there once and the first import is done
    assert Order.objects.count() == 60
    baselinker.refresh_from_db()
    assert baselinker.first_import_done_at is not None and not baselinker.cursor.startswith("import:")


def test_an_order_of_an_unexpected_shape_is_skipped_and_the_journal_moves_on(
    baselinker, fake_baselinker, baselinker_client
):
    # given an imported account, then a broken order and a good one
    connection_sync(connection=baselinker, client=baselinker_client)
    baselinker.refresh_from_db()
    fake_baselinker.add_order({"order_id": 1, "date_confirmed": int(time.time()), "products": [{"quantity": "many"}]})
    recorded_order(fake_baselinker, 1420001)

    # when the journal is read
    report = connection_sync(connection=baselinker, client=baselinker_client)

    # then the good order is imported, the broken one named, and the cursor moved past both
    assert report.orders_created == ["1420001"]
    assert "BaseLinker order 1 could not be read" in report.problems[0]
    baselinker.refresh_from_db()
    assert int(baselinker.cursor) == fake_baselinker.journal[-1]["log_id"]
