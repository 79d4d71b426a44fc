"""The batch run: adapter over a fake HTTP seam, outcomes applied, pauses, health, rate limiter."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shipments import carrier_runtime, dispatch
from shipments.carrier_runtime import RateLimiter, carrier_config, carrier_env_config
from shipments.dispatch import shipments_poll_batch
from shipments.models import CarrierAccount, Shipment
from shipments.schedule import AUTH_PAUSE
from shipments.tasks import poll_batch
from tests.factories import OrderFactory, ShipmentFactory
from tests.shipments.factories import CarrierAccountFactory

UPDATED_TASKS = ["watchlist.evaluate_shipment", "analytics.refresh_shipment"]

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def inpost_body(number: str, *statuses: tuple[str, str]) -> dict:
    """A ShipX tracking object; ``statuses`` are (code, ISO time) oldest first."""
    return {
        "tracking_number": number,
        "service": "inpost_locker_standard",
        "status": statuses[-1][0],
        "custom_attributes": {"size": "B"},
        "tracking_details": [
            {"status": code, "origin_status": "X", "agency": None, "datetime": at} for code, at in reversed(statuses)
        ],
    }


class FakeInPost:
    """Answers ShipX tracking from a dict of number -> (status code, body); records requests."""

    def __init__(self, answers: dict[str, tuple[int, object, dict]]):
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        number = request.url.path.rsplit("/", 1)[-1]
        status, body, headers = self.answers.get(number, (404, {"error": "resource_not_found"}, {}))
        return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


@pytest.fixture
def fake(settings):
    settings.CARRIER_ENV = {"CARRIER_INPOST_BASE_URL": "http://inpost.test", "CARRIER_INPOST_RATE": "none"}
    return FakeInPost({})


def run(fake, shipments, now=NOW, account_id=None):
    with httpx.Client(transport=httpx.MockTransport(fake)) as client:
        return shipments_poll_batch(
            carrier="inpost", shipment_ids=[s.pk for s in shipments], account_id=account_id, now=now, client=client
        )


def test_a_batch_fetches_each_number_and_applies_every_outcome(shop, fake, django_capture_on_commit_callbacks):
    # given three InPost shipments: one moving, one unknown to InPost, one answered with a 5xx
    order = OrderFactory(shop=shop)
    moving = ShipmentFactory(order=order, tracking_number="620000000000000000000001")
    unknown = ShipmentFactory(order=order, tracking_number="620000000000000000000002")
    failing = ShipmentFactory(order=order, tracking_number="620000000000000000000003")
    fake.answers = {
        moving.tracking_number: (
            200,
            inpost_body(
                moving.tracking_number,
                ("confirmed", "2026-11-03T09:15:00.000+01:00"),
                ("out_for_delivery", "2026-11-04T08:00:00.000+01:00"),
            ),
            {},
        ),
        failing.tracking_number: (503, {"error": "unavailable"}, {"Retry-After": "120"}),
    }

    # when the batch runs
    report = run(fake, [moving, unknown, failing])

    # then every number was asked once with a timeout, and each outcome landed on its shipment
    assert sorted(r.url.path for r in fake.requests) == [
        f"/v1/tracking/{n}" for n in sorted([moving.tracking_number, unknown.tracking_number, failing.tracking_number])
    ]
    assert all(r.extensions["timeout"]["read"] == 10.0 for r in fake.requests)
    assert (report.fetched, report.changed, report.new_events, report.errors) == (
        3,
        1,
        2,
        {"not_found": 1, "transient": 1},
    )
    moving.refresh_from_db()
    unknown.refresh_from_db()
    failing.refresh_from_db()
    assert (moving.status, moving.service, moving.events.count()) == ("out_for_delivery", "inpost_locker_standard", 2)
    assert (unknown.status, unknown.last_error_kind) == ("pending", "not_found")
    assert (failing.status, failing.last_error_kind, failing.poll_errors) == ("pending", "transient", 1)
    assert failing.next_poll_at >= NOW + timedelta(seconds=120)
    account = CarrierAccount.objects.get(shop=shop, carrier="inpost")
    assert (account.success_count, account.error_count, account.last_success_at) == (1, 2, NOW)


def test_rerunning_a_batch_is_harmless(shop, fake):
    # given a batch already run
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), tracking_number="620000000000000000000001")
    fake.answers = {
        shipment.tracking_number: (
            200,
            inpost_body(shipment.tracking_number, ("delivered", "2026-11-04T08:00:00.000+01:00")),
            {},
        )
    }
    run(fake, [shipment])

    # when it runs again (acks_late redelivery)
    report = run(fake, [shipment])

    # then the delivered shipment is not fetched again and nothing doubles
    assert (report.fetched, len(fake.requests)) == (0, 1)
    assert shipment.events.count() == 1
    assert shipment.status_changes.count() == 1


def test_an_auth_error_pauses_the_shop_account_and_its_parcels(shop, other_shop, fake):
    # given a shop whose own InPost key is rejected, with two due parcels, and another shop's parcel
    account = CarrierAccountFactory(shop=shop, carrier="inpost", api_key="revoked")
    first = ShipmentFactory(order=OrderFactory(shop=shop), tracking_number="620000000000000000000001")
    second = ShipmentFactory(
        order=OrderFactory(shop=shop), tracking_number="620000000000000000000002", next_poll_at=NOW
    )
    elsewhere = ShipmentFactory(order=OrderFactory(shop=other_shop), next_poll_at=NOW)
    fake.answers = {first.tracking_number: (401, {"error": "unauthorized"}, {})}

    # when a batch with the shop's credentials gets the 401
    report = run(fake, [first], account_id=account.pk)

    # then the account is paused with the error, the shop's parcels wait, the other shop is untouched
    account.refresh_from_db()
    assert report.errors == {"auth": 1}
    assert account.paused_until == NOW + AUTH_PAUSE
    assert "credentials rejected" in account.last_auth_error
    assert account.last_auth_error_at == NOW
    for shipment in (first, second):
        shipment.refresh_from_db()
        assert shipment.next_poll_at >= NOW + AUTH_PAUSE
    elsewhere.refresh_from_db()
    assert elsewhere.next_poll_at == NOW

    # and a batch during the pause does not call the carrier
    calls = len(fake.requests)
    skipped = run(fake, [second], now=NOW + timedelta(minutes=5), account_id=account.pk)
    assert (skipped.skipped, skipped.fetched, len(fake.requests)) == (1, 0, calls)


def test_the_task_runs_the_batch(shop, fake, monkeypatch):
    # given a shipment and the HTTP client of the worker replaced by the fake
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), tracking_number="620000000000000000000001")
    fake.answers = {
        shipment.tracking_number: (
            200,
            inpost_body(shipment.tracking_number, ("confirmed", "2026-11-03T09:15:00.000+01:00")),
            {},
        )
    }
    client = httpx.Client(transport=httpx.MockTransport(fake))
    monkeypatch.setattr(carrier_runtime, "http_client", lambda: client)

    # when the task runs (as a worker would call it)
    outcome = poll_batch.run("inpost", [shipment.pk], None)

    # then it reports what it did
    assert outcome == {"fetched": 1, "changed": 1, "errors": 0}
    assert Shipment.objects.get(pk=shipment.pk).status == "info_received"


def test_config_comes_from_env_and_the_shops_credentials_override_it(shop, settings):
    # given env settings for a carrier, and a shop with its own key
    settings.CARRIER_ENV = {
        "CARRIER_DHL_BASE_URL": "http://127.0.0.1:9/dhl",
        "CARRIER_DHL_API_KEY": "deployment-key",
        "CARRIER_DHL_TIMEOUT": "3.5",
        "CARRIER_POCZTA_POLSKA_BATCH_SIZE": "50",
    }
    account = CarrierAccountFactory(shop=shop, carrier="dhl", api_key="shop-key")

    # when configs are built
    env = carrier_env_config("dhl")
    own = carrier_config("dhl", account)

    # then env fills the fields, the shop's key wins, and the base URL stays the deployment's
    assert (env.base_url, env.api_key, env.timeout) == ("http://127.0.0.1:9/dhl", "deployment-key", 3.5)
    assert (own.base_url, own.api_key, own.timeout) == ("http://127.0.0.1:9/dhl", "shop-key", 3.5)
    assert dict(carrier_env_config("poczta_polska").extra) == {"batch_size": "50"}


def test_the_local_rate_limiter_holds_the_carrier_rate(settings, monkeypatch):
    # given DHL at 1 request per second and a clock we control
    settings.CARRIER_ENV = {}
    clock = {"now": 1000.0}
    sleeps = []
    monkeypatch.setattr(carrier_runtime.time, "monotonic", lambda: clock["now"])

    def sleep(seconds):
        sleeps.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(carrier_runtime.time, "sleep", sleep)
    limiter = RateLimiter()

    # when five requests are made at once, then one that may wait only half a second
    granted = [limiter.acquire("dhl") for _ in range(5)]
    impatient = limiter.acquire("dhl", max_wait=0.5)

    # then the first goes at once, each other waits its second, and the impatient one gives up
    assert granted == [True] * 5
    assert sleeps == [1.0, 1.0, 1.0, 1.0, 0.5]
    assert impatient is False


@pytest.mark.redis
def test_the_redis_rate_limiter_is_shared_between_limiters(settings):
    # given two limiters (two workers) sharing Redis, and DHL at 1 request per second
    settings.CARRIER_ENV = {"CARRIER_DHL_RATE": "1"}
    import redis

    redis.Redis.from_url(settings.REDIS_URL).delete("pf:rate:carrier:dhl")
    first, second = RateLimiter(redis_url=settings.REDIS_URL), RateLimiter(redis_url=settings.REDIS_URL)

    # when each takes a token without waiting
    granted = [first._take("dhl", 1.0), second._take("dhl", 1.0)]

    # then only the first is granted; the second must wait about a second
    assert granted[0] == 0.0
    assert 0.9 <= granted[1] <= 1.0


def two_confirmed_parcels(shop, fake):
    """Two InPost parcels of one order whose carrier now says "confirmed"."""
    order = OrderFactory(shop=shop)
    parcels = [ShipmentFactory(order=order, tracking_number=f"62000000000000000000000{i}") for i in (1, 2)]
    fake.answers = {
        parcel.tracking_number: (
            200,
            inpost_body(parcel.tracking_number, ("confirmed", "2026-11-03T09:15:00.000+01:00")),
            {},
        )
        for parcel in parcels
    }
    return parcels


def test_a_batch_publishes_each_consumer_once_with_all_its_changes(
    shop, fake, published, django_capture_on_commit_callbacks
):
    # given two moving parcels and a broker that records what it is sent
    parcels = two_confirmed_parcels(shop, fake)

    # when the batch runs twice and its transactions commit
    with django_capture_on_commit_callbacks(execute=True):
        run(fake, parcels)
    with django_capture_on_commit_callbacks(execute=True):
        run(fake, parcels)

    # then each consumer got one task for the batch with both changes, the watchlist one with both parcels,
    # and the second run (nothing new) published nothing
    ids = sorted(Shipment.objects.get(pk=p.pk).status_changes.get().pk for p in parcels)
    assert published == [
        ("notifications.process_status_changes", {"status_change_ids": ids}),
        ("api.status_change_webhooks_batch", {"status_change_ids": ids}),
        ("watchlist.evaluate_shipments", {"shipment_ids": sorted(parcel.pk for parcel in parcels)}),
        ("analytics.refresh_shipments", {"shipment_ids": sorted(parcel.pk for parcel in parcels)}),
    ]


def test_a_batch_out_of_rate_limit_budget_reschedules_instead_of_calling(shop, fake, monkeypatch):
    # given a batch whose time budget is already used up
    monkeypatch.setattr(dispatch, "FETCH_BUDGET_SECONDS", 0.0)
    fake.answers = {}
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), tracking_number="620000000000000000000001")

    # when it runs
    report = run(fake, [shipment])

    # then the carrier is not called and the shipment retries after the Retry-After we set
    shipment.refresh_from_db()
    assert (report.errors, fake.requests) == ({"rate_limited": 1}, [])
    assert shipment.last_error_kind == "rate_limited"
    assert shipment.next_poll_at >= NOW + timedelta(seconds=60)


def test_an_unknown_carrier_code_is_recorded_on_each_parcel(shop, fake):
    # given a parcel whose carrier code has no adapter (removed or misspelt)
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), carrier="pigeon_post")

    # when its batch runs
    with httpx.Client(transport=httpx.MockTransport(fake)) as client:
        report = shipments_poll_batch(carrier="pigeon_post", shipment_ids=[shipment.pk], now=NOW, client=client)

    # then it carries the error and a later due time, and nothing was called
    shipment.refresh_from_db()
    assert (report.errors, fake.requests) == ({"carrier_error": 1}, [])
    assert "no adapter is registered for carrier 'pigeon_post'" in shipment.last_error
    assert shipment.next_poll_at >= NOW + timedelta(minutes=50)


def test_a_parcel_that_became_final_since_the_claim_loses_its_lease(shop, fake):
    # given a parcel claimed (leased) and then delivered by a push
    shipment = ShipmentFactory(order=OrderFactory(shop=shop), status="delivered", next_poll_at=NOW)

    # when its batch runs
    report = run(fake, [shipment])

    # then it is neither fetched nor due again
    shipment.refresh_from_db()
    assert (report.fetched, fake.requests, shipment.next_poll_at) == (0, [], None)


@pytest.mark.django_db(transaction=True)
def test_a_batch_publishes_its_status_changes_over_one_broker_connection(shop, fake, broker_log):
    # given two moving parcels, a broker connection handed out once, and a broker recording each publish's connection
    connection, sent = broker_log
    parcels = two_confirmed_parcels(shop, fake)

    # when the batch runs and its transaction commits
    run(fake, parcels)

    # then one connection was taken and each consumer got the batch's task over it
    ids = sorted(Shipment.objects.get(pk=p.pk).status_changes.get().pk for p in parcels)
    assert sent == [
        ("acquired", None, None),
        ("notifications.process_status_changes", {"status_change_ids": ids}, connection),
        ("api.status_change_webhooks_batch", {"status_change_ids": ids}, connection),
        ("watchlist.evaluate_shipments", {"shipment_ids": sorted(parcel.pk for parcel in parcels)}, connection),
        ("analytics.refresh_shipments", {"shipment_ids": sorted(parcel.pk for parcel in parcels)}, connection),
    ]


def test_fetch_concurrency_is_read_from_settings_at_run_time(shop, fake, settings, monkeypatch):
    # given a deployment allowing 2 carrier calls in flight, and three numbers (three InPost calls)
    settings.CARRIER_FETCH_CONCURRENCY = 2
    pools = []

    class RecordingPool(dispatch.ThreadPoolExecutor):
        def __init__(self, max_workers, **kwargs):
            pools.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(dispatch, "ThreadPoolExecutor", RecordingPool)
    order = OrderFactory(shop=shop)
    parcels = [ShipmentFactory(order=order, tracking_number=f"62000000000000000000000{i}") for i in (1, 2, 3)]

    # when the batch runs
    report = run(fake, parcels)

    # then its fetch pool had the configured size and every number was still asked
    assert pools == [2]
    assert (report.fetched, len(fake.requests)) == (3, 3)
