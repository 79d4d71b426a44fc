"""Normalized values (dedupe keys, errors, config) and the carrier registry."""

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from carriers.base import CarrierAdapter
from carriers.inpost import InPostAdapter
from carriers.registry import (
    UnknownCarrier,
    adapter_class,
    build_adapter,
    carrier_choices,
    carrier_codes,
    register,
)
from carriers.types import FINAL_STATUSES, CarrierConfig, ErrorKind, Status, TrackingError, TrackingEvent


def event(occurred_at: datetime, **changes) -> TrackingEvent:
    fields = {"status": Status.IN_TRANSIT, "reason": "", "raw_code": "P_WZL", "text": "Wysłanie", "location": "UP 1"}
    fields.update(changes)
    return TrackingEvent(occurred_at=occurred_at, **fields)


def test_dedupe_key_is_the_same_for_the_same_instant_in_any_zone_and_ignores_our_mapping():
    utc = event(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    warsaw = event(datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))), status=None, mapped=False)

    assert utc.dedupe_key == warsaw.dedupe_key
    assert len(utc.dedupe_key) == 64


@pytest.mark.parametrize(
    "change",
    [{"raw_code": "P_PZL"}, {"text": "Wysłanie przesyłki"}, {"location": "UP 2"}],
)
def test_dedupe_key_changes_with_what_the_carrier_said(change):
    moment = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    assert event(moment).dedupe_key != event(moment, **change).dedupe_key
    assert event(moment).dedupe_key != event(moment + timedelta(seconds=1)).dedupe_key


def test_events_refuse_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        event(datetime(2025, 3, 1, 9, 0))


def test_final_statuses_and_retryable_errors():
    assert {Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.CANCELLED, Status.EXPIRED} == FINAL_STATUSES
    assert [kind for kind in ErrorKind if TrackingError(kind, "").retryable] == [
        ErrorKind.RATE_LIMITED,
        ErrorKind.TRANSIENT,
    ]


def test_config_hides_secrets_from_repr_and_refuses_a_non_positive_timeout():
    config = CarrierConfig(api_key="s3cret-key", username="shop", password="hunter2")

    assert "s3cret-key" not in repr(config)
    assert "hunter2" not in repr(config)
    assert "shop" in repr(config)
    assert config.timeout == 10.0
    with pytest.raises(ValueError, match="timeout must be positive"):
        CarrierConfig(timeout=0)


def test_registry_knows_the_builtin_carriers_by_code_and_name():
    assert {"inpost", "poczta_polska", "packeta", "orlen"} <= set(carrier_codes())
    assert carrier_codes() == sorted(carrier_codes())
    choices = dict(carrier_choices())
    assert choices["inpost"] == "InPost"
    assert choices["poczta_polska"] == "Poczta Polska"
    assert choices["orlen"] == "Orlen Paczka"
    assert adapter_class("inpost") is InPostAdapter


def test_build_adapter_passes_config_and_client():
    client = httpx.Client()
    config = CarrierConfig(base_url="http://127.0.0.1:8099/inpost")

    adapter = build_adapter("inpost", config=config, client=client)

    assert isinstance(adapter, InPostAdapter)
    assert adapter.client is client
    assert adapter.base_url == "http://127.0.0.1:8099/inpost"


def test_unknown_carrier_is_a_key_error_that_names_the_known_codes():
    with pytest.raises(UnknownCarrier) as raised:
        adapter_class("pigeon_post")

    assert isinstance(raised.value, KeyError)
    assert raised.value.code == "pigeon_post"
    assert str(raised.value).startswith("unknown carrier code 'pigeon_post' (known: ")
    assert "inpost" in str(raised.value)


def test_register_refuses_a_second_class_for_a_taken_code_and_classes_without_a_code():
    class Impostor(CarrierAdapter):
        code = "inpost"
        name = "Not InPost"

    class Nameless(CarrierAdapter):
        code = ""
        name = ""

    with pytest.raises(ValueError, match="already registered by InPostAdapter"):
        register(Impostor)
    with pytest.raises(TypeError, match="needs non-empty `code` and `name`"):
        register(Nameless)
    assert adapter_class("inpost") is InPostAdapter
    assert register(InPostAdapter) is InPostAdapter
